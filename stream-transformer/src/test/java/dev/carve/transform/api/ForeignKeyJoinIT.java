package dev.carve.transform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.testkit.TestKafka;
import dev.carve.transform.TransformerOptions;
import dev.carve.transform.TransformerRuntime;
import dev.carve.transform.testing.Debezium;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A foreign-key join on a real broker with raw topics of three partitions: every order, whichever
 * partition it is in, meets its customer's address, and follows a change of it, also after the
 * instance that held its join state left the service to another; orders that wait for their
 * addresses keep waiting across a restart; and a join of topics with different partition counts is
 * refused before it starts.
 */
@Timeout(240)
class ForeignKeyJoinIT {
  private static final int PARTITIONS = 3;
  private static final int CUSTOMERS = 12;
  private static final int ORDERS = 60;
  private static String bootstrap;
  private static EmbeddedSchemaRegistry registry;
  private static Deserializer<GenericRecord> keys;
  private static Deserializer<GenericRecord> values;

  @BeforeAll
  static void broker() {
    bootstrap = TestKafka.bootstrapServers();
    registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.kafka(bootstrap).withTopic("_schemas_fk_join_it"));
    keys = AvroSerdes.generic(Map.of("schema.registry.url", registry.url()), true).deserializer();
    values =
        AvroSerdes.generic(Map.of("schema.registry.url", registry.url()), false).deserializer();
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  /** {@link ForeignKeyJoinTest.ShopTopology} under another service name. */
  private record Renamed(String service, DomainTopology delegate) implements DomainTopology {
    @Override
    public void define(StreamsBuilder builder, TopologyContext ctx) {
      delegate.define(builder, ctx);
    }
  }

  private static TransformerOptions options(String prefix) throws Exception {
    return options(prefix, Map.of());
  }

  /** Options with a state directory of its own and {@code extra} Streams properties. */
  private static TransformerOptions options(String prefix, Map<String, String> extra)
      throws Exception {
    Map<String, String> properties = new HashMap<>(extra);
    properties.put("commit.interval.ms", "100");
    properties.put("consumer.session.timeout.ms", "6000");
    return TransformerOptions.of(bootstrap, registry.url())
        .withRawTopicPrefix(prefix)
        .withStateDir(Files.createTempDirectory("carve-fk-it-" + prefix))
        .withKafkaProperties(properties);
  }

  private static void address(
      KafkaProducer<String, String> producer, String prefix, int id, String country, long lsn)
      throws Exception {
    Map<String, Object> row =
        Debezium.row(
            "addr_id", id, "cust_no", customer(id), "addr_type", "B", "country_code", country);
    producer
        .send(
            new ProducerRecord<>(
                prefix + ".public.addresses",
                Debezium.key("addr_id", id),
                Debezium.update("addresses", row, lsn)))
        .get();
  }

  /** The raw topics of orders and addresses under {@code prefix}, of {@link #PARTITIONS} each. */
  private static void rawTopics(String prefix) {
    TestKafka.createTopics(
        PARTITIONS, true, prefix + ".public.orders", prefix + ".public.addresses");
  }

  private static KafkaProducer<String, String> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  /** Order {@code ORD-<o>} of customer {@code custNo}; the partition it went to. */
  private static int order(
      KafkaProducer<String, String> producer, String prefix, int o, String custNo)
      throws Exception {
    String ref = "ORD-" + o;
    return producer
        .send(
            new ProducerRecord<>(
                prefix + ".public.orders",
                Debezium.key("order_ref", ref),
                Debezium.update(
                    "orders", Debezium.row("order_ref", ref, "cust_no", custNo), 1_000 + 16L * o)))
        .get()
        .partition();
  }

  private static String customer(int i) {
    return String.format(Locale.ROOT, "C%03d", i);
  }

  @ParameterizedTest
  @EnumSource(ForeignKeyJoin.Strategy.class)
  void everyOrderMeetsItsCustomerInWhicheverPartitionItIs(ForeignKeyJoin.Strategy strategy)
      throws Exception {
    String prefix = "fkit" + strategy.name().toLowerCase(Locale.ROOT);
    String service = "fk" + strategy.name().toLowerCase(Locale.ROOT);
    rawTopics(prefix);
    Set<Integer> orderPartitions = new HashSet<>();
    try (KafkaProducer<String, String> producer = producer()) {
      for (int c = 0; c < CUSTOMERS; c++) {
        address(producer, prefix, c, "DE", 100 + c);
      }
      for (int o = 0; o < ORDERS; o++) {
        orderPartitions.add(order(producer, prefix, o, customer(o % CUSTOMERS)));
      }
    }
    assertThat(orderPartitions).hasSize(PARTITIONS);

    TransformerRuntime runtime =
        TransformerRuntime.create(
            new Renamed(service, new ForeignKeyJoinTest.ShopTopology(strategy)), options(prefix));
    Map<String, String> country = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(service + ".order")) {
      runtime.start();
      assertThat(runtime.awaitRunning(Duration.ofSeconds(90))).isTrue();
      awaitCountries(consumer, service, country, "DE");

      try (KafkaProducer<String, String> producer = producer()) {
        for (int c = 0; c < CUSTOMERS; c++) {
          address(producer, prefix, c, "AT", 5_000 + c);
        }
      }
      awaitCountries(consumer, service, country, "AT");
      assertThat(runtime.metrics().deadLettered()).isZero();
    } finally {
      runtime.close(Duration.ofSeconds(30));
    }
  }

  /**
   * Two instances of one service share its partitions; when one leaves, the other takes over its
   * tasks with their stores restored from the changelogs, and a change of an address still reaches
   * every order, including those whose join state was built on the instance that left.
   */
  @ParameterizedTest
  @EnumSource(ForeignKeyJoin.Strategy.class)
  void aSecondInstanceSharesThePartitionsAndTakesOverTheJoinStateOfOneThatLeaves(
      ForeignKeyJoin.Strategy strategy) throws Exception {
    String prefix = "fkitscale" + strategy.name().toLowerCase(Locale.ROOT);
    String service = "fkscale" + strategy.name().toLowerCase(Locale.ROOT);
    rawTopics(prefix);
    try (KafkaProducer<String, String> producer = producer()) {
      for (int c = 0; c < CUSTOMERS; c++) {
        address(producer, prefix, c, "DE", 100 + c);
      }
      for (int o = 0; o < ORDERS; o++) {
        order(producer, prefix, o, customer(o % CUSTOMERS));
      }
    }
    Renamed topology = new Renamed(service, new ForeignKeyJoinTest.ShopTopology(strategy));
    // Every instance counts as caught up, so the tasks are spread at once (Kafka Streams would
    // otherwise warm the newcomer up first and move tasks only at its next probing rebalance).
    Map<String, String> spread = Map.of("acceptable.recovery.lag", Long.toString(Long.MAX_VALUE));
    TransformerRuntime first = TransformerRuntime.create(topology, options(prefix, spread));
    TransformerRuntime second = TransformerRuntime.create(topology, options(prefix, spread));
    Map<String, String> country = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(service + ".order")) {
      first.start();
      second.start();
      assertThat(first.awaitRunning(Duration.ofSeconds(90))).isTrue();
      assertThat(second.awaitRunning(Duration.ofSeconds(90))).isTrue();
      awaitCountries(consumer, service, country, "DE");
      // Both instances read orders: each holds join state of its own partitions.
      assertThat(first.metrics().recordsInByTable().getOrDefault("orders", 0L)).isPositive();
      assertThat(second.metrics().recordsInByTable().getOrDefault("orders", 0L)).isPositive();

      first.close(Duration.ofSeconds(30));
      try (KafkaProducer<String, String> producer = producer()) {
        for (int c = 0; c < CUSTOMERS; c++) {
          address(producer, prefix, c, "AT", 5_000 + c);
        }
      }
      awaitCountries(consumer, service, country, "AT");
      assertThat(first.metrics().deadLettered()).isZero();
      assertThat(second.metrics().deadLettered()).isZero();
    } finally {
      first.close(Duration.ofSeconds(30));
      second.close(Duration.ofSeconds(30));
    }
  }

  @Test
  void ordersWaitingForTheirAddressesAcrossARestartAreWrittenOnceWithTheirCountry()
      throws Exception {
    String prefix = "fkitwait";
    String service = "fkwait";
    int without = 6; // orders of customers that never get an address
    rawTopics(prefix);
    try (KafkaProducer<String, String> producer = producer()) {
      for (int o = 0; o < ORDERS + without; o++) {
        order(producer, prefix, o, o < ORDERS ? customer(o % CUSTOMERS) : "X" + o);
      }
    }
    Renamed waiting =
        new Renamed(
            service,
            new ForeignKeyJoinTest.ShopTopology(
                ForeignKeyJoin.Strategy.BROADCAST, Duration.ofMinutes(10)));
    List<String> written = new java.util.ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(service + ".order")) {
      // The orders are read and wait: their addresses do not exist yet.
      TransformerRuntime first = TransformerRuntime.create(waiting, options(prefix));
      try {
        first.start();
        assertThat(first.awaitRunning(Duration.ofSeconds(90))).isTrue();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    first.metrics().recordsInByTable().getOrDefault("orders", 0L)
                        >= ORDERS + without);
      } finally {
        first.close(Duration.ofSeconds(30));
      }
      readCountries(consumer, written, Duration.ofSeconds(2));
      assertThat(written).isEmpty();

      // Restarted on an empty state directory: the waiting rows come back from the changelogs.
      TransformerRuntime second = TransformerRuntime.create(waiting, options(prefix));
      try {
        second.start();
        assertThat(second.awaitRunning(Duration.ofSeconds(90))).isTrue();
        try (KafkaProducer<String, String> producer = producer()) {
          for (int c = 0; c < CUSTOMERS; c++) {
            address(producer, prefix, c, "DE", 100 + c);
          }
        }
        await()
            .atMost(Duration.ofSeconds(90))
            .until(() -> readCountries(consumer, written, Duration.ofMillis(200)) >= ORDERS);
        readCountries(consumer, written, Duration.ofSeconds(2));
        // Not read again (their offsets were committed): they came out of the restored stores.
        assertThat(second.metrics().recordsInByTable()).doesNotContainKey("orders");
        assertThat(second.metrics().joinWaitsEnded()).isZero();
        assertThat(second.metrics().deadLettered()).isZero();
      } finally {
        second.close(Duration.ofSeconds(30));
      }
      // Each order once, with its country: never first without it.
      assertThat(written).hasSize(ORDERS).allMatch(w -> w.endsWith("=DE"));
      assertThat(new HashSet<>(written)).hasSize(ORDERS);

      // The wait taken out of the configuration: the orders still waiting go out at once.
      TransformerRuntime third =
          TransformerRuntime.create(
              new Renamed(
                  service, new ForeignKeyJoinTest.ShopTopology(ForeignKeyJoin.Strategy.BROADCAST)),
              options(prefix));
      try {
        third.start();
        assertThat(third.awaitRunning(Duration.ofSeconds(90))).isTrue();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> readCountries(consumer, written, Duration.ofMillis(200)) >= ORDERS + without);
        assertThat(third.metrics().joinWaitsEnded()).isEqualTo(without);
      } finally {
        third.close(Duration.ofSeconds(30));
      }
    }
    assertThat(written.subList(ORDERS, written.size()))
        .hasSize(without)
        .allMatch(w -> w.startsWith("ORD-") && w.endsWith("=null"));
  }

  /**
   * With a catch-up wait, orders read before any address has reached the join keep waiting past
   * their wait while the address side has not yet delivered for a tenth of the catch-up wait
   * (counted from the task's start, on Kafka Streams' wall clock), and are written once, joined.
   */
  @Test
  void ordersReadBeforeAnyAddressWaitPastTheWaitUntilTheAddressSideHasHadItsTime()
      throws Exception {
    String prefix = "fkitcatchup";
    String service = "fkcatchup";
    rawTopics(prefix);
    try (KafkaProducer<String, String> producer = producer()) {
      for (int o = 0; o < ORDERS; o++) {
        order(producer, prefix, o, customer(o % CUSTOMERS));
      }
    }
    // Wait 1 s; a tenth of the catch-up wait: 12 s.
    Renamed topology =
        new Renamed(
            service,
            new ForeignKeyJoinTest.ShopTopology(
                ForeignKeyJoin.Strategy.BROADCAST, Duration.ofSeconds(1), Duration.ofMinutes(2)));
    TransformerRuntime runtime = TransformerRuntime.create(topology, options(prefix));
    List<String> written = new java.util.ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(service + ".order")) {
      runtime.start();
      assertThat(runtime.awaitRunning(Duration.ofSeconds(90))).isTrue();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> runtime.metrics().recordsInByTable().getOrDefault("orders", 0L) >= ORDERS);
      // Well past the wait, no address yet: nothing goes out.
      readCountries(consumer, written, Duration.ofSeconds(3));
      assertThat(written).isEmpty();

      try (KafkaProducer<String, String> producer = producer()) {
        for (int c = 0; c < CUSTOMERS; c++) {
          address(producer, prefix, c, "DE", 100 + c);
        }
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> readCountries(consumer, written, Duration.ofMillis(200)) >= ORDERS);
      readCountries(consumer, written, Duration.ofSeconds(1));
      assertThat(written).hasSize(ORDERS).allMatch(w -> w.endsWith("=DE"));
      assertThat(runtime.metrics().joinWaitsEnded()).isZero();
    } finally {
      runtime.close(Duration.ofSeconds(30));
    }
  }

  /** Adds {@code order_ref=country} of each record polled for {@code time}; the count so far. */
  private static int readCountries(
      KafkaConsumer<byte[], byte[]> consumer, List<String> written, Duration time) {
    long end = System.nanoTime() + time.toNanos();
    do {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        GenericRecord key = keys.deserialize(r.topic(), r.key());
        GenericRecord value = values.deserialize(r.topic(), r.value());
        written.add(key.get("order_ref") + "=" + value.get("country"));
      }
    } while (System.nanoTime() < end);
    return written.size();
  }

  @Test
  void joinOfTopicsWithDifferentPartitionCountsIsRefusedNamingThem() throws Exception {
    String prefix = "fkitmismatch";
    TestKafka.createTopics(3, true, prefix + ".public.orders");
    TestKafka.createTopics(2, true, prefix + ".public.addresses");
    TransformerRuntime runtime =
        TransformerRuntime.create(
            new Renamed(
                "fkmismatch",
                new ForeignKeyJoinTest.ShopTopology(ForeignKeyJoin.Strategy.BROADCAST)),
            options(prefix));
    try {
      assertThatThrownBy(runtime::start)
          .hasMessageContaining("different numbers of partitions")
          .hasMessageContaining(prefix + ".public.orders=3")
          .hasMessageContaining(prefix + ".public.addresses=2");
      assertThat(runtime.state()).isEqualTo(TransformerRuntime.State.FAILED);
    } finally {
      runtime.close(Duration.ofSeconds(30));
    }
  }

  @Test
  void serviceWhoseJoinChangedStrategyIsRefusedUntilItIsReset() throws Exception {
    String prefix = "fkitswitch";
    String service = "fkswitch";
    rawTopics(prefix);
    try (KafkaProducer<String, String> producer = producer()) {
      address(producer, prefix, 1, "DE", 100);
    }
    TransformerOptions options = options(prefix);
    Renamed ktable =
        new Renamed(service, new ForeignKeyJoinTest.ShopTopology(ForeignKeyJoin.Strategy.KTABLE));
    Renamed broadcast =
        new Renamed(
            service, new ForeignKeyJoinTest.ShopTopology(ForeignKeyJoin.Strategy.BROADCAST));
    TransformerRuntime first = TransformerRuntime.create(ktable, options);
    try {
      first.start();
      assertThat(first.awaitRunning(Duration.ofSeconds(90))).isTrue();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> !committedOffsets(first.applicationId()).isEmpty());
    } finally {
      first.close(Duration.ofSeconds(30));
    }

    // The same topology resumes.
    TransformerRuntime again = TransformerRuntime.create(ktable, options);
    try {
      again.start();
      assertThat(again.awaitRunning(Duration.ofSeconds(90))).isTrue();
    } finally {
      again.close(Duration.ofSeconds(30));
    }

    // Another join strategy under the same offsets would start its stores empty: refused.
    TransformerRuntime switched = TransformerRuntime.create(broadcast, options);
    try {
      assertThatThrownBy(switched::start)
          .hasMessageContaining("has committed offsets")
          .hasMessageContaining(service + "-orders-rows")
          .hasMessageContaining(service + "-orders-replica")
          .hasMessageContaining("carve transform " + service + " --reset");
      assertThat(switched.state()).isEqualTo(TransformerRuntime.State.FAILED);
    } finally {
      switched.close(Duration.ofSeconds(30));
    }
  }

  private static Map<?, ?> committedOffsets(String group) throws Exception {
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    }
  }

  /** Reads until every order's latest record carries {@code expected}. */
  private static void awaitCountries(
      KafkaConsumer<byte[], byte[]> consumer,
      String service,
      Map<String, String> country,
      String expected) {
    await()
        .alias("every order's latest record of " + service + " carries country " + expected)
        .atMost(Duration.ofSeconds(90))
        .until(
            () -> {
              for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                GenericRecord key = keys.deserialize(r.topic(), r.key());
                GenericRecord value = values.deserialize(r.topic(), r.value());
                Object c = value.get("country");
                country.put(key.get("order_ref").toString(), c == null ? null : c.toString());
              }
              return country.size() == ORDERS
                  && country.values().stream().allMatch(expected::equals);
            });
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String topic) {
    return TestKafka.committedReader("fk-join-it-" + topic, topic);
  }
}
