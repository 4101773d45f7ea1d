package dev.carve.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;

class AvroColumnsTest {
  private static Schema logical(Schema base, org.apache.avro.LogicalType type) {
    return type.addToSchema(base);
  }

  @Test
  void logicalTypesBecomeTheTextPostgresCasts() {
    Schema date = logical(Schema.create(Schema.Type.INT), LogicalTypes.date());
    Schema millis = logical(Schema.create(Schema.Type.LONG), LogicalTypes.timestampMillis());
    Schema decimal = logical(Schema.create(Schema.Type.BYTES), LogicalTypes.decimal(10, 3));

    assertThat(AvroColumns.toText(19_000, date)).isEqualTo("2022-01-08");
    assertThat(AvroColumns.toText(1_700_000_000_123L, millis))
        .isEqualTo("2023-11-14T22:13:20.123Z");
    assertThat(AvroColumns.toText(ByteBuffer.wrap(new byte[] {0x30, 0x39}), decimal))
        .isEqualTo("12.345");
    assertThat(AvroColumns.toText(new BigDecimal("-1.500"), decimal)).isEqualTo("-1.500");
    assertThat(AvroColumns.toText(Instant.parse("2020-01-01T00:00:00Z"), millis))
        .isEqualTo("2020-01-01T00:00:00Z");
  }

  /**
   * PostgreSQL's time accepts 24:00:00, which {@code LocalTime} cannot hold; beyond it, and a
   * decimal of zero bytes, there is no text, and the writer dead-letters the record.
   */
  @Test
  void theEndOfADayIsWrittenAsPostgresAcceptsItAndBeyondItThereIsNoText() {
    Schema micros = logical(Schema.create(Schema.Type.LONG), LogicalTypes.timeMicros());
    Schema millis = logical(Schema.create(Schema.Type.INT), LogicalTypes.timeMillis());
    Schema decimal = logical(Schema.create(Schema.Type.BYTES), LogicalTypes.decimal(10, 3));

    assertThat(AvroColumns.toText(86_400_000_000L, micros)).isEqualTo("24:00:00");
    assertThat(AvroColumns.toText(86_400_000, millis)).isEqualTo("24:00:00");
    assertThat(AvroColumns.toText(3_600_000_001L, micros)).isEqualTo("01:00:00.000001");
    assertThatThrownBy(() -> AvroColumns.toText(86_400_000_001L, micros))
        .isInstanceOf(java.time.DateTimeException.class);
    assertThatThrownBy(() -> AvroColumns.toText(-1, millis))
        .isInstanceOf(java.time.DateTimeException.class);
    assertThatThrownBy(() -> AvroColumns.toText(ByteBuffer.allocate(0), decimal))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("zero bytes");
  }

  @Test
  void bytesAreHexAndCollectionsAreJson() {
    assertThat(
            AvroColumns.toText(
                ByteBuffer.wrap(new byte[] {1, (byte) 0xff}), Schema.create(Schema.Type.BYTES)))
        .isEqualTo("\\x01ff");
    assertThat(AvroColumns.toText(List.of(1, 2), SchemaBuilder.array().items().intType()))
        .isEqualTo("[1, 2]");
    assertThat(AvroColumns.toText(Map.of("a", "x\"y"), SchemaBuilder.map().values().stringType()))
        .isEqualTo("{\"a\": \"x\\\"y\"}");
    assertThat(AvroColumns.toText(null, SchemaBuilder.builder().nullable().stringType())).isNull();
  }

  @Test
  void aUnionOfTwoTypesHasNoColumnTypeAndTheErrorNamesTableAndColumn() {
    Schema value =
        SchemaBuilder.record("V")
            .fields()
            .name("odd")
            .type()
            .unionOf()
            .intType()
            .and()
            .stringType()
            .endUnion()
            .noDefault()
            .endRecord();
    Schema key = SchemaBuilder.record("K").fields().requiredLong("id").endRecord();

    assertThatThrownBy(() -> AvroColumns.tableSpec("public", "things", key, value))
        .isInstanceOf(UnsupportedSchemaException.class)
        .hasMessageContaining("Table 'things' column 'odd'");
  }

  @Test
  void uuidAndDateAndNullableColumnsMapToTheirTypes() {
    Schema key = SchemaBuilder.record("K").fields().requiredLong("id").endRecord();
    Schema value =
        SchemaBuilder.record("V")
            .fields()
            .name("u")
            .type(logical(Schema.create(Schema.Type.STRING), LogicalTypes.uuid()))
            .noDefault()
            .name("d")
            .type(logical(Schema.create(Schema.Type.INT), LogicalTypes.date()))
            .noDefault()
            .optionalDouble("x")
            .endRecord();

    assertThat(AvroColumns.tableSpec("public", "t", key, value).valueColumns())
        .containsExactly(
            new Column("u", "uuid", false),
            new Column("d", "date", false),
            new Column("x", "double precision", true));
  }
}
