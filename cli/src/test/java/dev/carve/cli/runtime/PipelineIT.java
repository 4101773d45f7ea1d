package dev.carve.cli.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carve.cli.Carve;
import dev.carve.cli.TestPorts;
import dev.carve.cli.embedded.EmbeddedPostgresServer;
import dev.carve.examples.DataGenerator;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The whole pipeline on real embedded infrastructure, as {@code carve up} runs it: real PostgreSQL,
 * a real KRaft broker, Debezium's embedded engine, Kafka Streams, the sinks.
 */
@Timeout(900)
class PipelineIT {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineIT.class);
  private static final Path HOME = dev.carve.cli.TestHome.dir();
  private static final DataGenerator.Sizes SMALL = new DataGenerator.Sizes(120, 30, 300);

  @Test
  void snapshotThenStreamedChangesEndEqualToTheMappedMonolith(@TempDir Path state)
      throws Exception {
    try (EmbeddedPipeline pipeline = EmbeddedPipeline.start(options(state, 0), LOG::info)) {
      awaitSynced(pipeline, "after the snapshot");
      commandsReachThePipelineThroughItsConfigFile(pipeline);
      String renamedFrom;
      String softDeleted;
      String hardDeletedOrder;
      try (Connection c = pipeline.postgres().connect(EmbeddedPipeline.MONOLITH_DB)) {
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
          // An insert of a customer with two addresses.
          s.execute(
              "INSERT INTO customers (cust_no, full_name, email, phone, vip_flag, status, created_on, deleted_flag, notes)"
                  + " VALUES ('C99999001', 'Ada King Lovelace', '  Ada@Example.COM ', '+44 1', 'Y', 'A', '10.12.2015', 'N', 'first programmer')");
          s.execute(
              "INSERT INTO addresses (addr_id, cust_no, addr_type, line1, city, zip, country_code)"
                  + " VALUES (9900001, 'C99999001', 'B', '12 St James Sq', 'London', 'SW1Y 4JH', 'GB')");
          // An update of a non-key column only.
          s.execute(
              "UPDATE customers SET phone = '+49 30 1234' WHERE cust_no = (SELECT min(cust_no) FROM customers WHERE deleted_flag = 'N')");
          // A primary-key change.
          renamedFrom = one(c, "SELECT min(order_ref) FROM orders WHERE deleted_flag = 'N'");
          s.execute(
              "UPDATE orders SET order_ref = 'ORD-2099-00001' WHERE order_ref = '"
                  + renamedFrom
                  + "'");
          // A soft delete and a hard delete.
          softDeleted =
              one(
                  c,
                  "SELECT max(cust_no) FROM customers WHERE deleted_flag = 'N' AND cust_no <> 'C99999001'");
          s.execute(
              "UPDATE customers SET deleted_flag = 'Y' WHERE cust_no = '" + softDeleted + "'");
          hardDeletedOrder =
              one(
                  c,
                  "SELECT max(order_ref) FROM orders WHERE deleted_flag = 'N' AND order_ref <> 'ORD-2099-00001'");
          s.execute("DELETE FROM payments WHERE order_ref = '" + hardDeletedOrder + "'");
          s.execute("DELETE FROM shipments WHERE order_ref = '" + hardDeletedOrder + "'");
          s.execute("DELETE FROM orders WHERE order_ref = '" + hardDeletedOrder + "'");
        }
        // One transaction touching several tables.
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
          s.execute(
              "INSERT INTO orders (order_ref, cust_no, order_date, status, total_amount, currency, lines_blob, ship_to, deleted_flag)"
                  + " VALUES ('ORD-2099-00002', 'C99999001', '2099-01-02 03:04:05', 'P', 37.50, 'EUR',"
                  + " '[{\"sku\":\"SKU-00001\",\"qty\":3,\"unit_price\":\"12.50\"}]', 'Ada Lovelace|12 St James Sq|London|SW1Y 4JH|GB', 'N')");
          s.execute(
              "INSERT INTO payments (payment_id, order_ref, amount, currency, method, paid_at, status) VALUES (9900001, 'ORD-2099-00002', 37.50, 'EUR', 'CC', now(), 'A')");
          s.execute("UPDATE customers SET vip_flag = 'N' WHERE cust_no = 'C99999001'");
          // A country change of a customer with orders: the orders follow (a foreign-key join).
          s.execute(
              "UPDATE addresses SET country_code = 'IE' WHERE addr_type = 'B' AND cust_no ="
                  + " (SELECT cust_no FROM orders WHERE order_ref = 'ORD-2099-00001')");
        }
        c.commit();
      }
      awaitSynced(pipeline, "after the streamed changes");

      // An independent oracle, written in SQL against the targets, for the changes above.
      try (Connection t = pipeline.postgres().connect("customers")) {
        try (ResultSet rs =
            t.createStatement()
                .executeQuery(
                    "SELECT first_name, last_name, email, vip, status FROM customer WHERE legacy_ref = 'C99999001'")) {
          assertThat(rs.next()).as("inserted customer").isTrue();
          assertThat(rs.getString(1)).isEqualTo("Ada King");
          assertThat(rs.getString(2)).isEqualTo("Lovelace");
          assertThat(rs.getString(3)).isEqualTo("ada@example.com");
          assertThat(rs.getBoolean(4)).as("vip after the multi-table transaction").isFalse();
          assertThat(rs.getString(5)).isEqualTo("ACTIVE");
        }
        assertThat(
                count(t, "SELECT count(*) FROM customer WHERE legacy_ref = '" + softDeleted + "'"))
            .as("soft-deleted")
            .isZero();
        assertThat(count(t, "SELECT count(*) FROM address WHERE address_id = 9900001"))
            .isEqualTo(1);
      }
      try (Connection src = pipeline.postgres().connect(EmbeddedPipeline.MONOLITH_DB);
          Connection t = pipeline.postgres().connect("orders")) {
        assertThat(
                count(t, "SELECT count(*) FROM \"order\" WHERE order_ref = '" + renamedFrom + "'"))
            .as("old key of a PK change")
            .isZero();
        assertThat(count(t, "SELECT count(*) FROM \"order\" WHERE order_ref = 'ORD-2099-00001'"))
            .as("new key of a PK change")
            .isEqualTo(1);
        assertThat(
                count(
                    t,
                    "SELECT count(*) FROM \"order\" WHERE order_ref = '" + hardDeletedOrder + "'"))
            .as("hard-deleted")
            .isZero();
        assertThat(count(t, "SELECT count(*) FROM \"order\""))
            .isEqualTo(count(src, "SELECT count(*) FROM orders WHERE deleted_flag = 'N'"));
        assertThat(count(t, "SELECT count(*) FROM order_line"))
            .isEqualTo(
                count(
                    src,
                    "SELECT count(*) FROM orders o, jsonb_array_elements(o.lines_blob::jsonb) WHERE o.deleted_flag = 'N'"));
        assertThat(countries(t, "SELECT order_ref, customer_country FROM \"order\""))
            .as("customer_country of every order: its customer's billing address country")
            .isEqualTo(
                countries(
                    src,
                    "SELECT o.order_ref, (SELECT upper(trim(a.country_code)) FROM addresses a"
                        + " WHERE a.cust_no = o.cust_no AND a.addr_type = 'B'"
                        + " ORDER BY a.addr_id LIMIT 1) FROM orders o WHERE o.deleted_flag = 'N'"));
        assertThat(
                countries(
                    t,
                    "SELECT order_ref, customer_country FROM \"order\""
                        + " WHERE order_ref IN ('ORD-2099-00001', 'ORD-2099-00002')"))
            .containsEntry("ORD-2099-00001", "IE")
            .containsEntry("ORD-2099-00002", "GB");
        try (ResultSet rs =
            t.createStatement()
                .executeQuery(
                    "SELECT o.total_cents, o.status, o.ordered_at, l.quantity, l.unit_price_cents FROM \"order\" o JOIN order_line l USING (order_id)"
                        + " WHERE o.order_ref = 'ORD-2099-00002'")) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getLong(1)).isEqualTo(3750);
          assertThat(rs.getString(2)).isEqualTo("PAID");
          assertThat(rs.getObject(3).toString()).startsWith("2099-01-02");
          assertThat(rs.getInt(4)).isEqualTo(3);
          assertThat(rs.getLong(5)).isEqualTo(1250);
        }
      }
    }
  }

  @Test
  void restartMidStreamLosesNothingAndAppliesNothingTwice(@TempDir Path state) throws Exception {
    EmbeddedPipeline.Options withLoad = options(state, 50);
    long snapshotRows;
    try (EmbeddedPipeline pipeline = EmbeddedPipeline.start(withLoad, LOG::info)) {
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (pipeline.load().orElseThrow().total() < 300 && System.nanoTime() < deadline) {
        Thread.sleep(500);
      }
      assertThat(pipeline.load().orElseThrow().total())
          .as("changes applied before the stop")
          .isGreaterThanOrEqualTo(300);
      snapshotRows = snapshotRecords(pipeline.bootstrapServers());
      // Closing here stops everything mid-stream: the load generator runs until the very end.
    }
    EmbeddedPipeline.Options noLoad =
        new EmbeddedPipeline.Options(
            withLoad.stateDir(),
            HOME,
            withLoad.kafkaPort(),
            withLoad.postgresPort(),
            withLoad.registryPort(),
            SMALL,
            7,
            0,
            false);
    try (EmbeddedPipeline pipeline = EmbeddedPipeline.start(noLoad, LOG::info)) {
      awaitSynced(pipeline, "after the restart");
      assertThat(snapshotRecords(pipeline.bootstrapServers()))
          .as(
              "snapshot records in the raw topics: the restart resumed instead of snapshotting again")
          .isEqualTo(snapshotRows);
    }
  }

  /** Order reference to country, from a query of two text columns. */
  private static Map<String, String> countries(Connection c, String sql)
      throws java.sql.SQLException {
    Map<String, String> countries = new TreeMap<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        countries.put(rs.getString(1), String.valueOf(rs.getString(2)));
      }
    }
    return countries;
  }

  private static void awaitSynced(EmbeddedPipeline pipeline, String when) throws Exception {
    SyncCheck check = new SyncCheck(pipeline);
    long started = System.nanoTime();
    SyncCheck.Result result = new SyncCheck.Result(false, "not checked");
    while (System.nanoTime() - started < Duration.ofMinutes(8).toNanos()) {
      assertThat(pipeline.failure()).as("a part failed " + when).isEmpty();
      result =
          check.check(PipelineStatus.of(pipeline, Duration.ofNanos(System.nanoTime() - started)));
      if (result.synced()) {
        LOG.info(
            "Synced {} in {} s: {}",
            when,
            (System.nanoTime() - started) / 1_000_000_000,
            result.detail());
        return;
      }
      Thread.sleep(1000);
    }
    throw new AssertionError("Not synced " + when + " within 8 minutes: " + result.detail());
  }

  /** Counts snapshot (op "r") records over every raw change topic. */
  private static long snapshotRecords(String bootstrap) {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG, "pipeline-it-count",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer
          .listTopics()
          .forEach(
              (topic, infos) -> {
                if (topic.startsWith("legacy.public.")) {
                  infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
                }
              });
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long n = 0;
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.value() != null && r.value().contains("\"op\":\"r\"")) {
            n++;
          }
        }
      }
      return n;
    }
  }

  /** {@code carve status} and {@code carve verify} with the file {@code carve up} writes. */
  private static void commandsReachThePipelineThroughItsConfigFile(EmbeddedPipeline pipeline)
      throws Exception {
    String file = pipeline.configFile().toString();
    assertThat(Files.readString(pipeline.configFile()))
        .contains("localhost:" + pipeline.config().kafka().bootstrapServers().split(":")[1]);

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine status = Carve.commandLine();
    status.setOut(new PrintWriter(out, true));
    status.setErr(new PrintWriter(err, true));
    assertThat(status.execute("status", "--json", "--config", file)).as(err.toString()).isZero();
    JsonNode json = new ObjectMapper().readTree(out.toString());
    assertThat(json.at("/capture/slotLagBytes").isNumber()).as(out.toString()).isTrue();
    assertThat(json.at("/services").size()).isEqualTo(3);
    for (JsonNode service : json.at("/services")) {
      assertThat(service.get("deadLetters").asLong()).as(service.toString()).isZero();
    }

    out = new StringWriter();
    err = new StringWriter();
    CommandLine verify = Carve.commandLine();
    verify.setOut(new PrintWriter(out, true));
    verify.setErr(new PrintWriter(err, true));
    assertThat(verify.execute("verify", "customers", "--config", file))
        .as(out + "\n" + err)
        .isZero();
    assertThat(out.toString()).contains("customers: EQUAL to the mapped source");
  }

  private static EmbeddedPipeline.Options options(Path state, double load) throws Exception {
    return new EmbeddedPipeline.Options(
        state,
        HOME,
        TestPorts.freePair(),
        TestPorts.free(),
        TestPorts.free(),
        SMALL,
        7,
        load,
        false);
  }

  private static String one(Connection c, String sql) throws Exception {
    try (ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static long count(Connection c, String sql) throws Exception {
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** A free port whose successor is free too (broker and controller). */
  @SuppressWarnings("unused")
  private static final String USER = EmbeddedPostgresServer.USER;
}
