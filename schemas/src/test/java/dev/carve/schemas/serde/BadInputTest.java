package dev.carve.schemas.serde;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.schemas.registry.MockSchemaRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Bad input is refused with a SerializationException naming the topic and what is wrong. */
class BadInputTest {
  private static final Schema SCHEMA =
      SchemaBuilder.record("Line").fields().requiredLong("id").requiredString("sku").endRecord();

  private final String scope = "bad-" + UUID.randomUUID();
  private final Serde<GenericRecord> serde =
      AvroSerdes.generic(Map.of("schema.registry.url", "mock://" + scope), false);

  @AfterEach
  void drop() {
    MockSchemaRegistry.drop(scope);
  }

  private byte[] valid() {
    return serde
        .serializer()
        .serialize(
            "orders.order_line",
            new GenericRecordBuilder(SCHEMA).set("id", 5L).set("sku", "SKU-123456").build());
  }

  @Test
  void unknownMagicByte() {
    byte[] json = "{\"id\":5}".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> serde.deserializer().deserialize("orders.order_line", json))
        .isInstanceOf(SerializationException.class)
        .isInstanceOfSatisfying(
            AvroSerdeException.class,
            e ->
                org.assertj.core.api.Assertions.assertThat(e.problem())
                    .isEqualTo(AvroSerdeException.Problem.UNKNOWN_MAGIC_BYTE))
        .hasMessageContaining("value of a record from topic 'orders.order_line'")
        .hasMessageContaining("unknown magic byte 0x7b")
        .hasMessageContaining("looks like JSON");
  }

  @Test
  void unknownSchemaId() {
    byte[] bytes = valid();
    bytes[4] = 99;

    assertThatThrownBy(() -> serde.deserializer().deserialize("orders.order_line", bytes))
        .isInstanceOfSatisfying(
            AvroSerdeException.class,
            e ->
                org.assertj.core.api.Assertions.assertThat(e.problem())
                    .isEqualTo(AvroSerdeException.Problem.UNKNOWN_SCHEMA_ID))
        .hasMessageContaining("topic 'orders.order_line'")
        .hasMessageContaining("schema id 99 is not in the registry");
  }

  @Test
  void payloadShorterThanTheHeader() {
    assertThatThrownBy(
            () -> serde.deserializer().deserialize("orders.order_line", new byte[] {0, 0, 1}))
        .isInstanceOfSatisfying(
            AvroSerdeException.class,
            e ->
                org.assertj.core.api.Assertions.assertThat(e.problem())
                    .isEqualTo(AvroSerdeException.Problem.TRUNCATED))
        .hasMessageContaining("topic 'orders.order_line'")
        .hasMessageContaining("3 bytes, fewer than the 5 of the wire format header");
  }

  @Test
  void truncatedAvroData() {
    byte[] bytes = valid();
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 4);

    assertThatThrownBy(() -> serde.deserializer().deserialize("orders.order_line", cut))
        .isInstanceOfSatisfying(
            AvroSerdeException.class,
            e ->
                org.assertj.core.api.Assertions.assertThat(e.problem())
                    .isEqualTo(AvroSerdeException.Problem.TRUNCATED))
        .hasMessageContaining("topic 'orders.order_line'")
        .hasMessageContaining("ends before the record is complete");
  }

  @Test
  void bytesLeftOverAfterTheRecord() {
    byte[] bytes = valid();
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 2);

    assertThatThrownBy(() -> serde.deserializer().deserialize("orders.order_line", longer))
        .isInstanceOfSatisfying(
            AvroSerdeException.class,
            e ->
                org.assertj.core.api.Assertions.assertThat(e.problem())
                    .isEqualTo(AvroSerdeException.Problem.INVALID_AVRO))
        .hasMessageContaining("left over");
  }

  // Regression: Avro's BinaryDecoder allocates a string's, bytes' or collection's declared length
  // before it looks at how many bytes remain, so a few malformed bytes ended in an
  // OutOfMemoryError (an Error the stages do not catch) instead of a dead-lettered record.

  private static final Schema WIDE =
      SchemaBuilder.record("Wide")
          .fields()
          .requiredLong("id")
          .name("total")
          .type(LogicalTypes.decimal(12, 2).addToSchema(Schema.create(Schema.Type.BYTES)))
          .noDefault()
          .name("tags")
          .type()
          .array()
          .items()
          .stringType()
          .noDefault()
          .name("nothing")
          .type()
          .array()
          .items()
          .nullType()
          .noDefault()
          .name("note")
          .type()
          .unionOf()
          .nullType()
          .and()
          .stringType()
          .endUnion()
          .noDefault()
          .endRecord();

  /** The wire format header of the schema id that {@code schema} has in the mock registry. */
  private byte[] header(Schema schema) {
    GenericRecordBuilder builder = new GenericRecordBuilder(schema);
    for (Schema.Field field : schema.getFields()) {
      if (!builder.has(field)) {
        builder.set(
            field,
            switch (field.schema().getType()) {
              case LONG -> 1L;
              case STRING -> "x";
              case BYTES -> java.nio.ByteBuffer.wrap(new byte[] {1});
              case ARRAY -> java.util.List.of();
              default -> null;
            });
      }
    }
    byte[] valid = serde.serializer().serialize("orders.order_line", builder.build());
    return Arrays.copyOf(valid, 5);
  }

  private static byte[] concat(byte[] header, int... body) {
    byte[] bytes = Arrays.copyOf(header, header.length + body.length);
    for (int i = 0; i < body.length; i++) {
      bytes[header.length + i] = (byte) body[i];
    }
    return bytes;
  }

  /** Zig-zag varint of 2147483639 (Avro's largest array), as a string, bytes or count length. */
  private static final int[] HUGE = {0xEE, 0xFF, 0xFF, 0xFF, 0x0F};

  private void assertRefused(
      byte[] bytes, AvroSerdeException.Problem problem, String... messageParts) {
    org.assertj.core.api.AbstractThrowableAssert<?, ?> thrown =
        assertThatThrownBy(() -> serde.deserializer().deserialize("orders.order_line", bytes))
            .isInstanceOfSatisfying(
                AvroSerdeException.class,
                e -> org.assertj.core.api.Assertions.assertThat(e.problem()).isEqualTo(problem))
            .hasMessageContaining("topic 'orders.order_line'")
            .hasMessageMatching("(?s).*schema id \\d+.*");
    for (String part : messageParts) {
      thrown.hasMessageContaining(part);
    }
  }

  @Test
  void oversizeStringLengthIsRefusedWithoutAllocatingIt() {
    byte[] bytes = concat(header(SCHEMA), 0x0A);
    byte[] withLength = concat(bytes, HUGE);

    assertRefused(
        withLength,
        AvroSerdeException.Problem.TRUNCATED,
        "field 'sku'",
        "string of 2147483639 bytes",
        "only 0 bytes remain");
  }

  @Test
  void oversizeBytesLengthOfADecimalIsRefused() {
    byte[] bytes = concat(header(WIDE), 0x02);
    byte[] withLength = concat(bytes, HUGE);

    assertRefused(
        withLength,
        AvroSerdeException.Problem.TRUNCATED,
        "field 'total'",
        "2147483639 bytes",
        "only 0 bytes remain");
  }

  @Test
  void oversizeArrayCountIsRefused() {
    // id 1, total 1 byte, then a block of 2147483639 strings with nothing after it
    byte[] bytes = concat(concat(header(WIDE), 0x02, 0x02, 0x07), HUGE);

    assertRefused(
        bytes,
        AvroSerdeException.Problem.INVALID_AVRO,
        "field 'tags'",
        "2147483639 items",
        "0 bytes remain");
  }

  @Test
  void arrayOfZeroByteItemsIsCapped() {
    // id 1, total 1 byte, no tags, then 2147483639 nulls: they take no bytes at all
    byte[] bytes = concat(concat(header(WIDE), 0x02, 0x02, 0x07, 0x00), HUGE);

    assertRefused(
        concat(bytes, 0x00, 0x00),
        AvroSerdeException.Problem.INVALID_AVRO,
        "field 'nothing'",
        "2147483639 items");
  }

  @Test
  void unionIndexOutOfRangeIsRefused() {
    // id 1, total 1 byte, no tags, no nulls, then union index 5 of a 2-branch union
    byte[] bytes = concat(header(WIDE), 0x02, 0x02, 0x07, 0x00, 0x00, 0x0A);

    assertRefused(
        bytes,
        AvroSerdeException.Problem.INVALID_AVRO,
        "field 'note'",
        "union index 5",
        "2 branches");
  }

  @Test
  void negativeStringLengthIsRefused() {
    byte[] bytes = concat(header(SCHEMA), 0x0A, 0x01);

    assertRefused(
        bytes, AvroSerdeException.Problem.INVALID_AVRO, "field 'sku'", "negative length -1");
  }

  @Test
  void bodyCutInsideAVarintIsTruncated() {
    byte[] bytes = concat(header(SCHEMA), 0x8A);

    assertRefused(bytes, AvroSerdeException.Problem.TRUNCATED, "field 'id'", "ends inside a long");
  }

  @Test
  void validRecordOfEveryCheckedTypeStillReads() {
    GenericRecord record =
        new GenericRecordBuilder(WIDE)
            .set("id", 7L)
            .set("total", java.nio.ByteBuffer.wrap(new byte[] {1, 2}))
            .set("tags", java.util.List.of("a", "bc"))
            .set("nothing", Arrays.asList(null, null, null))
            .set("note", "hi")
            .build();
    byte[] bytes = serde.serializer().serialize("orders.order_line", record);

    org.assertj.core.api.Assertions.assertThat(
            serde.deserializer().deserialize("orders.order_line", bytes))
        .isEqualTo(record);
  }

  @Test
  void recordThatDoesNotFitItsSchema() {
    GenericRecord broken = new GenericRecordBuilder(SCHEMA).set("id", 1L).set("sku", "x").build();
    broken.put("sku", 12);

    assertThatThrownBy(() -> serde.serializer().serialize("orders.order_line", broken))
        .isInstanceOfSatisfying(
            AvroSerdeException.class,
            e ->
                org.assertj.core.api.Assertions.assertThat(e.problem())
                    .isEqualTo(AvroSerdeException.Problem.INVALID_RECORD))
        .hasMessageContaining("topic 'orders.order_line'")
        .hasMessageContaining("does not fit its schema");
  }
}
