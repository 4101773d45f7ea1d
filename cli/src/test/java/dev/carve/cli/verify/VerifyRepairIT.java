package dev.carve.cli.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.cli.Carve;
import dev.carve.cli.TestPorts;
import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.runtime.EmbeddedPipeline;
import dev.carve.cli.runtime.PipelineStatus;
import dev.carve.examples.DataGenerator;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * {@code carve verify} against a running embedded pipeline whose target was corrupted behind the
 * pipeline's back: it finds exactly the deleted, changed and added rows, and {@code --repair}
 * brings them back through the pipeline (incremental snapshot for the first two, a repair tombstone
 * for the row no source row maps to).
 */
@Timeout(900)
class VerifyRepairIT {
  private static final Logger LOG = LoggerFactory.getLogger(VerifyRepairIT.class);
  private static final Path HOME = dev.carve.cli.TestHome.dir();
  private static final DataGenerator.Sizes SMALL = new DataGenerator.Sizes(120, 30, 300);
  private static final long EXTRA_ID = 987_654_321L;
  // Large, so that the corruption below (the two smallest order ids) does not pick it.
  private static final long RECORDED_KEY = Long.MAX_VALUE - 42;
  private static final String RECORDED_REF = "ORD-KEYS-0001";

  @Test
  void verifyFindsTheThreeCorruptedKeysAndRepairMakesTheTargetEqualAgain(@TempDir Path state)
      throws Exception {
    EmbeddedPipeline.Options options =
        new EmbeddedPipeline.Options(
            state,
            HOME,
            TestPorts.freePair(),
            TestPorts.free(),
            TestPorts.free(),
            SMALL,
            7,
            0,
            false);
    try (EmbeddedPipeline pipeline = EmbeddedPipeline.start(options, LOG::info)) {
      awaitSynced(pipeline);
      Path config = writeConfig(pipeline.config(), state.resolve("verify.yaml"));
      recordedKeyIsUsedByTheTransformerAndExpectedByVerify(pipeline, config);

      long deleted;
      long changed;
      String changedFrom;
      try (Connection t = pipeline.postgres().connect("orders");
          Statement s = t.createStatement()) {
        t.setAutoCommit(true);
        try (ResultSet rs =
            s.executeQuery(
                "SELECT order_id, ship_name FROM \"order\" WHERE ship_name IS NOT NULL"
                    + " ORDER BY order_id LIMIT 2")) {
          rs.next();
          deleted = rs.getLong(1);
          rs.next();
          changed = rs.getLong(1);
          changedFrom = rs.getString(2);
        }
        s.execute("DELETE FROM \"order\" WHERE order_id = " + deleted);
        s.execute("UPDATE \"order\" SET ship_name = 'Corrupted' WHERE order_id = " + changed);
        s.execute("CREATE TEMP TABLE extra AS SELECT * FROM \"order\" WHERE order_id = " + changed);
        s.execute("UPDATE extra SET order_id = " + EXTRA_ID + ", order_ref = 'ORD-EXTRA-0001'");
        s.execute("INSERT INTO \"order\" SELECT * FROM extra");
      }

      Run found = carve("verify", "orders", "--config", config.toString());
      LOG.info("verify after the corruption:\n{}", found.out());
      assertThat(found.exit()).as(found.err()).isEqualTo(1);
      assertThat(found.out())
          .containsPattern("key registry carve\\.legacy-keys: [\\d,]+ keys recorded \\(1 other")
          .doesNotContain("order_id=" + RECORDED_KEY)
          .contains("missing   order_id=" + deleted)
          .contains("extra     order_id=" + EXTRA_ID)
          .contains(
              "different order_id="
                  + changed
                  + ": ship_name expected "
                  + changedFrom
                  + " found Corrupted")
          .containsPattern("orders\\.order +[\\d,]+ +[\\d,]+ +1 +1 +1  MISMATCH")
          .containsPattern("orders\\.order_line .* OK")
          .contains("DIFFERENT from the mapped source");
      long[] legacy = distinctLegacyKeys(pipeline.config().source());
      assertThat(found.out())
          .as("every new key the mapping allocated was checked: none belongs to two legacy values")
          .contains(
              String.format(
                  Locale.ROOT,
                  "new keys (customer %,d, order %,d): each belongs to one legacy value",
                  legacy[0],
                  legacy[1]));

      Run fieldsOnly =
          carve("verify", "orders", "--config", config.toString(), "--fields", "status,total");
      assertThat(fieldsOnly.out())
          .as("ship_name is not compared, the missing and extra keys still are")
          .containsPattern("orders\\.order +[\\d,]+ +[\\d,]+ +1 +1 +0  MISMATCH");

      Run windowed =
          carve(
              "verify",
              "orders",
              "--config",
              config.toString(),
              "--time-column",
              "updated_at",
              "--since",
              "2000-01-01T00:00:00Z");
      assertThat(windowed.exit()).isEqualTo(1);
      assertThat(windowed.out())
          .as("in a windowed run a target key no source row in the window maps to is not extra")
          .containsPattern("orders\\.order +[\\d,]+ +[\\d,]+ +1 +0 +1  MISMATCH")
          .doesNotContain("order_id=" + EXTRA_ID);

      Run dryRun =
          carve("verify", "orders", "--config", config.toString(), "--repair", "--dry-run");
      assertThat(dryRun.exit()).isEqualTo(1);
      assertThat(dryRun.out()).contains("dry run: nothing written");

      Run repaired =
          carve(
              "verify",
              "orders",
              "--config",
              config.toString(),
              "--repair",
              "--repair-timeout",
              "4m");
      LOG.info("verify --repair:\n{}", repaired.out());
      assertThat(repaired.out())
          .contains("re-emit 2 rows of public.orders by an incremental snapshot")
          .contains("delete 1 extra key of orders.order")
          .contains("REPAIRED");
      assertThat(repaired.exit()).as(repaired.out() + repaired.err()).isZero();

      Run after = carve("verify", "orders", "--config", config.toString());
      assertThat(after.exit()).as(after.out() + after.err()).isZero();
      assertThat(after.out()).contains("EQUAL to the mapped source");

      sourceRowTheMappingRejectsKeepsItsTargetRowsThroughARepair(pipeline, config);
    }
  }

  /**
   * Regression: an order whose new status the mapping rejects (its change is dead-lettered) kept
   * its last mapping in the target, which verify saw as extra keys no source row maps to, and
   * {@code --repair} deleted them.
   */
  private static void sourceRowTheMappingRejectsKeepsItsTargetRowsThroughARepair(
      EmbeddedPipeline pipeline, Path config) throws Exception {
    CarveConfig.Database source = pipeline.config().source();
    String ref;
    try (Connection c =
            DriverManager.getConnection(source.jdbcUrl(), source.username(), source.password());
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "UPDATE orders SET status = 'Q' WHERE order_ref = (SELECT order_ref FROM orders"
                    + " WHERE deleted_flag <> 'Y' ORDER BY order_ref LIMIT 1 OFFSET 3)"
                    + " RETURNING order_ref")) {
      rs.next();
      ref = rs.getString(1);
    }

    Run repair =
        carve(
            "verify",
            "orders",
            "--config",
            config.toString(),
            "--repair",
            "--settle",
            "0",
            "--repair-timeout",
            "20s");
    LOG.info("verify --repair with an unmappable source row:\n{}", repair.out());

    assertThat(repair.exit()).as(repair.out() + repair.err()).isEqualTo(1);
    assertThat(repair.out())
        .contains("1 source row cannot be mapped")
        .contains("not deleting ")
        .contains("the last mapping of one of them")
        .doesNotContain("delete 1 extra key")
        .doesNotContain("REPAIRED");
    try (Connection t = pipeline.postgres().connect("orders");
        Statement s = t.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT count(*) FROM \"order\" WHERE order_ref = '" + ref + "'")) {
      rs.next();
      assertThat(rs.getLong(1)).as("order " + ref + " is still in the target").isEqualTo(1);
    }
  }

  /**
   * A key recorded before the transformer first sees its legacy value (an imported key) is the key
   * of its rows in the target, and {@code carve verify} expects it there: it reads the key
   * registry, where a verify on proposals would report the order missing under its proposal and
   * extra under the recorded key.
   */
  private static void recordedKeyIsUsedByTheTransformerAndExpectedByVerify(
      EmbeddedPipeline pipeline, Path config) throws Exception {
    Run set =
        carve(
            "keys",
            "set",
            "orders",
            "order",
            RECORDED_REF,
            Long.toString(RECORDED_KEY),
            "--config",
            config.toString());
    assertThat(set.exit()).as(set.out() + set.err()).isZero();
    // The transformer's global store reads the registry within milliseconds; the change below
    // takes the capture's round trip to reach it.
    Thread.sleep(3000);
    CarveConfig.Database source = pipeline.config().source();
    try (Connection c =
            DriverManager.getConnection(source.jdbcUrl(), source.username(), source.password());
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO orders (order_ref, cust_no, order_date, status, total_amount, currency,"
              + " lines_blob, ship_to, deleted_flag) SELECT '"
              + RECORDED_REF
              + "', cust_no, order_date, status, total_amount, currency, lines_blob, ship_to, 'N'"
              + " FROM orders WHERE deleted_flag <> 'Y' ORDER BY order_ref LIMIT 1");
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (true) {
      try (Connection t = pipeline.postgres().connect("orders");
          Statement s = t.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT count(*) FROM \"order\" WHERE order_ref = '" + RECORDED_REF + "'")) {
        rs.next();
        if (rs.getLong(1) > 0) {
          break;
        }
      }
      assertThat(System.nanoTime())
          .as("order " + RECORDED_REF + " reached the target")
          .isLessThan(deadline);
      Thread.sleep(500);
    }
    try (Connection t = pipeline.postgres().connect("orders");
        Statement s = t.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT order_id FROM \"order\" WHERE order_ref = '" + RECORDED_REF + "'")) {
      rs.next();
      assertThat(rs.getLong(1)).as("the recorded key, not the proposal").isEqualTo(RECORDED_KEY);
    }
    awaitSynced(pipeline);
  }

  private record Run(int exit, String out, String err) {}

  private static Run carve(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = Carve.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  /**
   * The legacy values the orders mapping allocates new keys for: the customers of the orders it
   * keeps ({@code customer_id}), and every order ({@code order_id}; a soft-deleted one for its
   * delete).
   */
  private static long[] distinctLegacyKeys(CarveConfig.Database source) throws Exception {
    try (Connection c =
            DriverManager.getConnection(source.jdbcUrl(), source.username(), source.password());
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(DISTINCT cust_no) FILTER (WHERE deleted_flag IS DISTINCT FROM 'Y'),"
                    + " count(DISTINCT order_ref) FROM orders")) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }

  /** A carve.yaml pointing at the embedded pipeline's endpoints. */
  private static Path writeConfig(CarveConfig c, Path file) throws Exception {
    CarveConfig.Database orders = c.service("orders").target();
    String yaml =
        String.join(
            "\n",
            "kafka:",
            "  bootstrap-servers: " + c.kafka().bootstrapServers(),
            "schema-registry:",
            "  url: " + c.registryUrl(),
            "capture:",
            "  connector: " + c.capture().connector().toAbsolutePath(),
            "source:",
            "  jdbc-url: " + c.source().jdbcUrl(),
            "  username: " + c.source().username(),
            "  password: \"" + c.source().password() + "\"",
            "services:",
            "  orders:",
            "    topology: " + c.resolve(c.service("orders").topology()).toAbsolutePath(),
            "    target:",
            "      jdbc-url: " + orders.jdbcUrl(),
            "      username: " + orders.username(),
            "      password: \"" + orders.password() + "\"",
            "");
    Files.writeString(file, yaml);
    return file;
  }

  /** Waits until the orders service has no lag and reconciles equal (other services may lag). */
  private static void awaitSynced(EmbeddedPipeline pipeline) throws Exception {
    long started = System.nanoTime();
    String detail = "not checked";
    while (System.nanoTime() - started < Duration.ofMinutes(8).toNanos()) {
      assertThat(pipeline.failure()).as("a part failed").isEmpty();
      PipelineStatus status =
          PipelineStatus.of(pipeline, Duration.ofNanos(System.nanoTime() - started));
      PipelineStatus.Service orders =
          status.services().stream().filter(s -> s.name().equals("orders")).findFirst().get();
      if (orders.transformLag() == 0 && orders.sinkLag() == 0) {
        ReconcileReport report =
            pipeline
                .services()
                .get("orders")
                .reconciler(pipeline.config().source())
                .run(line -> {});
        if (report.equal()) {
          return;
        }
        detail = report.brief();
      } else {
        detail = "lag " + orders.transformLag() + "+" + orders.sinkLag();
      }
      Thread.sleep(2000);
    }
    throw new AssertionError("orders not synced within 8 minutes: " + detail);
  }

  /** A free port whose successor is free too (broker and controller). */
}
