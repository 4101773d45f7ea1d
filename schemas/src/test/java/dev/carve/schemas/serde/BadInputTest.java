package dev.carve.schemas.serde;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.schemas.registry.MockSchemaRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
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
