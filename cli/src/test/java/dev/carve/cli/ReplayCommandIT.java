package dev.carve.cli;

import static dev.carve.cli.CommandItSupport.carve;
import static dev.carve.cli.CommandItSupport.entity;
import static dev.carve.cli.CommandItSupport.execute;
import static dev.carve.cli.CommandItSupport.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.carve.cli.CommandItSupport.Run;
import dev.carve.schemas.EntitySchemas;
import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import dev.carve.sink.ServiceSink;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carve replay <service>} through the command line on a store a live sink wrote from real
 * domain topics (several versions per key, deletes, several partitions): a dry run changes nothing,
 * the shadow swap and {@code --in-place} both rebuild the store row for row, readers never see the
 * store empty during a shadow swap, and the live sink continues from the replay's offsets. The
 * in-place test runs last: it adds a record no sink can write, which the replay reports.
 *
 * <p>Regression: when the output was not a terminal, {@code carve replay} printed a progress line
 * at most every 10 s, so a replay shorter than that logged only its first batch and never where it
 * ended; the last progress line is now always printed.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplayCommandIT {
  private static final String SERVICE = "replay_it";
  private static final String DATABASE = "replay_command_it";
  private static final String CUSTOMERS = "replay_it.customer";
  private static final String ADDRESSES = "replay_it.address";
  private static final String CUSTOMER_ROWS =
      "SELECT customer_id, legacy_ref, first_name, last_name, email, phone, vip, status,"
          + " created_on, notes, carve_commit_lsn, carve_change_lsn FROM public.customer"
          + " ORDER BY customer_id";
  private static final String ADDRESS_ROWS =
      "SELECT address_id, customer_id, kind, line1, line2, city, postal_code, country_code,"
          + " carve_commit_lsn, carve_change_lsn FROM public.address ORDER BY address_id";
  private static final String TOMBSTONE_ROWS =
      "SELECT table_name, key::text, commit_lsn, change_lsn FROM public.carve_tombstones"
          + " ORDER BY 1, 2";
  private static final String SHADOW_SCHEMAS =
      "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'public\\_\\_%'";
  private static final String PROGRESS =
      "\\[[#.]{30}\\] [\\d,]+ / [\\d,]+ records +[\\d,]+/s  ETA ";

  private static final AtomicLong LSN = new AtomicLong(10_000);

  private static EmbeddedSchemaRegistry registry;
  private static Path config;
  private static int historySize;

  @TempDir static Path dir;

  @BeforeAll
  static void writeTheLiveStore() throws Exception {
    TestKafka.createTopics(3, true, CUSTOMERS);
    TestKafka.createTopics(2, true, ADDRESSES);
    TestKafka.createTopics(1, true, "_schemas_replay_command_it");
    TestKafka.createTopics(1, false, "replay_it.dlq");
    TestPostgres.createDatabase(DATABASE);
    registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.kafka(TestKafka.bootstrapServers())
                .withTopic("_schemas_replay_command_it"));
    config = CommandItSupport.writeConfig(dir, SERVICE, DATABASE, registry.url());

    CommandItSupport.Producer history = history();
    historySize = history.size();
    history.send();
    try (ServiceSink sink = CommandItSupport.liveSink(config, SERVICE)) {
      sink.start();
      await().atMost(Duration.ofSeconds(90)).until(() -> sink.metrics().records() >= historySize);
      assertThat(sink.metrics().deadLettered()).isZero();
    }
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  /**
   * 400 customers and 300 addresses, up to three versions each in source order, every 15th customer
   * and every 20th address deleted; the keys of a round are shuffled so that partitions and topics
   * interleave.
   */
  private static CommandItSupport.Producer history() {
    EntitySchemas customer = entity(SERVICE, "customer");
    EntitySchemas address = entity(SERVICE, "address");
    CommandItSupport.Producer p = new CommandItSupport.Producer(registry.url());
    Random random = new Random(7);
    for (int round = 0; round < 4; round++) {
      List<Long> ids = new ArrayList<>();
      for (long id = 1; id <= 400; id++) {
        ids.add(id);
      }
      Collections.shuffle(ids, random);
      for (long id : ids) {
        if (round < 3 && (round == 0 || id % (round + 1) == 0)) {
          p.add(CUSTOMERS, key(customer, "customer_id", id), customer(customer, id, round), lsn());
          if (id <= 300) {
            p.add(ADDRESSES, key(address, "address_id", id), address(address, id, round), lsn());
          }
        } else if (round == 3) {
          if (id % 15 == 0) {
            p.add(CUSTOMERS, key(customer, "customer_id", id), null, lsn());
          }
          if (id <= 300 && id % 20 == 0) {
            p.add(ADDRESSES, key(address, "address_id", id), null, lsn());
          }
        }
      }
    }
    return p;
  }

  private static long lsn() {
    return LSN.addAndGet(10);
  }

  private static GenericRecord key(EntitySchemas e, String field, long id) {
    GenericRecord k = new GenericData.Record(e.key());
    k.put(field, id);
    return k;
  }

  private static GenericRecord customer(EntitySchemas e, long id, int version) {
    String[] statuses = {"ACTIVE", "SUSPENDED", "CLOSED"};
    GenericRecord v = new GenericData.Record(e.value());
    v.put("customer_id", id);
    v.put("legacy_ref", String.format("C%08d", id));
    v.put("first_name", "Ann Marie");
    v.put("last_name", "O'Neil-" + id);
    v.put("email", version == 0 ? null : "ann" + id + "." + version + "@example.com");
    v.put("phone", id % 3 == 0 ? null : "+41 44 000 " + id);
    v.put("vip", (id + version) % 4 == 0);
    v.put(
        "status",
        new GenericData.EnumSymbol(e.value().getField("status").schema(), statuses[version]));
    v.put("created_on", 18_000 + (int) id);
    v.put("notes", version == 2 ? "moved; \"see\" ticket " + id : null);
    return v;
  }

  private static GenericRecord address(EntitySchemas e, long id, int version) {
    GenericRecord v = new GenericData.Record(e.value());
    v.put("address_id", id);
    v.put("customer_id", id);
    v.put(
        "kind",
        new GenericData.EnumSymbol(
            e.value().getField("kind").schema(), id % 2 == 0 ? "BILLING" : "SHIPPING"));
    v.put("line1", "Street " + id + " v" + version);
    v.put("line2", null);
    v.put("city", "Zürich");
    v.put("postal_code", "80" + (id % 100));
    v.put("country_code", "CH");
    return v;
  }

  /** The whole store: both entity tables and the delete positions, without write times. */
  private static Map<String, List<String>> store() throws SQLException {
    Map<String, List<String>> out = new TreeMap<>();
    out.put("customer", rows(DATABASE, CUSTOMER_ROWS));
    out.put("address", rows(DATABASE, ADDRESS_ROWS));
    out.put("carve_tombstones", rows(DATABASE, TOMBSTONE_ROWS));
    return out;
  }

  private static Map<TopicPartition, OffsetAndMetadata> liveOffsets() throws Exception {
    try (Admin admin = Admin.create(TestKafka.adminProperties())) {
      return admin
          .listConsumerGroupOffsets(ServiceSink.groupId(SERVICE))
          .partitionsToOffsetAndMetadata()
          .get();
    }
  }

  private static int liveGroupMembers() throws Exception {
    String group = ServiceSink.groupId(SERVICE);
    try (Admin admin = Admin.create(TestKafka.adminProperties())) {
      return admin
          .describeConsumerGroups(List.of(group))
          .describedGroups()
          .get(group)
          .get()
          .members()
          .size();
    }
  }

  @Test
  @Order(1)
  void dryRunSaysWhatWouldChangeAndShadowReplayRebuildsTheStoreWhileReadersKeepSeeingIt()
      throws Exception {
    Map<String, List<String>> live = store();
    assertThat(live.get("customer")).hasSize(400 - 400 / 15);
    assertThat(live.get("address")).hasSize(300 - 300 / 20);
    assertThat(live.get("carve_tombstones")).hasSize(400 / 15 + 300 / 20);
    String cfg = config.toString();

    // Damage the store behind the pipeline's back: the rebuild must not copy the damage.
    execute(DATABASE, "UPDATE public.customer SET last_name = 'BROKEN' WHERE customer_id < 50");
    execute(DATABASE, "DELETE FROM public.customer WHERE customer_id BETWEEN 61 AND 70");
    Map<String, List<String>> damaged = store();
    Map<TopicPartition, OffsetAndMetadata> offsetsBefore = liveOffsets();
    long customers = live.get("customer").size();
    long damagedCustomers = damaged.get("customer").size();
    assertThat(damagedCustomers).isEqualTo(customers - 10);

    try (ServiceSink sink = CommandItSupport.liveSink(config, SERVICE)) {
      sink.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> liveGroupMembers() > 0);
      Run warned = carve("replay", SERVICE, "--dry-run", "--config", cfg);
      assertThat(warned.exit()).as(warned.both()).isZero();
      assertThat(warned.out())
          .contains(
              "the live sink is running (consumer group carve-sink-replay_it has 1 member(s)):"
                  + " stop it first, or the replay refuses to start");
      Run refused = carve("replay", SERVICE, "--config", cfg);
      assertThat(refused.exit()).as(refused.both()).isEqualTo(Carve.EXIT_FAILURE);
      assertThat(refused.err())
          .contains("Cannot replay 'replay_it' while its sink is running")
          .contains("stop the sink first");
    }
    assertThat(rows(DATABASE, SHADOW_SCHEMAS)).isEmpty();

    Run dryRun = carve("replay", SERVICE, "--dry-run", "--config", cfg);
    assertThat(dryRun.exit()).as(dryRun.both()).isZero();
    assertThat(dryRun.out())
        .contains("Replay of service 'replay_it' (SHADOW):")
        .contains(
            "would drop and rebuild schema \"public__shadow__replay_it\", then in one transaction"
                + " replace"
                + " these tables of \"public\"")
        .contains(String.format(Locale.ROOT, "table customer: %,d rows now", damagedCustomers))
        .contains(
            String.format(Locale.ROOT, "table address: %,d rows now", live.get("address").size()))
        .containsPattern("replay_it\\.customer/0: read offsets 0\\.\\.\\d+, live sink at \\d+")
        .contains("replay_it.customer/2: read offsets")
        .contains("replay_it.address/1: read offsets")
        .contains(String.format(Locale.ROOT, "at most %,d records to read", historySize))
        .doesNotContain("the live sink is running");
    assertThat(store()).as("a dry run changes nothing").isEqualTo(damaged);
    assertThat(rows(DATABASE, SHADOW_SCHEMAS)).isEmpty();
    assertThat(liveOffsets()).isEqualTo(offsetsBefore);

    List<String> seenByReader = Collections.synchronizedList(new ArrayList<>());
    AtomicLong reads = new AtomicLong();
    AtomicBoolean reading = new AtomicBoolean(true);
    Thread reader = new Thread(() -> countRows(reading, seenByReader, reads), "reader");
    reader.start();
    Run replay;
    try {
      replay = carve("replay", SERVICE, "--config", cfg);
    } finally {
      reading.set(false);
      reader.join();
    }
    assertThat(replay.exit()).as(replay.both()).isZero();
    assertThat(store()).as("the rebuilt store equals the live one row for row").isEqualTo(live);
    assertThat(seenByReader)
        .as("a reader during the replay sees the old store, then the rebuilt one; never empty")
        .containsExactly(Long.toString(damagedCustomers), Long.toString(customers));
    assertThat(reads.get()).as("the reader ran during the replay").isGreaterThan(10);
    assertThat(rows(DATABASE, SHADOW_SCHEMAS)).as("no shadow schema left behind").isEmpty();
    assertThat(replay.out())
        .containsPattern(PROGRESS)
        .contains(
            String.format(
                java.util.Locale.ROOT,
                "[%s] %,d / %,d records",
                "#".repeat(30),
                historySize,
                historySize))
        .containsPattern(
            "replayed "
                + String.format(java.util.Locale.ROOT, "%,d", historySize)
                + " records of service 'replay_it' in [\\d.]+ s \\(shadow swapped in\\);"
                + " 0 failure\\(s\\)")
        .containsPattern("customer +upserted [\\d,]+  deleted " + 400 / 15 + "  skipped");

    // The live sink continues from the replay's offsets: nothing is rewritten, news land.
    CommandItSupport.Producer news = new CommandItSupport.Producer(registry.url());
    EntitySchemas customer = entity(SERVICE, "customer");
    news.add(CUSTOMERS, key(customer, "customer_id", 1000), customer(customer, 1000, 0), lsn())
        .add(CUSTOMERS, key(customer, "customer_id", 7), customer(customer, 7, 2), lsn())
        .send();
    try (ServiceSink sink = CommandItSupport.liveSink(config, SERVICE)) {
      sink.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() >= 2);
      Thread.sleep(1000);
      assertThat(sink.metrics().records()).as("only the new records were consumed").isEqualTo(2);
    }
    assertThat(
            rows(
                DATABASE,
                "SELECT customer_id, status FROM public.customer WHERE customer_id IN (7, 1000)"
                    + " ORDER BY 1"))
        .containsExactly("7|CLOSED", "1000|ACTIVE");
  }

  @Test
  @Order(2)
  void inPlaceReplayRebuildsTheSameStoreAndReportsARecordItCannotWrite() throws Exception {
    Map<String, List<String>> live = store();
    String cfg = config.toString();
    execute(DATABASE, "DELETE FROM public.address WHERE address_id < 100");
    EntitySchemas customer = entity(SERVICE, "customer");
    new CommandItSupport.Producer(registry.url())
        .addWithoutPosition(
            CUSTOMERS, key(customer, "customer_id", 2000), customer(customer, 2000, 0))
        .send();

    Run dryRun = carve("replay", SERVICE, "--in-place", "--dry-run", "--config", cfg);
    assertThat(dryRun.exit()).as(dryRun.both()).isZero();
    assertThat(dryRun.out())
        .contains("Replay of service 'replay_it' (IN_PLACE):")
        .contains(
            "would rewind consumer group carve-sink-replay_it to the earliest offsets and"
                + " TRUNCATE these tables of \"public\"");
    assertThat(rows(DATABASE, ADDRESS_ROWS)).hasSize(live.get("address").size() - 99 + 4);

    Run replay = carve("replay", SERVICE, "--in-place", "--config", cfg);
    assertThat(replay.exit()).as("a record could not be written: " + replay.both()).isEqualTo(1);
    assertThat(replay.out())
        .as("the plan is printed before the live tables are truncated")
        .contains("Replay of service 'replay_it' (IN_PLACE):")
        .contains("TRUNCATE these tables of \"public\"")
        .containsPattern(PROGRESS)
        .contains("(in place); 1 failure(s)")
        .contains(
            "1 record(s) could not be written; they are in the failure log:"
                + " carve dlq list replay_it");
    assertThat(store()).as("the rebuilt store equals the live one row for row").isEqualTo(live);
    Run failures = carve("dlq", "list", SERVICE, "--config", cfg);
    assertThat(failures.out())
        .contains("key {\"customer_id\": 2000}")
        .contains("has no position headers")
        .contains("1 open failure(s) of service 'replay_it'");
  }

  /** Counts the rows again and again; records each count that differs from the one before. */
  private static void countRows(AtomicBoolean reading, List<String> seen, AtomicLong reads) {
    try (Connection c = TestPostgres.connect(DATABASE);
        Statement s = c.createStatement()) {
      while (reading.get()) {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM public.customer")) {
          rs.next();
          String count = rs.getString(1);
          if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(count)) {
            seen.add(count);
          }
          reads.incrementAndGet();
        } catch (SQLException e) {
          seen.add("error: " + e.getMessage());
        }
      }
    } catch (SQLException e) {
      seen.add("error: " + e.getMessage());
    }
  }
}
