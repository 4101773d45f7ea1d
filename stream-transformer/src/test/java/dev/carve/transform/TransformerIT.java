package dev.carve.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.carve.core.CarveHeaders;
import dev.carve.core.SourcePosition;
import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.testkit.TestKafka;
import dev.carve.transform.api.LegacyKeys;
import dev.carve.transform.demo.BillingTopology;
import dev.carve.transform.keys.KeyRegistry;
import dev.carve.transform.mapping.CustomersMappingTest;
import dev.carve.transform.mapping.MappingLoader;
import dev.carve.transform.testing.Debezium;
import dev.carve.transform.testing.Harness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The customers and orders services on a real broker, fed with raw Debezium JSON. */
@Timeout(240)
class TransformerIT {
  private static final String PREFIX = "transformit";
  private static final String BILLING_PREFIX = "transformitbilling";
  private static final String FAIL_PREFIX = "transformitfail";
  private static final String TWO_LINES =
      "[{\"sku\":\"SKU-1\",\"qty\":2,\"unit_price\":\"12.50\"},"
          + "{\"sku\":\"SKU-2\",\"qty\":1,\"unit_price\":\"5.00\"}]";
  private static String bootstrap;
  private static EmbeddedSchemaRegistry registry;

  @BeforeAll
  static void broker() {
    bootstrap = TestKafka.bootstrapServers();
    registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.kafka(bootstrap).withTopic("_schemas_transformer_it"));
    TestKafka.createTopics(
        1,
        true,
        PREFIX + ".public.customers",
        PREFIX + ".public.addresses",
        PREFIX + ".public.orders",
        BILLING_PREFIX + ".public.orders",
        BILLING_PREFIX + ".public.payments",
        FAIL_PREFIX + ".public.customers");
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  private static TransformerOptions options(String service) throws Exception {
    Path state = Files.createTempDirectory("carve-it-" + service);
    return TransformerOptions.of(bootstrap, registry.url())
        .withRawTopicPrefix(PREFIX)
        .withStateDir(state)
        .withKafkaProperties(
            // A closed Streams member does not leave its group: keep the wait for it short.
            Map.of("commit.interval.ms", "100", "consumer.session.timeout.ms", "6000"));
  }

  private static void produce(String table, String key, String value) throws Exception {
    produce(PREFIX, table, key, value);
  }

  private static void produce(String prefix, String table, String key, String value)
      throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(prefix + ".public." + table, key, value)).get();
    }
  }

  private static Map<String, Object> order(String ref, String status, String blob) {
    return Debezium.row(
        "order_ref", ref,
        "cust_no", "C00000042",
        "order_date", "2019-03-21 14:05:09",
        "status", status,
        "total_amount", "30.00",
        "currency", "EUR",
        "lines_blob", blob,
        "ship_to", "Anna Schmidt|Hauptstr. 1|Berlin|10115|DE",
        "deleted_flag", "N",
        "updated_at", 1L);
  }

  private static final class Reader implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();

    Reader(String topic) {
      consumer = TestKafka.committedReader("transformer-it-" + topic, topic);
    }

    List<ConsumerRecord<byte[], byte[]>> awaitCount(int n) {
      await()
          .atMost(Duration.ofSeconds(90))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= n;
              });
      return records;
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  private static GenericRecord avro(String topic, byte[] bytes) {
    return AvroSerdes.generic(Map.of("schema.registry.url", registry.url()), false)
        .deserializer()
        .deserialize(topic, bytes);
  }

  @Test
  void servicesReshapeRawChangesOnRealKafkaAndResumeAfterARestart() throws Exception {
    produce(
        "customers",
        Debezium.key("cust_no", "C00000042"),
        Debezium.read("customers", CustomersMappingTest.customer("C00000042", "A", "N", "n")));
    produce(
        "customers",
        Debezium.key("cust_no", "C99"),
        Debezium.create("customers", CustomersMappingTest.customer("C99", "Q", "N", "n"), 500));
    produce(
        "orders",
        Debezium.key("order_ref", "ORD-1"),
        Debezium.read("orders", order("ORD-1", "N", TWO_LINES)));

    TransformerRuntime customers =
        TransformerRuntime.create(
            MappingLoader.load(Harness.topologyFile("customers")), options("customers"));
    TransformerRuntime orders =
        TransformerRuntime.create(
            MappingLoader.load(Harness.topologyFile("orders")), options("orders"));
    try (Reader customerTopic = new Reader("customers.customer");
        Reader dlq = new Reader("customers.dlq");
        Reader orderTopic = new Reader("orders.order");
        Reader lineTopic = new Reader("orders.order_line")) {
      customers.start();
      orders.start();
      assertThat(customers.awaitRunning(Duration.ofSeconds(90))).isTrue();
      assertThat(orders.awaitRunning(Duration.ofSeconds(90))).isTrue();

      ConsumerRecord<byte[], byte[]> c = customerTopic.awaitCount(1).get(0);
      ConsumerRecord<byte[], byte[]> o = orderTopic.awaitCount(1).get(0);
      long customerId = (Long) avro("customers.customer", c.key()).get("customer_id");
      assertThat(customerId).isEqualTo(LegacyKeys.allocate("customer", "C00000042"));
      assertThat(avro("orders.order", o.value()).get("customer_id")).isEqualTo(customerId);
      assertThat(SourcePosition.readFrom(o.headers())).isEqualTo(SourcePosition.SNAPSHOT);
      assertThat(lineTopic.awaitCount(2)).hasSize(2);
      // Both services recorded the customer's key in the shared, compacted key registry.
      try (Reader keys = new Reader(KeyRegistry.DEFAULT_TOPIC)) {
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    keys.awaitCount(1).stream()
                        .anyMatch(
                            r ->
                                new String(r.key(), StandardCharsets.UTF_8)
                                        .equals("customer/C00000042")
                                    && new String(r.value(), StandardCharsets.UTF_8)
                                        .equals(Long.toString(customerId))));
      }
      try (Admin admin = Admin.create(TestKafka.adminProperties())) {
        ConfigResource topic =
            new ConfigResource(ConfigResource.Type.TOPIC, KeyRegistry.DEFAULT_TOPIC);
        assertThat(
                admin
                    .describeConfigs(List.of(topic))
                    .all()
                    .get()
                    .get(topic)
                    .get(TopicConfig.CLEANUP_POLICY_CONFIG)
                    .value())
            .isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
      }

      ConsumerRecord<byte[], byte[]> letter = dlq.awaitCount(1).get(0);
      assertThat(new String(letter.key(), StandardCharsets.UTF_8)).contains("C99");
      assertThat(
              new String(
                  letter.headers().lastHeader(CarveHeaders.DLQ_ERROR).value(),
                  StandardCharsets.UTF_8))
          .contains("unknown code 'Q'");
      assertThat(customers.metrics().deadLettered()).isEqualTo(1);
      assertThat(customers.state()).isEqualTo(TransformerRuntime.State.RUNNING);

      orders.close(Duration.ofSeconds(30));
      assertThat(orders.state()).isEqualTo(TransformerRuntime.State.STOPPED);

      // A new runtime of the same application resumes from its committed offsets and state, so
      // the line that disappears from the blob of ORD-1 is deleted.
      produce(
          "orders",
          Debezium.key("order_ref", "ORD-1"),
          Debezium.update(
              "orders",
              order("ORD-1", "P", "[{\"sku\":\"SKU-1\",\"qty\":3,\"unit_price\":\"12.50\"}]"),
              900));
      TransformerRuntime restarted =
          TransformerRuntime.create(
              MappingLoader.load(Harness.topologyFile("orders")), options("orders-restarted"));
      try {
        restarted.start();
        List<ConsumerRecord<byte[], byte[]>> lines = lineTopic.awaitCount(4);
        assertThat(avro("orders.order_line", lines.get(2).value()).get("quantity")).isEqualTo(3);
        assertThat(avro("orders.order_line", lines.get(3).key()).get("line_no")).isEqualTo(2);
        assertThat(lines.get(3).value()).isNull();
        assertThat(restarted.metrics().recordsIn()).isEqualTo(1);
      } finally {
        restarted.close(Duration.ofSeconds(30));
      }
    } finally {
      customers.close(Duration.ofSeconds(30));
      orders.close(Duration.ofSeconds(30));
    }
  }

  @Test
  void billingJoinsOrdersWithTheirPaymentsOnRealKafka() throws Exception {
    produce(
        BILLING_PREFIX,
        "orders",
        Debezium.key("order_ref", "ORD-B1"),
        Debezium.create("orders", order("ORD-B1", "N", "[]"), 1000));
    produce(
        BILLING_PREFIX,
        "payments",
        Debezium.key("payment_id", 77),
        Debezium.create(
            "payments",
            Debezium.row(
                "payment_id", 77,
                "order_ref", "ORD-B1",
                "amount", "30.00",
                "currency", "EUR",
                "method", "CC",
                "paid_at", 1L,
                "status", "A"),
            1010));
    long invoiceId = LegacyKeys.allocate("order", "ORD-B1");
    try (TransformerRuntime billing =
            TransformerRuntime.create(
                TransformerRuntime.loadTopology(BillingTopology.class.getName()),
                options("billing").withRawTopicPrefix(BILLING_PREFIX));
        Reader invoices = new Reader("billing.invoice")) {
      billing.start();
      await()
          .atMost(Duration.ofSeconds(90))
          .until(
              () -> {
                invoices.awaitCount(1);
                return invoices.records.stream()
                    .map(r -> avro("billing.invoice", r.value()))
                    .anyMatch(
                        v ->
                            v != null
                                && v.get("invoice_id").equals(invoiceId)
                                && v.get("status").toString().equals("PAID"));
              });
      GenericRecord paid =
          invoices.records.stream()
              .map(r -> avro("billing.invoice", r.value()))
              .filter(v -> v != null && v.get("invoice_id").equals(invoiceId))
              .reduce((a, b) -> b)
              .orElseThrow();
      assertThat(paid.get("gross_cents")).isEqualTo(3000L);
      assertThat(paid.get("net_cents")).isEqualTo(2500L);
      assertThat(paid.get("vat_cents")).isEqualTo(500L);
      assertThat(paid.get("paid_cents")).isEqualTo(3000L);
      assertThat(billing.state()).isEqualTo(TransformerRuntime.State.RUNNING);
    }
  }

  @Test
  void onErrorFailStopsTheServiceBeforeCommittingTheBadChange() throws Exception {
    produce(
        FAIL_PREFIX,
        "customers",
        Debezium.key("cust_no", "C13"),
        Debezium.create("customers", CustomersMappingTest.customer("C13", "Q", "N", null), 100));
    TransformerRuntime customers =
        TransformerRuntime.create(
            MappingLoader.load(Harness.topologyFile("customers")),
            options("customers-fail")
                .withRawTopicPrefix(FAIL_PREFIX)
                .withOnError(dev.carve.core.error.OnError.FAIL));
    try {
      customers.start();
      await()
          .atMost(Duration.ofSeconds(90))
          .until(() -> customers.state() == TransformerRuntime.State.FAILED);
      assertThat(customers.failure())
          .hasStackTraceContaining("unknown code 'Q'")
          .hasStackTraceContaining(FAIL_PREFIX + ".public.customers-0@0");
      assertThat(customers.metrics().deadLettered()).isZero();
    } finally {
      customers.close(Duration.ofSeconds(30));
    }
    assertThat(customers.state()).isEqualTo(TransformerRuntime.State.FAILED);
  }

  @Test
  void keyRegistryTopicThatIsNotCompactedIsRefusedAtStart() throws Exception {
    String topic = "transformit-keys-delete";
    TestKafka.createTopics(1, false, topic);
    TransformerRuntime customers =
        TransformerRuntime.create(
            MappingLoader.load(Harness.topologyFile("customers")),
            options("customers-keys-delete").withKeyRegistryTopic(topic));
    try {
      assertThatThrownBy(customers::start)
          .hasStackTraceContaining("key registry topic '" + topic + "'")
          .hasStackTraceContaining("cleanup.policy=delete")
          .hasStackTraceContaining("--add-config cleanup.policy=compact");
      assertThat(customers.state()).isEqualTo(TransformerRuntime.State.FAILED);
    } finally {
      customers.close(Duration.ofSeconds(30));
    }
  }

  @Test
  void allocationOutsideAMappingStepStopsTheServiceNamingIt() throws Exception {
    String prefix = "transformitunbound";
    TestKafka.createTopics(1, true, prefix + ".public.things");
    produce(prefix, "things", "{\"id\":1}", "{}");
    // A team's own processor allocating a key: the key registry is not bound there, so the key
    // could silently differ from the one recorded for the value.
    dev.carve.transform.api.DomainTopology own =
        new dev.carve.transform.api.DomainTopology() {
          @Override
          public String service() {
            return "unbound";
          }

          @Override
          public void define(
              org.apache.kafka.streams.StreamsBuilder builder,
              dev.carve.transform.api.TopologyContext ctx) {
            builder.stream(
                    ctx.rawTopic("things"),
                    org.apache.kafka.streams.kstream.Consumed.with(
                            org.apache.kafka.common.serialization.Serdes.String(),
                            org.apache.kafka.common.serialization.Serdes.String())
                        .withName("unbound-source"))
                .mapValues(
                    v -> Long.toString(LegacyKeys.allocate("thing", v)),
                    org.apache.kafka.streams.kstream.Named.as("unbound-allocate"))
                .to(
                    ctx.deadLetterTopic(),
                    org.apache.kafka.streams.kstream.Produced.with(
                            org.apache.kafka.common.serialization.Serdes.String(),
                            org.apache.kafka.common.serialization.Serdes.String())
                        .withName("unbound-sink"));
          }
        };
    TransformerRuntime runtime =
        TransformerRuntime.create(own, options("unbound").withRawTopicPrefix(prefix));
    try {
      runtime.start();
      await()
          .atMost(Duration.ofSeconds(90))
          .until(() -> runtime.state() == TransformerRuntime.State.FAILED);
      assertThat(runtime.failure())
          .hasStackTraceContaining(
              "LegacyKeys.allocate(\"thing\", ...) was called on stream thread")
          .hasStackTraceContaining("allocate new keys in the TableMapper");
    } finally {
      runtime.close(Duration.ofSeconds(30));
    }
  }
}
