package dev.carve.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carve.core.SourcePosition;
import dev.carve.core.config.Substitution;
import dev.carve.examples.DataGenerator;
import dev.carve.examples.LegacyShop;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 4, unit = TimeUnit.MINUTES)
class EmbeddedCaptureIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  static {
    BrokerShutdownGuard.install();
  }

  /** The legacy-shop connector pointed at a test database, with its own slot and prefix. */
  private static ConnectorConfig connector(String db, String prefix) {
    Map<String, String> env =
        Map.of(
            "MONOLITH_HOST",
            "localhost",
            "MONOLITH_PORT",
            Integer.toString(TestPostgres.port()),
            "MONOLITH_DB",
            db,
            "MONOLITH_USER",
            TestPostgres.USER,
            "MONOLITH_PASSWORD",
            TestPostgres.PASSWORD);
    return ConnectorConfig.load(Path.of("connectors/legacy-shop.json"), new Substitution(env::get))
        .withOverrides(
            Map.of(
                "topic.prefix", prefix,
                "slot.name", db + "_slot",
                "publication.name", db + "_pub"));
  }

  private static EmbeddedCapture.Options options(String offsetsTopic) {
    return EmbeddedCapture.Options.of(TestKafka.bootstrapServers())
        .withOffsetsTopic(offsetsTopic)
        .withOffsetFlushInterval(Duration.ofMillis(500));
  }

  private static void createShop(String db, DataGenerator.Sizes sizes) throws SQLException {
    TestPostgres.createDatabase(db);
    try (Connection c = TestPostgres.connect(db)) {
      LegacyShop.createSchema(c);
      DataGenerator.create(sizes, 17).generate(c, DataGenerator.Progress.NONE);
    }
  }

  private static void execute(String db, String... sql) throws SQLException {
    try (Connection c = TestPostgres.connect(db);
        Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  @Test
  void snapshotThenChangesAreWrittenAsDebeziumEnvelopes() throws Exception {
    String db = "capture_envelopes";
    createShop(db, new DataGenerator.Sizes(10, 5, 12));
    ConnectorConfig connector = connector(db, "legacy");
    try (EmbeddedCapture capture =
        EmbeddedCapture.create(connector, options("capture-it-offsets-envelopes"))) {
      capture.start();
      assertThat(capture.state()).isEqualTo(EmbeddedCapture.State.RUNNING);

      List<ConsumerRecord<byte[], byte[]>> snapshot =
          awaitRecords("legacy.public.orders", r -> r.size() >= 12);
      assertThat(snapshot).hasSize(12);
      JsonNode first = JSON.readTree(snapshot.get(0).value());
      assertThat(first.get("op").asText()).isEqualTo("r");
      assertThat(first.get("before").isNull()).isTrue();
      assertThat(first.at("/after/total_amount").asText()).matches("\\d+\\.\\d{2}");
      assertThat(first.at("/after/order_ref").asText()).matches("ORD-\\d{4}-\\d{5}");
      assertThat(first.at("/source/table").asText()).isEqualTo("orders");
      assertThat(SourcePosition.fromDebeziumSource(first.get("source")))
          .isEqualTo(SourcePosition.SNAPSHOT);
      JsonNode key = JSON.readTree(snapshot.get(0).key());
      assertThat(key.fieldNames()).toIterable().containsExactly("order_ref");
      assertThat(key.get("order_ref").asText()).isEqualTo(first.at("/after/order_ref").asText());
      awaitRecords("legacy.public.customers", r -> r.size() >= 10);

      String ref = first.at("/after/order_ref").asText();
      execute(
          db,
          "UPDATE orders SET status = 'X' WHERE order_ref = '" + ref + "'",
          "INSERT INTO orders (order_ref, cust_no, order_date, status, total_amount, currency, lines_blob)"
              + " VALUES ('ORD-2025-99999', 'C00000001', '2025-01-01 10:00:00', 'N', 12.50, 'EUR',"
              + " '[{\"sku\":\"SKU-00001\",\"qty\":1,\"unit_price\":\"12.50\"}]')",
          "DELETE FROM payments WHERE order_ref = '" + ref + "'",
          "DELETE FROM shipments WHERE order_ref = '" + ref + "'",
          "DELETE FROM orders WHERE order_ref = '" + ref + "'",
          "UPDATE customers SET phone = '+49 1' WHERE cust_no = 'C00000002'");

      List<ConsumerRecord<byte[], byte[]>> all =
          awaitRecords("legacy.public.orders", r -> r.size() >= 16);
      List<ConsumerRecord<byte[], byte[]>> changes = all.subList(12, 16);
      JsonNode update = JSON.readTree(changes.get(0).value());
      assertThat(update.get("op").asText()).isEqualTo("u");
      assertThat(update.at("/after/status").asText()).isEqualTo("X");
      JsonNode insert = JSON.readTree(changes.get(1).value());
      assertThat(insert.get("op").asText()).isEqualTo("c");
      assertThat(insert.at("/after/total_amount").asText()).isEqualTo("12.50");
      assertThat(insert.at("/source/snapshot").asText()).isEqualTo("false");
      SourcePosition insertPosition = SourcePosition.fromDebeziumSource(insert.get("source"));
      assertThat(insertPosition).isGreaterThan(SourcePosition.SNAPSHOT);
      JsonNode delete = JSON.readTree(changes.get(2).value());
      assertThat(delete.get("op").asText()).isEqualTo("d");
      assertThat(delete.get("after").isNull()).isTrue();
      assertThat(delete.at("/before/order_ref").asText()).isEqualTo(ref);
      assertThat(changes.get(3).value()).as("tombstone after delete").isNull();
      assertThat(new String(changes.get(3).key(), StandardCharsets.UTF_8))
          .isEqualTo("{\"order_ref\":\"" + ref + "\"}");

      List<ConsumerRecord<byte[], byte[]>> customers =
          awaitRecords("legacy.public.customers", r -> r.size() >= 11);
      JsonNode toasted = JSON.readTree(customers.get(10).value());
      assertThat(toasted.get("op").asText()).isEqualTo("u");
      assertThat(toasted.at("/after/notes").asText()).isEqualTo("__debezium_unavailable_value");

      CaptureMetrics metrics = capture.metrics();
      assertThat(metrics.records("public.orders")).isEqualTo(16);
      assertThat(metrics.records("public.customers")).isEqualTo(11);
      assertThat(metrics.snapshot()).isEqualTo(CaptureMetrics.SnapshotStatus.COMPLETED);
      assertThat(metrics.lastPosition()).isPresent();
      assertThat(metrics.lastPosition().get()).isGreaterThanOrEqualTo(insertPosition);
      assertThat(metrics.errors()).isZero();
    }
    try (Admin admin = Admin.create(TestKafka.adminProperties())) {
      ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "legacy.public.orders");
      Config config = admin.describeConfigs(List.of(topic)).all().get().get(topic);
      assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
      assertThat(admin.listTopics().names().get()).contains("capture-it-offsets-envelopes");
    }
  }

  @Test
  void restartResumesFromKafkaOffsetsWithoutSnapshotOrLoss() throws Exception {
    String db = "capture_restart";
    createShop(db, new DataGenerator.Sizes(8, 5, 5));
    ConnectorConfig connector = connector(db, "restart");
    EmbeddedCapture.Options options = options("capture-it-offsets-restart");
    String topic = "restart.public.customers";

    EmbeddedCapture first = EmbeddedCapture.create(connector, options);
    first.start();
    awaitRecords(topic, r -> r.size() >= 8);
    execute(db, "UPDATE customers SET phone = 'first-run' WHERE cust_no = 'C00000001'");
    awaitRecords(topic, r -> r.size() >= 9);
    first.close(Duration.ofSeconds(30));
    assertThat(first.state()).isEqualTo(EmbeddedCapture.State.STOPPED);
    assertThatThrownBy(first::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("create a new EmbeddedCapture");

    execute(
        db,
        "UPDATE customers SET phone = 'while-stopped' WHERE cust_no = 'C00000003'",
        "INSERT INTO customers (cust_no, full_name, created_on) VALUES ('C00000999', 'Late Comer', '01.01.2025')");

    try (EmbeddedCapture second = EmbeddedCapture.create(connector, options)) {
      second.start();
      execute(db, "UPDATE customers SET phone = 'second-run' WHERE cust_no = 'C00000004'");
      List<ConsumerRecord<byte[], byte[]>> records = awaitRecords(topic, r -> r.size() >= 12);
      Thread.sleep(1_000);
      records = awaitRecords(topic, r -> r.size() >= 12);

      List<String> ops = new ArrayList<>();
      List<String> phones = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : records) {
        JsonNode v = JSON.readTree(r.value());
        ops.add(v.get("op").asText());
        JsonNode phone = v.at("/after/phone");
        phones.add(phone.isNull() ? null : phone.asText());
      }
      assertThat(ops).hasSize(12);
      assertThat(ops.subList(0, 8)).containsOnly("r");
      assertThat(ops.subList(8, 12)).containsExactly("u", "u", "c", "u");
      assertThat(phones.subList(8, 12))
          .containsExactly("first-run", "while-stopped", null, "second-run");
      assertThat(second.metrics().snapshot()).isEqualTo(CaptureMetrics.SnapshotStatus.NOT_SEEN);
    }
  }

  /**
   * Offsets only after Kafka: a change Kafka refuses (a record larger than the topic allows) stops
   * the capture before its offset is committed, so a new capture, once the topic takes it, sends
   * that change again.
   */
  @Test
  void refusedSendStopsTheCaptureBeforeItsOffsetAndARestartSendsTheChange() throws Exception {
    String db = "capture_refused";
    createShop(db, new DataGenerator.Sizes(8, 5, 5));
    ConnectorConfig connector = connector(db, "refused");
    EmbeddedCapture.Options options = options("capture-it-offsets-refused");
    String topic = "refused.public.customers";

    EmbeddedCapture first = EmbeddedCapture.create(connector, options);
    first.start();
    awaitRecords(topic, r -> r.size() >= 8);
    alterTopicConfig(topic, "max.message.bytes", "200");
    execute(db, "UPDATE customers SET phone = 'refused-once' WHERE cust_no = 'C00000002'");

    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline && first.state() != EmbeddedCapture.State.FAILED) {
      Thread.sleep(200);
    }
    assertThat(first.state()).isEqualTo(EmbeddedCapture.State.FAILED);
    assertThat(first.failure()).isPresent();
    first.close(Duration.ofSeconds(30));
    assertThat(awaitRecords(topic, r -> r.size() >= 8)).hasSize(8);

    alterTopicConfig(topic, "max.message.bytes", null);
    try (EmbeddedCapture second = EmbeddedCapture.create(connector, options)) {
      second.start();
      List<ConsumerRecord<byte[], byte[]>> records =
          awaitRecords(
              topic,
              r ->
                  r.stream()
                      .anyMatch(
                          c ->
                              new String(c.value(), StandardCharsets.UTF_8)
                                  .contains("refused-once")));
      JsonNode update = JSON.readTree(records.get(records.size() - 1).value());
      assertThat(update.get("op").asText()).isEqualTo("u");
      assertThat(update.at("/after/cust_no").asText()).isEqualTo("C00000002");
      assertThat(second.metrics().snapshot())
          .as("resumed from the committed offsets, not a new snapshot")
          .isEqualTo(CaptureMetrics.SnapshotStatus.NOT_SEEN);
    }
  }

  /**
   * Regression: without legacy-shop.json's heartbeat.action.query the slot stayed where the last
   * captured change left it while other databases on the server wrote WAL (11 MB held after a
   * {@code carve up} snapshot, growing with every sink write).
   */
  @Test
  void slotAdvancesWhileTheCapturedTablesAreIdleAndAnotherDatabaseWritesWal() throws Exception {
    String db = "capture_heartbeat";
    createShop(db, new DataGenerator.Sizes(5, 5, 5));
    TestPostgres.createDatabase("capture_heartbeat_other");
    ConnectorConfig connector =
        connector(db, "hb").withOverrides(Map.of("heartbeat.interval.ms", "1000"));
    try (EmbeddedCapture capture =
        EmbeddedCapture.create(connector, options("capture-it-offsets-heartbeat"))) {
      capture.start();
      awaitRecords("hb.public.orders", r -> r.size() >= 5);
      execute(
          "capture_heartbeat_other",
          "CREATE TABLE filler AS SELECT g AS id, repeat('x', 200) AS t"
              + " FROM generate_series(1, 50000) g");
      long written = slotLag(db + "_slot");
      assertThat(written).as("WAL written by the other database").isGreaterThan(5_000_000);

      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      long lag = written;
      while (System.nanoTime() < deadline && lag > 1_000_000) {
        Thread.sleep(500);
        lag = slotLag(db + "_slot");
      }
      assertThat(lag)
          .as("bytes of WAL the slot retains after heartbeats (was %,d)", written)
          .isLessThan(1_000_000);
    }
  }

  /** Sets a topic config, or removes it (back to the broker's default) when value is null. */
  private static void alterTopicConfig(String topic, String key, String value) throws Exception {
    try (Admin admin = Admin.create(TestKafka.adminProperties())) {
      AlterConfigOp op =
          value == null
              ? new AlterConfigOp(new ConfigEntry(key, ""), AlterConfigOp.OpType.DELETE)
              : new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET);
      admin
          .incrementalAlterConfigs(
              Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), List.of(op)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
  }

  private static long slotLag(String slot) throws SQLException {
    try (Connection c = TestPostgres.connect("postgres");
        var ps =
            c.prepareStatement(
                "SELECT pg_current_wal_lsn() - confirmed_flush_lsn FROM pg_replication_slots"
                    + " WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (var rs = ps.executeQuery()) {
        assertThat(rs.next()).as("slot " + slot).isTrue();
        return rs.getLong(1);
      }
    }
  }

  @Test
  void unreachableDatabaseFailsFastNamingHostAndPort() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    ConnectorConfig connector =
        connector("capture_unreachable", "unreachable")
            .withOverrides(Map.of("database.port", Integer.toString(port)));
    EmbeddedCapture capture =
        EmbeddedCapture.create(
            connector,
            options("capture-it-offsets-unreachable")
                .withDatabaseCheckTimeout(Duration.ofSeconds(3)));
    long started = System.nanoTime();

    assertThatThrownBy(capture::start)
        .isInstanceOf(CaptureException.class)
        .hasMessageContaining("localhost:" + port)
        .hasMessageContaining("capture_unreachable")
        .hasMessageContaining("database.port");

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    assertThat(capture.state()).isEqualTo(EmbeddedCapture.State.FAILED);
    capture.close(Duration.ofSeconds(5));
    assertThat(capture.state()).isEqualTo(EmbeddedCapture.State.FAILED);
  }

  /**
   * Regression: the start check connected without database.sslmode (pgjdbc's prefer), so a server
   * without TLS passed it in plaintext.
   */
  @Test
  void sslmodeRequireAgainstAServerWithoutTlsFailsTheStartNamingIt() throws Exception {
    String db = "capture_tls";
    TestPostgres.createDatabase(db);
    int kafkaPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      kafkaPort = socket.getLocalPort();
    }
    ConnectorConfig connector =
        connector(db, "tls")
            .withOverrides(Map.of("database.sslmode", "require", "database.sslpassword", "k3y-pw"));
    // Nothing listens at this Kafka: the database check has to fail first.
    EmbeddedCapture capture =
        EmbeddedCapture.create(
            connector,
            EmbeddedCapture.Options.of("localhost:" + kafkaPort)
                .withOffsetsTopic("capture-it-offsets-tls")
                .withDatabaseCheckTimeout(Duration.ofSeconds(3)));

    assertThatThrownBy(capture::start)
        .isInstanceOf(CaptureException.class)
        .hasMessageContaining("Cannot connect to database '" + db + "'")
        .hasMessageContaining("database.sslmode=require")
        .hasMessageContaining("SSL")
        .hasMessageContaining("ssl = on")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("k3y-pw"));
    assertThat(capture.state()).isEqualTo(EmbeddedCapture.State.FAILED);
    capture.close(Duration.ofSeconds(5));
  }

  private static List<ConsumerRecord<byte[], byte[]>> awaitRecords(
      String topic, Predicate<List<ConsumerRecord<byte[], byte[]>>> done) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      while (System.nanoTime() < deadline) {
        if (consumer.partitionsFor(topic, Duration.ofSeconds(5)).isEmpty()) {
          sleep();
          continue;
        }
        break;
      }
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      while (System.nanoTime() < deadline && !done.test(records)) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    assertThat(done.test(records)).as("records on " + topic + ": " + records.size()).isTrue();
    return records;
  }

  private static void sleep() {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
