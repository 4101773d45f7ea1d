package dev.carve.sink;

import static dev.carve.sink.SinkTestSupport.options;
import static dev.carve.sink.SinkTestSupport.produce;
import static dev.carve.sink.SinkTestSupport.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.carve.core.SourcePosition;
import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
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
}
