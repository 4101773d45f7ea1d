package dev.carve.sink;

import static dev.carve.sink.SinkTestSupport.options;
import static dev.carve.sink.SinkTestSupport.produce;
import static dev.carve.sink.SinkTestSupport.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.carve.core.SourcePosition;
import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.sink.internal.Serdes;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The sink with carve-schemas' Avro serde and the embedded schema registry (no test serde). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RegistrySerdeIT {
  @Test
  void aSinkBuiltFromTheRegistryUrlWritesConfluentWireFormatRecords() {
    String service = "sink_registry";
    String topic = service + ".order";
    TestKafka.createTopics(1, true, topic, service + ".dlq", "_schemas_sink_registry");
    TestPostgres.createDatabase(service);
    try (EmbeddedSchemaRegistry registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.kafka(TestKafka.bootstrapServers())
                .withTopic("_schemas_sink_registry"))) {
      Map<String, Object> serdeConfig = Map.of("schema.registry.url", registry.url());
      Serializer<GenericRecord> keys = AvroSerdes.generic(serdeConfig, true).serializer();
      Serializer<GenericRecord> values = AvroSerdes.generic(serdeConfig, false).serializer();
      ProducerRecord<byte[], byte[]> upsert =
          new ProducerRecord<>(
              topic,
              keys.serialize(topic, Orders.key(7)),
              values.serialize(topic, Orders.order(7, "PAID", 1999)));
      new SourcePosition(100, 101).writeTo(upsert.headers());
      ProducerRecord<byte[], byte[]> older =
          new ProducerRecord<>(
              topic,
              keys.serialize(topic, Orders.key(7)),
              values.serialize(topic, Orders.order(7, "NEW", 1)));
      new SourcePosition(90, 91).writeTo(older.headers());
      produce(List.of(upsert, older));

      SinkOptions options =
          SinkOptions.parse(options(service, "schema-registry-url", registry.url()));
      try (ServiceSink sink = ServiceSink.create(service, options)) {
        sink.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 2);
      }
    }
    assertThat(
            rows(
                service,
                "SELECT order_id, status, total, ordered_at AT TIME ZONE 'UTC' FROM public.\"order\""))
        .containsExactly("7|PAID|19.99|2023-11-14 22:13:20.123456");
  }

  /**
   * Regression: the deserializers the sink builds from its options (used by {@code carve dlq retry}
   * and {@code carve replay}) did not pass the registry's basic authentication.
   */
  @Test
  void deserializersBuiltFromOptionsAuthenticateToTheRegistry() {
    String service = "sink_registry_auth";
    String topic = service + ".order";
    try (EmbeddedSchemaRegistry registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.inMemory().withBasicAuth("carve:s3cret"))) {
      Map<String, Object> serdeConfig =
          Map.of(
              "schema.registry.url",
              registry.url(),
              "basic.auth.credentials.source",
              "USER_INFO",
              "basic.auth.user.info",
              "carve:s3cret");
      byte[] value =
          AvroSerdes.generic(serdeConfig, false)
              .serializer()
              .serialize(topic, Orders.order(8, "PAID", 500));

      Map<String, Object> raw =
          new HashMap<>(options(service, "schema-registry-url", registry.url()));
      raw.put("schema-registry-basic-auth-user-info", "carve:s3cret");
      Deserializer<GenericRecord> authenticated =
          Serdes.deserializer(service, SinkOptions.parse(raw), false);
      assertThat(authenticated.deserialize(topic, value).get("status").toString())
          .isEqualTo("PAID");
      assertThat(SinkOptions.parse(raw).toString()).doesNotContain("s3cret");

      Deserializer<GenericRecord> anonymous =
          Serdes.deserializer(
              service,
              SinkOptions.parse(options(service, "schema-registry-url", registry.url())),
              false);
      assertThatThrownBy(() -> anonymous.deserialize(topic, value)).hasMessageContaining("401");
    }
  }
}
