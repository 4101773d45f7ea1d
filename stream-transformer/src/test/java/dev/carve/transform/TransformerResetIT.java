package dev.carve.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.testkit.TestKafka;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.api.TopologyContext;
import dev.carve.transform.keys.KeyRegistry;
import dev.carve.transform.mapping.MappingLoader;
import dev.carve.transform.mapping.SchemaResolver;
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
import java.util.Set;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A changed mapping re-applied to every row: the orders mapping (with its foreign-key join and
 * exploded lines) runs, stops, is reset, and its changed version maps every raw change again into
 * fresh domain topics, on a real broker.
 */
@Timeout(300)
class TransformerResetIT {
  private static final String PREFIX = "transformitreset";
  private static final String SERVICE = "resetorders";
  private static final String APP = "carve-" + SERVICE;
  private static final String KEYS = PREFIX + ".legacy-keys";
  private static final String LINES =
      "[{\"sku\":\"SKU-1\",\"qty\":2,\"unit_price\":\"12.50\"},"
          + "{\"sku\":\"SKU-2\",\"qty\":1,\"unit_price\":\"5.00\"}]";
  private static final SchemaResolver SCHEMAS =
      SchemaResolver.classpathThenDirectories(List.of(Path.of("../schemas")));
  private static String bootstrap;
  private static EmbeddedSchemaRegistry registry;

  @BeforeAll
  static void broker() throws Exception {
    bootstrap = TestKafka.bootstrapServers();
    registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.kafka(bootstrap).withTopic("_schemas_reset_it"));
    TestKafka.createTopics(1, true, PREFIX + ".public.orders", PREFIX + ".public.addresses", KEYS);
    // ORD-R1's key was recorded before (by an earlier version of the mapping, or imported): it is
    // not its proposal, so only the registry can give it back after the reset.
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(KEYS, "order/ORD-R1", "101")).get();
    }
    produce(
        "addresses",
        Debezium.key("addr_id", 1),
        Debezium.read(
            "addresses",
            Debezium.row(
                "addr_id",
                1,
                "cust_no",
                "C00000042",
                "addr_type",
                "B",
                "line1",
                "Main St 1",
                "line2",
                null,
                "city",
                "Berlin",
                "zip",
                "10115",
                "country_code",
                "DE")));
    for (String ref : List.of("ORD-R1", "ORD-R2")) {
      produce("orders", Debezium.key("order_ref", ref), Debezium.read("orders", order(ref)));
    }
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  private static Map<String, Object> order(String ref) {
    return Debezium.row(
        "order_ref", ref,
        "cust_no", "C00000042",
        "order_date", "2019-03-21 14:05:09",
        "status", "N",
        "total_amount", "30.00",
        "currency", "EUR",
        "lines_blob", LINES,
        "ship_to", "Anna Schmidt|Hauptstr. 1|Berlin|10115|DE",
        "deleted_flag", "N",
        "updated_at", 1L);
  }

  private static void produce(String table, String key, String value) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(PREFIX + ".public." + table, key, value)).get();
    }
  }

  /** The orders mapping as service {@value #SERVICE}; {@code upperCity} changes one field. */
  private static DomainTopology orders(boolean upperCity) throws Exception {
    String yaml = Files.readString(Harness.topologyFile("orders"));
    String city =
        "ship_city: {column: ship_to, split: \"|\", part: 3, convert: [trim, empty-null]}";
    assertThat(yaml).contains(city);
    if (upperCity) {
      yaml =
          yaml.replace(
              city,
              "ship_city: {column: ship_to, split: \"|\", part: 3,"
                  + " convert: [trim, upper, empty-null]}");
    }
    DomainTopology loaded = MappingLoader.parse(yaml, "orders.yaml", SCHEMAS);
    return new DomainTopology() {
      @Override
      public String service() {
        return SERVICE;
      }

      @Override
      public void define(StreamsBuilder builder, TopologyContext ctx) {
        loaded.define(builder, ctx);
      }
    };
  }

  private static TransformerRuntime runtime(DomainTopology topology, Path state) {
    return TransformerRuntime.create(
        topology,
        TransformerOptions.of(bootstrap, registry.url())
            .withRawTopicPrefix(PREFIX)
            .withKeyRegistryTopic(KEYS)
            .withStateDir(state)
            .withKafkaProperties(
                Map.of("commit.interval.ms", "100", "consumer.session.timeout.ms", "6000")));
  }

  /** The committed records of {@code topic} once it holds {@code n}, and a while longer. */
  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int n) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = TestKafka.committedReader("reset-it", topic)) {
      await()
          .atMost(Duration.ofSeconds(120))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= n;
              });
      long until = System.currentTimeMillis() + 2_000;
      while (System.currentTimeMillis() < until) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  /** Distinct keys of {@code topic} once it holds at least {@code n} records. */
  private static Set<String> keys(String topic, int n) {
    return readAll(topic, n).stream()
        .map(r -> java.util.Arrays.toString(r.key()))
        .collect(java.util.stream.Collectors.toSet());
  }

  /** The ship_city of every order record (the join may map an order twice: before and after). */
  private static List<String> cities() {
    return readAll(SERVICE + ".order", 2).stream()
        .map(
            r ->
                (GenericRecord)
                    AvroSerdes.generic(Map.of("schema.registry.url", registry.url()), false)
                        .deserializer()
                        .deserialize(SERVICE + ".order", r.value()))
        .map(v -> String.valueOf(v.get("ship_city")))
        .toList();
  }

  /** The order_id of every order record. */
  private static Set<Object> orderIds() {
    return readAll(SERVICE + ".order", 2).stream()
        .map(
            r ->
                ((GenericRecord)
                        AvroSerdes.generic(Map.of("schema.registry.url", registry.url()), true)
                            .deserializer()
                            .deserialize(SERVICE + ".order", r.key()))
                    .get("order_id"))
        .collect(java.util.stream.Collectors.toSet());
  }

  /** The key registry's records (key → value, in order). */
  private static List<String> registry() {
    return readAll(KEYS, 1).stream()
        .map(
            r ->
                new String(r.key(), StandardCharsets.UTF_8)
                    + "="
                    + new String(r.value(), StandardCharsets.UTF_8))
        .toList();
  }

  private static Set<String> topics() throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      return admin.listTopics().names().get();
    }
  }

  @Test
  void resetMapsEveryRawChangeAgainWithTheChangedMappingIntoFreshDomainTopics() throws Exception {
    Path state = Files.createTempDirectory("carve-reset-it");
    TransformerRuntime first = runtime(orders(false), state);
    first.start();
    assertThat(first.awaitRunning(Duration.ofSeconds(120))).isTrue();
    assertThat(cities()).containsOnly("Berlin");
    assertThat(keys(SERVICE + ".order", 2)).hasSize(2);
    assertThat(keys(SERVICE + ".order_line", 4)).hasSize(4);
    long r2 = KeyRegistry.proposal("order", "ORD-R2");
    assertThat(orderIds()).containsExactlyInAnyOrder(101L, r2);
    List<String> recorded = registry();
    assertThat(recorded)
        .containsExactlyInAnyOrder(
            "order/ORD-R1=101",
            "order/ORD-R2=" + r2,
            "customer/C00000042=" + KeyRegistry.proposal("customer", "C00000042"));
    first.close(Duration.ofSeconds(30));

    TransformerReset reset = new TransformerReset(runtime(orders(true), state));
    // A closed Streams member stays in its group until its session times out (6 s here).
    await().atMost(Duration.ofSeconds(60)).until(() -> reset.plan(List.of()).idle());
    TransformerReset.Plan plan = reset.plan(List.of("reset-it-sink"));
    assertThat(plan.groupExists()).isTrue();
    assertThat(plan.idle()).isTrue();
    assertThat(plan.internalTopics())
        .contains(
            APP + "-" + SERVICE + "-orders-rows-changelog",
            APP + "-" + SERVICE + "-orders-index-changelog",
            APP + "-" + SERVICE + "-orders-replica-changelog",
            APP + "-" + SERVICE + "-orders-lookup-changelog",
            APP + "-" + SERVICE + "-addresses-by-orders-repartition",
            APP + "-" + SERVICE + "-orders-broadcast-repartition")
        .allSatisfy(t -> assertThat(t).startsWith(APP + "-" + SERVICE + "-"));
    assertThat(plan.domainTopics()).containsExactly(SERVICE + ".order", SERVICE + ".order_line");
    assertThat(plan.localState()).isEqualTo(state.toAbsolutePath().resolve(APP));
    assertThat(plan.describe()).contains("consumer group " + APP, SERVICE + ".order_line");

    // A reader of the domain topics (the service's sink) still connected: nothing is deleted.
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "reset-it-sink");
    try (KafkaConsumer<byte[], byte[]> sink =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      sink.subscribe(List.of(SERVICE + ".order"));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                sink.poll(Duration.ofMillis(200));
                return !sink.assignment().isEmpty();
              });
      assertThatThrownBy(() -> reset.run(List.of("reset-it-sink"), Duration.ofSeconds(60)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("consumer group reset-it-sink (1 member(s))")
          .hasMessageContaining("stop the service's transformer and sink first");
      assertThat(topics()).contains(SERVICE + ".order");
    }

    TransformerReset.Plan done = reset.run(List.of("reset-it-sink"), Duration.ofSeconds(60));
    assertThat(done.domainTopics()).hasSize(2);
    Set<String> after = topics();
    assertThat(after).doesNotContainAnyElementsOf(plan.internalTopics());
    assertThat(after).doesNotContain(SERVICE + ".order", SERVICE + ".order_line");
    assertThat(after).contains(PREFIX + ".public.orders", SERVICE + ".dlq");
    assertThat(state.resolve(APP)).doesNotExist();
    assertThat(reset.plan(List.of()).groupExists()).isFalse();

    // The changed mapping, from the earliest raw offset, into new domain topics: no record of the
    // old mapping is left, every row is there.
    TransformerRuntime second = runtime(orders(true), state);
    second.start();
    try {
      assertThat(second.awaitRunning(Duration.ofSeconds(120))).isTrue();
      assertThat(cities()).containsOnly("BERLIN");
      assertThat(keys(SERVICE + ".order", 2)).hasSize(2);
      assertThat(keys(SERVICE + ".order_line", 4)).hasSize(4);
      // The replay took every key from the registry: the same keys, nothing allocated again.
      assertThat(orderIds()).containsExactlyInAnyOrder(101L, r2);
      assertThat(after).contains(KEYS);
      assertThat(registry()).containsExactlyElementsOf(recorded);
    } finally {
      second.close(Duration.ofSeconds(30));
    }
  }
}
