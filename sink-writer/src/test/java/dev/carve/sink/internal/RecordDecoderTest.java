package dev.carve.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.SourcePosition;
import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.sink.Orders;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The decoder with carve-schemas' deserializers on the embedded registry over HTTP. */
@Timeout(60)
class RecordDecoderTest {
  private static final String TOPIC = "decoder.order";
  private static EmbeddedSchemaRegistry registry;
  private static ConsumerRecord<byte[], byte[]> record;

  @BeforeAll
  static void start() {
    registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.inMemory().withBasicAuth("carve:s3cret"));
    Map<String, Object> right =
        Map.of("schema.registry.url", registry.url(), "basic.auth.user.info", "carve:s3cret");
    Serializer<GenericRecord> keys = AvroSerdes.generic(right, true).serializer();
    Serializer<GenericRecord> values = AvroSerdes.generic(right, false).serializer();
    RecordHeaders headers = new RecordHeaders();
    new SourcePosition(100, 101).writeTo(headers);
    record =
        new ConsumerRecord<>(
            TOPIC,
            0,
            5,
            0L,
            TimestampType.CREATE_TIME,
            0,
            0,
            keys.serialize(TOPIC, Orders.key(7)),
            values.serialize(TOPIC, Orders.order(7, "PAID", 1999)),
            headers,
            Optional.empty());
  }

  @AfterAll
  static void stop() {
    registry.close();
  }

  private static RecordDecoder decoder(Map<String, Object> config) {
    Deserializer<GenericRecord> keys = AvroSerdes.generic(config, true).deserializer();
    Deserializer<GenericRecord> values = AvroSerdes.generic(config, false).deserializer();
    return new RecordDecoder(Map.of(TOPIC, "order"), keys, values);
  }

  @Test
  void rightCredentialsDecode() throws Exception {
    ChangeRecord decoded =
        decoder(
                Map.of(
                    "schema.registry.url", registry.url(), "basic.auth.user.info", "carve:s3cret"))
            .decode(record);

    assertThat(decoded.value().get("status").toString()).isEqualTo("PAID");
  }

  // Regression: a 401 from the registry (rotated credentials) was SCHEMA_REJECTED, so every
  // record became a BadRecordException, was dead-lettered and had its offset committed.
  @Test
  void wrongRegistryCredentialsAreNoBadRecord() {
    RecordDecoder rotated =
        decoder(
            Map.of("schema.registry.url", registry.url(), "basic.auth.user.info", "carve:rotated"));

    assertThatThrownBy(() -> rotated.decode(record))
        .isInstanceOf(RegistryUnavailableException.class)
        .hasMessageContaining(TOPIC + "/0@5")
        .hasMessageContaining(registry.url())
        .hasMessageContaining("HTTP 401")
        .hasMessageContaining("check basic.auth.user.info")
        .hasMessageNotContaining("s3cret")
        .hasMessageNotContaining("rotated");
  }

  // Regression: a 404 of no registry endpoint (a wrong path in schema.registry.url) dead-lettered
  // every record.
  @Test
  void aWrongRegistryPathIsNoBadRecord() {
    RecordDecoder wrongPath =
        decoder(
            Map.of(
                "schema.registry.url",
                registry.url() + "/registry",
                "basic.auth.user.info",
                "carve:s3cret"));

    assertThatThrownBy(() -> wrongPath.decode(record))
        .isInstanceOf(RegistryUnavailableException.class)
        .hasMessageContaining("HTTP 404")
        .hasMessageContaining("check schema.registry.url");
  }

  @Test
  void anUnknownSchemaIdIsStillABadRecord() {
    byte[] value = record.value().clone();
    value[1] = 0x7f;
    ConsumerRecord<byte[], byte[]> unknown =
        new ConsumerRecord<>(
            TOPIC,
            0,
            6,
            0L,
            TimestampType.CREATE_TIME,
            0,
            0,
            record.key(),
            value,
            record.headers(),
            Optional.empty());

    assertThatThrownBy(
            () ->
                decoder(
                        Map.of(
                            "schema.registry.url",
                            registry.url(),
                            "basic.auth.user.info",
                            "carve:s3cret"))
                    .decode(unknown))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("not in the registry");
  }
}
