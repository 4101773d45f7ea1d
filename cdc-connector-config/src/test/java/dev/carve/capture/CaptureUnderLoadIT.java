package dev.carve.capture;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carve.core.config.Substitution;
import dev.carve.examples.DataGenerator;
import dev.carve.examples.LegacyShop;
import dev.carve.examples.LoadGenerator;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The demo's load generator against a running capture: after the load, the newest record per key of
 * each raw topic equals the row in the database (deleted rows end with a tombstone), so no change
 * was lost, whatever the mix of inserts, updates, key changes and deletes.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CaptureUnderLoadIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DB = "capture_under_load";

  static {
    BrokerShutdownGuard.install();
  }

  @Test
  void newestRecordPerKeyEqualsTheDatabaseAfterMixedLoad() throws Exception {
    TestPostgres.createDatabase(DB);
    try (Connection c = TestPostgres.connect(DB)) {
      LegacyShop.createSchema(c);
      DataGenerator.create(new DataGenerator.Sizes(60, 10, 150), 5)
          .generate(c, DataGenerator.Progress.NONE);
    }
    Map<String, String> env =
        Map.of(
            "MONOLITH_PORT",
            Integer.toString(TestPostgres.port()),
            "MONOLITH_DB",
            DB,
            "MONOLITH_PASSWORD",
            TestPostgres.PASSWORD);
    ConnectorConfig connector =
        ConnectorConfig.load(Path.of("connectors/legacy-shop.json"), new Substitution(env::get))
            .withOverrides(
                Map.of("topic.prefix", "loaded", "slot.name", DB, "publication.name", DB));
    try (EmbeddedCapture capture =
        EmbeddedCapture.create(
            connector,
            EmbeddedCapture.Options.of(TestKafka.bootstrapServers())
                .withOffsetsTopic("capture-it-offsets-load"))) {
      capture.start();
      LoadGenerator load =
          LoadGenerator.create(
              () -> TestPostgres.connect(DB),
              // With one large transaction (2,000 orders) among the mixed changes.
              LoadGenerator.Options.of(150, 3).withBulk(150, 2_000));
      load.start();
      // At least 3 s, then until every kind of change has happened (a busy machine makes fewer
      // changes in 3 s, and a rare kind, a key change, could miss them all).
      Thread.sleep(3_000);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline && load.counts().containsValue(0L)) {
        Thread.sleep(200);
      }
      assertThat(load.stop(Duration.ofSeconds(10))).isTrue();
      assertThat(load.failure()).isEmpty();
      assertThat(load.counts()).allSatisfy((kind, n) -> assertThat(n).as(kind.name()).isPositive());
      try (Connection c = TestPostgres.connect(DB);
          Statement s = c.createStatement()) {
        s.execute(
            "INSERT INTO customers (cust_no, full_name, created_on) VALUES ('C99999999', 'End Marker', '01.01.2025')");
      }
      Map<String, JsonNode> customers =
          latestPerKey("loaded.public.customers", "{\"cust_no\":\"C99999999\"}");

      assertThat(customers).containsKey("{\"cust_no\":\"C99999999\"}");
      assertMatchesDatabase(
          customers,
          "SELECT cust_no, phone, vip_flag, deleted_flag FROM customers",
          "cust_no",
          List.of("phone", "vip_flag", "deleted_flag"));
      assertMatchesDatabase(
          latestPerKey("loaded.public.orders", null),
          "SELECT order_ref, status, total_amount::text, deleted_flag FROM orders",
          "order_ref",
          List.of("status", "total_amount", "deleted_flag"));
      assertMatchesDatabase(
          latestPerKey("loaded.public.payments", null),
          "SELECT payment_id::text, order_ref, amount::text FROM payments",
          "payment_id",
          List.of("order_ref", "amount"));
      assertThat(capture.metrics().errors()).isZero();
    }
  }

  /** Every live row equals the newest record of its key; every other key ended deleted. */
  private static void assertMatchesDatabase(
      Map<String, JsonNode> latest, String sql, String keyColumn, List<String> columns)
      throws Exception {
    Map<String, Map<String, String>> rows = new HashMap<>();
    try (Connection c = TestPostgres.connect(DB);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        Map<String, String> row = new HashMap<>();
        for (int i = 0; i < columns.size(); i++) {
          row.put(columns.get(i), rs.getString(i + 2));
        }
        rows.put(rs.getString(1), row);
      }
    }
    int live = 0;
    for (Map.Entry<String, JsonNode> e : latest.entrySet()) {
      String key =
          JSON.readTree(e.getKey().getBytes(StandardCharsets.UTF_8)).path(keyColumn).asText();
      JsonNode after = e.getValue();
      if (after == null) {
        assertThat(rows).as("deleted key " + key).doesNotContainKey(key);
        continue;
      }
      live++;
      assertThat(rows).as("captured key " + key).containsKey(key);
      for (String col : columns) {
        JsonNode v = after.get(col);
        assertThat(v == null || v.isNull() ? null : v.asText())
            .as(key + "." + col)
            .isEqualTo(rows.get(key).get(col));
      }
    }
    assertThat(live).as("live keys captured for " + sql).isEqualTo(rows.size());
  }

  /**
   * The newest {@code after} per key (null for a delete or tombstone), read until {@code marker}.
   */
  private static Map<String, JsonNode> latestPerKey(String topic, String marker) throws Exception {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    Map<String, JsonNode> latest = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          String key = new String(r.key(), StandardCharsets.UTF_8);
          latest.put(
              key, r.value() == null ? null : nullIfMissing(JSON.readTree(r.value()).get("after")));
        }
        boolean markerSeen =
            marker == null ? consumer.position(tp) >= end : latest.containsKey(marker);
        if (markerSeen) {
          break;
        }
      }
    }
    return latest;
  }

  private static JsonNode nullIfMissing(JsonNode n) {
    return n == null || n.isNull() ? null : n;
  }
}
