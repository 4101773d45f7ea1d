package dev.carve.cli.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.core.SourcePosition;
import dev.carve.schemas.EntitySchemas;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.testkit.TestPostgres;
import dev.carve.transform.api.DomainRecord;
import dev.carve.transform.api.Output;
import dev.carve.transform.api.TableMapper;
import dev.carve.transform.api.Topic;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The bucketed comparison on a generated table of 200,000 rows (four buckets): equal tables are
 * equal, and a single difference among them is found with both versions.
 */
@Timeout(300)
class BucketedReconcilerIT {
  private static final int ROWS = 200_000;
  private static final Schema KEY =
      SchemaBuilder.record("ItemKey").fields().requiredLong("item_id").endRecord();
  private static final Schema VALUE =
      SchemaBuilder.record("Item")
          .fields()
          .requiredLong("item_id")
          .requiredString("name")
          .requiredLong("amount_cents")
          .endRecord();
  private static String sourceDb;
  private static String targetDb;

  @BeforeAll
  static void generate() throws Exception {
    sourceDb = TestPostgres.createDatabase("bucketed_source");
    targetDb = TestPostgres.createDatabase("bucketed_target");
    try (Connection c =
            java.sql.DriverManager.getConnection(
                sourceDb, TestPostgres.USER, TestPostgres.PASSWORD);
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE items (id bigint PRIMARY KEY, name text, amount numeric(12,2),"
              + " updated_at timestamp)");
      s.execute(
          "INSERT INTO items SELECT g, 'item ' || g, g / 100.0,"
              + " timestamp '2026-01-01 00:00:00' + g * interval '1 second'"
              + " FROM generate_series(1, "
              + ROWS
              + ") g");
      s.execute("ANALYZE items");
    }
    try (Connection c =
            java.sql.DriverManager.getConnection(
                targetDb, TestPostgres.USER, TestPostgres.PASSWORD);
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE item (item_id bigint PRIMARY KEY, name text, amount_cents bigint,"
              + " carve_commit_lsn bigint, carve_change_lsn bigint)");
      s.execute(
          "INSERT INTO item SELECT g, 'item ' || g, g, 0, 0 FROM generate_series(1, "
              + ROWS
              + ") g");
      s.execute("ANALYZE item");
    }
  }

  @Test
  void equalTablesAreEqualAndOneChangedFieldIsFoundInItsBucket() throws Exception {
    Reconciler reconciler = reconciler();
    assertThat(Reconciler.buckets(ROWS)).isEqualTo(4);

    long t0 = System.nanoTime();
    ReconcileReport equal = reconciler.run(line -> {});
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        "bucketed verify of %,d + %,d rows: %.1f s, %,.0f rows/s%n",
        ROWS, ROWS, seconds, 2 * ROWS / seconds);
    assertThat(equal.equal()).as(equal.render()).isTrue();
    assertThat(equal.entities().get(0).expectedRows()).isEqualTo(ROWS);
    assertThat(equal.entities().get(0).actualRows()).isEqualTo(ROWS);

    try (Connection c =
            java.sql.DriverManager.getConnection(
                targetDb, TestPostgres.USER, TestPostgres.PASSWORD);
        Statement s = c.createStatement()) {
      s.execute("UPDATE item SET name = 'renamed' WHERE item_id = 123457");
    }
    try {
      long t1 = System.nanoTime();
      ReconcileReport one = reconciler.run(line -> {});
      double warm = (System.nanoTime() - t1) / 1e9;
      System.out.printf(
          "bucketed verify, warm, one difference: %.1f s, %,.0f rows/s%n", warm, 2 * ROWS / warm);
      ReconcileReport.EntityResult r = one.entities().get(0);
      assertThat(one.equal()).isFalse();
      assertThat(r.missingCount()).isZero();
      assertThat(r.extraCount()).isZero();
      assertThat(r.differentCount()).isEqualTo(1);
      assertThat(r.different())
          .containsExactly("item_id=123457: name expected item 123457 found renamed");
      assertThat(r.mismatches()).hasSize(1);
      assertThat(r.mismatches().get(0).sources())
          .containsExactly(new ReconcileReport.SourceKey("items", Map.of("id", "123457")));

      ReconcileReport amountsOnly =
          reconciler.run(
              new Reconciler.Options(List.of("amount_cents"), null, null, null, null),
              Reconciler.Progress.lines(line -> {}));
      assertThat(amountsOnly.equal()).as("the changed field is not compared").isTrue();
    } finally {
      try (Connection c =
              java.sql.DriverManager.getConnection(
                  targetDb, TestPostgres.USER, TestPostgres.PASSWORD);
          Statement s = c.createStatement()) {
        s.execute("UPDATE item SET name = 'item 123457' WHERE item_id = 123457");
      }
    }
  }

  @Test
  void windowedRunComparesOnlyTheKeysOfSourceRowsInTheWindow() throws Exception {
    Reconciler reconciler = reconciler();
    Reconciler.Options window =
        new Reconciler.Options(
            List.of(),
            "updated_at",
            java.time.LocalDateTime.parse("2026-01-01T00:00:01"),
            java.time.LocalDateTime.parse("2026-01-01T00:16:41"),
            null);
    try (Connection c =
            java.sql.DriverManager.getConnection(
                targetDb, TestPostgres.USER, TestPostgres.PASSWORD);
        Statement s = c.createStatement()) {
      s.execute("UPDATE item SET amount_cents = -1 WHERE item_id IN (500, 150000)");
    }
    try {
      ReconcileReport r = reconciler.run(window, Reconciler.Progress.lines(line -> {}));
      ReconcileReport.EntityResult e = r.entities().get(0);
      assertThat(r.windowed()).isTrue();
      assertThat(e.expectedRows()).isEqualTo(1000);
      assertThat(e.actualRows()).isEqualTo(1000);
      assertThat(e.extraCount()).as("target rows outside the window are not extra").isZero();
      assertThat(e.different())
          .as("the change outside the window is not seen")
          .containsExactly("item_id=500: amount_cents expected 500 found -1");
    } finally {
      try (Connection c =
              java.sql.DriverManager.getConnection(
                  targetDb, TestPostgres.USER, TestPostgres.PASSWORD);
          Statement s = c.createStatement()) {
        s.execute("UPDATE item SET amount_cents = item_id WHERE item_id IN (500, 150000)");
      }
    }
  }

  @Test
  void keyChangedWhileComparingIsEqualOnARecheckAndOnlyTheLastingDifferenceIsReported()
      throws Exception {
    Reconciler reconciler = reconciler();
    // 777 stands for a change on its way through the pipeline, 888 for a corrupted row.
    targetSql("UPDATE item SET name = 'in flight' WHERE item_id = 777");
    targetSql("UPDATE item SET name = 'corrupted' WHERE item_id = 888");
    try {
      ReconcileReport first = reconciler.run(line -> {});
      assertThat(first.entities().get(0).differentCount()).isEqualTo(2);
      List<Duration> pauses = new ArrayList<>();
      List<String> lines = new ArrayList<>();
      Settling.Outcome outcome =
          Settling.settle(
              reconciler,
              Reconciler.Options.all(),
              first,
              Duration.ofMinutes(1),
              d -> {
                pauses.add(d);
                if (pauses.size() == 1) {
                  targetSql("UPDATE item SET name = 'item 777' WHERE item_id = 777"); // it lands
                }
              },
              lines::add);

      ReconcileReport.EntityResult r = outcome.report().entities().get(0);
      assertThat(r.different())
          .containsExactly("item_id=888: name expected item 888 found corrupted");
      assertThat(r.mismatches()).hasSize(1);
      assertThat(r.expectedRows()).isEqualTo(ROWS);
      assertThat(r.actualRows()).isEqualTo(ROWS);
      assertThat(outcome.report().equal()).isFalse();
      assertThat(outcome.report().windowed()).as("the whole table was compared").isFalse();
      assertThat(outcome.differed()).isEqualTo(2);
      assertThat(outcome.settled()).isEqualTo(1);
      assertThat(outcome.rounds())
          .as("round 1 settled 777; round 2 settled nothing, so 888 differs for good")
          .isEqualTo(2);
      assertThat(pauses).hasSize(2).allSatisfy(d -> assertThat(d).isEqualTo(Settling.PAUSE));
      assertThat(lines)
          .containsExactly(
              "  re-check 1: 1 of the 2 keys that differed still differ",
              "  re-check 2: 1 of the 2 keys that differed still differ");
      assertThat(outcome.describe())
          .contains("re-checked the 2 keys that differed (2 rounds, ")
          .contains("1 equal now (changed while verify read them")
          .contains("1 still differ (listed above)");

      Settling.Outcome off =
          Settling.settle(
              reconciler,
              Reconciler.Options.all(),
              first,
              Duration.ZERO,
              d -> {
                throw new AssertionError("no pause with --settle 0");
              },
              lines::add);
      assertThat(off.report()).isSameAs(first);
      assertThat(off.describe()).isEqualTo("  not re-checked: --settle 0");

      targetSql("UPDATE item SET name = 'item 888' WHERE item_id = 888");
      Settling.Outcome repaired =
          Settling.settle(
              reconciler,
              Reconciler.Options.all(),
              first,
              Duration.ofMinutes(1),
              d -> {},
              line -> {});
      assertThat(repaired.report().equal()).as(repaired.report().render()).isTrue();
      assertThat(repaired.rounds()).isEqualTo(1);
      assertThat(repaired.describe()).contains("2 equal now").contains("0 still differ");
    } finally {
      targetSql("UPDATE item SET name = 'item ' || item_id WHERE item_id IN (777, 888)");
    }
  }

  private static void targetSql(String sql) throws java.sql.SQLException {
    try (Connection c =
            java.sql.DriverManager.getConnection(
                targetDb, TestPostgres.USER, TestPostgres.PASSWORD);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static Reconciler reconciler() {
    Topic<GenericRecord, GenericRecord> topic =
        Topic.of(
            "bench.item",
            AvroSerdes.generic(Map.of("schema.registry.url", "mock://bench"), true),
            AvroSerdes.generic(Map.of("schema.registry.url", "mock://bench"), false));
    TableMapper mapper =
        (change, scope) -> {
          long id = ((Number) change.after().get("id")).longValue();
          GenericRecord key = new GenericData.Record(KEY);
          key.put("item_id", id);
          GenericRecord value = new GenericData.Record(VALUE);
          value.put("item_id", id);
          value.put("name", change.after().get("name"));
          value.put(
              "amount_cents",
              new java.math.BigDecimal((String) change.after().get("amount"))
                  .movePointRight(2)
                  .longValueExact());
          return List.of(
              Output.to(topic, DomainRecord.upsert(key, value, SourcePosition.SNAPSHOT)));
        };
    return new Reconciler(
        "bench",
        List.of(new EntitySchemas("bench", "item", KEY, VALUE)),
        Map.of("items", mapper),
        new Reconciler.Db(sourceDb, TestPostgres.USER, TestPostgres.PASSWORD, "public"),
        new Reconciler.Db(targetDb, TestPostgres.USER, TestPostgres.PASSWORD, "public"));
  }
}
