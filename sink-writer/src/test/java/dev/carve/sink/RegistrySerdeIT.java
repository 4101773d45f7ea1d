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
import dev.carve.sink.internal.KafkaClients;
import dev.carve.sink.internal.RegistryUnavailableException;
import dev.carve.sink.internal.Serdes;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
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

  /**
   * Regression: a record whose schema could not be fetched because the registry was unreachable was
   * dead-lettered like a bad record, and its offset committed, so a registry outage emptied whole
   * batches into the failure log.
   */
  @Test
  void anUnreachableRegistryDeadLettersNothingAndCommitsNoOffsetUntilItIsBack() throws Exception {
    String service = "sink_registry_down";
    String topic = service + ".order";
    String dlq = service + ".dlq";
    String schemas = "_schemas_sink_registry_down";
    TestKafka.createTopics(1, true, topic, dlq, schemas);
    TestPostgres.createDatabase(service);
    EmbeddedSchemaRegistry.Options registryOptions =
        EmbeddedSchemaRegistry.Options.kafka(TestKafka.bootstrapServers()).withTopic(schemas);
    String url;
    try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(registryOptions)) {
      url = registry.url();
      Map<String, Object> serdeConfig = Map.of("schema.registry.url", url);
      Serializer<GenericRecord> keys = AvroSerdes.generic(serdeConfig, true).serializer();
      Serializer<GenericRecord> values = AvroSerdes.generic(serdeConfig, false).serializer();
      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
      for (long id = 1; id <= 3; id++) {
        ProducerRecord<byte[], byte[]> r =
            new ProducerRecord<>(
                topic,
                keys.serialize(topic, Orders.key(id)),
                values.serialize(topic, Orders.order(id, "PAID", 100 * id)));
        new SourcePosition(100 + id, 1000 + id).writeTo(r.headers());
        records.add(r);
      }
      produce(records);
    }
    // The registry is gone: its port refuses connections, and the sink's deserializers have
    // cached nothing yet.
    Map<String, Object> raw =
        options(
            service,
            "schema-registry-url",
            url,
            "max-retries",
            "1",
            "retry-backoff",
            "50ms",
            "retry-max-backoff",
            "100ms");
    try (ServiceSink sink = ServiceSink.create(service, SinkOptions.parse(raw))) {
      sink.start();
      await().atMost(Duration.ofSeconds(90)).until(() -> sink.state() == SinkState.FAILED);
      assertThat(sink.failure())
          .isInstanceOf(RegistryUnavailableException.class)
          .hasMessageContaining(topic + "/0@0")
          .hasMessageContaining("schema registry is unavailable");
      assertThat(sink.metrics().deadLettered()).isZero();
      assertThat(sink.metrics().records()).isZero();
      assertThat(sink.metrics().lastError()).contains("schema registry is unavailable");
    }
    assertThat(rows(service, "SELECT count(*) FROM public.carve_failures")).containsExactly("0");
    assertThat(committedOffsets(ServiceSink.groupId(service))).isEmpty();
    assertThat(endOffset(raw, dlq)).isZero();

    int port = URI.create(url).getPort();
    try (EmbeddedSchemaRegistry back =
            EmbeddedSchemaRegistry.start(registryOptions.withAddress("127.0.0.1", port));
        ServiceSink sink = ServiceSink.create(service, SinkOptions.parse(raw))) {
      assertThat(back.url()).isEqualTo(url);
      sink.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 3);
      assertThat(sink.metrics().deadLettered()).isZero();
    }
    assertThat(rows(service, "SELECT order_id, status FROM public.\"order\" ORDER BY 1"))
        .containsExactly("1|PAID", "2|PAID", "3|PAID");
    assertThat(rows(service, "SELECT count(*) FROM public.carve_failures")).containsExactly("0");
    assertThat(committedOffsets(ServiceSink.groupId(service)))
        .containsEntry(new TopicPartition(topic, 0), 3L);
  }

  /**
   * Regression: a registry that refused the sink's credentials (HTTP 401) was taken for a registry
   * that rejected the schema: every record was dead-lettered and its offset committed.
   */
  @Test
  void wrongRegistryCredentialsDeadLetterNothingAndCommitNoOffset() throws Exception {
    String service = "sink_registry_401";
    String topic = service + ".order";
    String dlq = service + ".dlq";
    TestKafka.createTopics(1, true, topic, dlq);
    TestPostgres.createDatabase(service);
    try (EmbeddedSchemaRegistry registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.inMemory().withBasicAuth("carve:s3cret"))) {
      Map<String, Object> serdeConfig =
          Map.of("schema.registry.url", registry.url(), "basic.auth.user.info", "carve:s3cret");
      Serializer<GenericRecord> keys = AvroSerdes.generic(serdeConfig, true).serializer();
      Serializer<GenericRecord> values = AvroSerdes.generic(serdeConfig, false).serializer();
      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
      for (long id = 1; id <= 2; id++) {
        ProducerRecord<byte[], byte[]> r =
            new ProducerRecord<>(
                topic,
                keys.serialize(topic, Orders.key(id)),
                values.serialize(topic, Orders.order(id, "PAID", 100 * id)));
        new SourcePosition(100 + id, 1000 + id).writeTo(r.headers());
        records.add(r);
      }
      produce(records);

      Map<String, Object> raw =
          new HashMap<>(
              options(
                  service,
                  "schema-registry-url",
                  registry.url(),
                  "max-retries",
                  "1",
                  "retry-backoff",
                  "50ms",
                  "retry-max-backoff",
                  "100ms"));
      raw.put("schema-registry-basic-auth-user-info", "carve:rotated");
      try (ServiceSink sink = ServiceSink.create(service, SinkOptions.parse(raw))) {
        sink.start();
        await().atMost(Duration.ofSeconds(90)).until(() -> sink.state() == SinkState.FAILED);
        assertThat(sink.failure())
            .isInstanceOf(RegistryUnavailableException.class)
            .hasMessageContaining(topic + "/0@0")
            .hasMessageContaining("HTTP 401")
            .hasMessageContaining("check basic.auth.user.info")
            .hasMessageNotContaining("rotated");
        assertThat(sink.metrics().deadLettered()).isZero();
        assertThat(sink.metrics().lastError()).contains("HTTP 401");
      }
      assertThat(rows(service, "SELECT count(*) FROM public.carve_failures")).containsExactly("0");
      assertThat(committedOffsets(ServiceSink.groupId(service))).isEmpty();
      assertThat(endOffset(raw, dlq)).isZero();

      raw.put("schema-registry-basic-auth-user-info", "carve:s3cret");
      try (ServiceSink sink = ServiceSink.create(service, SinkOptions.parse(raw))) {
        sink.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 2);
        assertThat(sink.metrics().deadLettered()).isZero();
      }
    }
    assertThat(committedOffsets(ServiceSink.groupId(service)))
        .containsEntry(new TopicPartition(topic, 0), 2L);
  }

  private static Map<TopicPartition, Long> committedOffsets(String group) throws Exception {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers()))) {
      Map<TopicPartition, Long> out = new HashMap<>();
      for (Map.Entry<TopicPartition, OffsetAndMetadata> e :
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet()) {
        if (e.getValue() != null) {
          out.put(e.getKey(), e.getValue().offset());
        }
      }
      return out;
    }
  }

  private static long endOffset(Map<String, Object> raw, String topic) {
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaConsumer<byte[], byte[]> c =
        KafkaClients.consumer(SinkOptions.parse(raw), null, "end-offset-reader")) {
      return c.endOffsets(List.of(tp)).get(tp);
    }
  }
}
