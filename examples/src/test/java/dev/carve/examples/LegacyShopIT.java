package dev.carve.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.testkit.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LegacyShopIT {
  private static final DataGenerator.Sizes SIZES = new DataGenerator.Sizes(300, 40, 900);
  private static final String DB = "examples_shop_quirks";
  private static DataGenerator.Result loaded;
  private static final List<String> PROGRESS = new ArrayList<>();

  @BeforeAll
  static void loadShop() throws SQLException {
    TestPostgres.createDatabase(DB);
    try (Connection c = TestPostgres.connect(DB)) {
      LegacyShop.createSchema(c);
      loaded =
          DataGenerator.create(SIZES, 7)
              .generate(c, (table, done, total) -> PROGRESS.add(table + ":" + done));
    }
  }

  @Test
  void createdSchemaHasEveryTableAndStartsEmpty() throws SQLException {
    TestPostgres.createDatabase("examples_shop_empty");
    try (Connection c = TestPostgres.connect("examples_shop_empty")) {
      assertThat(LegacyShop.schemaExists(c)).isFalse();
      LegacyShop.createSchema(c);
      assertThat(LegacyShop.schemaExists(c)).isTrue();
      assertThat(LegacyShop.isEmpty(c)).isTrue();
      assertThatThrownBy(() -> LegacyShop.createSchema(c))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("CREATE TABLE customers");
    }
  }

  @Test
  void generatorLoadsTheRequestedSizesAndReportsProgress() throws SQLException {
    try (Connection c = TestPostgres.connect(DB)) {
      assertThat(LegacyShop.isEmpty(c)).isFalse();
      assertThat(count(c, "SELECT count(*) FROM customers")).isEqualTo(300);
      assertThat(count(c, "SELECT count(*) FROM products")).isEqualTo(40);
      assertThat(count(c, "SELECT count(*) FROM orders")).isEqualTo(900);
      assertThat(count(c, "SELECT count(*) FROM addresses")).isBetween(300L, 600L);
      assertThat(count(c, "SELECT count(*) FROM payments")).isBetween(500L, 900L);
      assertThat(count(c, "SELECT count(*) FROM shipments")).isBetween(400L, 900L);
      assertThat(loaded.rowsPerTable())
          .containsEntry("orders", 900L)
          .containsKeys("customers", "addresses", "products", "payments", "shipments");
    }
    assertThat(PROGRESS).contains("customers:300", "orders:900", "products:40");
  }

  @Test
  void generatorRefusesANonEmptyDatabase() throws SQLException {
    try (Connection c = TestPostgres.connect(DB)) {
      assertThatThrownBy(
              () -> DataGenerator.create(SIZES, 7).generate(c, DataGenerator.Progress.NONE))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("empty database");
    }
  }

  @Test
  void keysFlagsAndTextDatesHaveTheMonolithsFormats() throws SQLException {
    try (Connection c = TestPostgres.connect(DB)) {
      assertNone(c, "SELECT count(*) FROM customers WHERE cust_no !~ '^C[0-9]{8}$'");
      assertNone(c, "SELECT count(*) FROM orders WHERE order_ref !~ '^ORD-20[0-9]{2}-[0-9]{5,}$'");
      assertNone(c, "SELECT count(*) FROM shipments WHERE shipment_no !~ '^SHP-[0-9]{6}$'");
      assertNone(c, "SELECT count(*) FROM products WHERE sku !~ '^SKU-[0-9]{5}$'");
      assertNone(
          c,
          "SELECT count(*) FROM customers WHERE array_length(regexp_split_to_array(full_name, ' '),"
              + " 1) NOT IN (2, 3) AND full_name !~ ' (de Vries|O''Brien)$'");
      assertNone(c, "SELECT count(*) FROM customers WHERE vip_flag NOT IN ('Y', 'N')");
      assertNone(c, "SELECT count(*) FROM customers WHERE status NOT IN ('A', 'S', 'C')");
      assertNone(c, "SELECT count(*) FROM orders WHERE status NOT IN ('N', 'P', 'S', 'D', 'X')");
      assertNone(c, "SELECT count(*) FROM payments WHERE method NOT IN ('CC', 'PP', 'BT')");
      assertNone(c, "SELECT count(*) FROM addresses WHERE addr_type NOT IN ('B', 'S')");
      assertNone(
          c,
          "SELECT count(*) FROM customers WHERE created_on !~ '^[0-9]{2}\\.[0-9]{2}\\.[0-9]{4}$'"
              + " OR to_char(to_date(created_on, 'DD.MM.YYYY'), 'DD.MM.YYYY') <> created_on");
      assertNone(
          c,
          "SELECT count(*) FROM orders WHERE to_char(to_timestamp(order_date, 'YYYY-MM-DD"
              + " HH24:MI:SS'), 'YYYY-MM-DD HH24:MI:SS') <> order_date");
      assertNone(
          c,
          "SELECT count(*) FROM shipments WHERE shipped_on IS NOT NULL AND"
              + " to_char(to_date(shipped_on, 'YYYYMMDD'), 'YYYYMMDD') <> shipped_on");
      assertNone(
          c,
          "SELECT count(*) FROM orders WHERE ship_to IS NOT NULL AND"
              + " array_length(string_to_array(ship_to, '|'), 1) <> 5");
      assertNone(
          c,
          "SELECT count(*) FROM (SELECT currency FROM orders UNION ALL SELECT currency FROM"
              + " products UNION ALL SELECT currency FROM payments) x WHERE currency NOT IN"
              + " ('EUR', 'GBP', 'USD')");
      assertThat(count(c, "SELECT count(DISTINCT currency) FROM orders")).isEqualTo(3);
      assertThat(count(c, "SELECT count(*) FROM customers WHERE deleted_flag = 'Y'")).isPositive();
      assertThat(count(c, "SELECT count(*) FROM orders WHERE deleted_flag = 'Y'")).isPositive();
    }
  }

  @Test
  void everyOrderTotalIsTheSumOfItsBlobLines() throws SQLException {
    try (Connection c = TestPostgres.connect(DB)) {
      assertNone(
          c,
          "SELECT count(*) FROM orders o WHERE o.total_amount <> (SELECT"
              + " sum((l->>'qty')::int * (l->>'unit_price')::numeric) FROM"
              + " jsonb_array_elements(o.lines_blob::jsonb) l)");
      assertNone(
          c,
          "SELECT count(*) FROM orders WHERE jsonb_array_length(lines_blob::jsonb) NOT BETWEEN 1 AND 5");
      assertNone(
          c,
          "SELECT count(*) FROM orders o, jsonb_array_elements(o.lines_blob::jsonb) l WHERE NOT"
              + " EXISTS (SELECT 1 FROM products p WHERE p.sku = l->>'sku')"
              + " OR (l->>'unit_price') !~ '^[0-9]+\\.[0-9]{2}$'");
      assertNone(
          c,
          "SELECT count(*) FROM payments p WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE"
              + " o.order_ref = p.order_ref AND o.total_amount = p.amount AND o.currency ="
              + " p.currency)");
    }
  }

  @Test
  void largeCustomerNotesAreToasted() throws SQLException {
    try (Connection c = TestPostgres.connect(DB)) {
      assertThat(count(c, "SELECT count(*) FROM customers WHERE octet_length(notes) > 8192"))
          .isGreaterThanOrEqualTo(300 / DataGenerator.TOASTED_NOTES_EVERY);
      String toast;
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid ="
                      + " 'public.customers'::regclass")) {
        rs.next();
        toast = rs.getString(1);
      }
      assertThat(count(c, "SELECT count(*) FROM " + toast)).isPositive();
    }
  }

  @Test
  void sameSeedGivesTheSameData() throws SQLException {
    TestPostgres.createDatabase("examples_shop_again");
    try (Connection c = TestPostgres.connect("examples_shop_again");
        Connection original = TestPostgres.connect(DB)) {
      LegacyShop.createSchema(c);
      DataGenerator.create(SIZES, 7).generate(c, DataGenerator.Progress.NONE);
      for (String table : LegacyShop.TABLES) {
        assertThat(tableHash(c, table)).as(table).isEqualTo(tableHash(original, table));
      }
    }
  }

  @Test
  void loadGeneratorAppliesEveryKindOfChangeAtRoughlyTheRate() throws Exception {
    String db = "examples_shop_load";
    TestPostgres.createDatabase(db);
    try (Connection c = TestPostgres.connect(db)) {
      LegacyShop.createSchema(c);
      DataGenerator.create(new DataGenerator.Sizes(200, 20, 600), 3)
          .generate(c, DataGenerator.Progress.NONE);
    }
    LoadGenerator load =
        LoadGenerator.create(
            () -> TestPostgres.connect(db), LoadGenerator.Options.of(200, 11).withBulk(300, 500));
    load.start();
    assertThat(load.state()).isEqualTo(LoadGenerator.State.RUNNING);
    assertThatThrownBy(load::start).isInstanceOf(IllegalStateException.class);
    Thread.sleep(4_000);
    assertThat(load.stop(Duration.ofSeconds(10))).isTrue();

    assertThat(load.failure()).isEmpty();
    assertThat(load.state()).isEqualTo(LoadGenerator.State.STOPPED);
    long bulk = load.counts().get(LoadGenerator.Kind.BULK_INSERT);
    assertThat(load.total() - bulk).isBetween(400L, 1_000L);
    assertThat(bulk % 500).as("large transactions insert 500 orders each").isZero();
    assertThat(load.counts()).allSatisfy((kind, n) -> assertThat(n).as(kind.name()).isPositive());
    try (Connection c = TestPostgres.connect(db)) {
      assertNone(
          c,
          "SELECT count(*) FROM payments p WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE"
              + " o.order_ref = p.order_ref)");
      assertNone(
          c,
          "SELECT count(*) FROM shipments s WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE"
              + " o.order_ref = s.order_ref)");
      assertNone(
          c,
          "SELECT count(*) FROM orders o WHERE o.total_amount <> (SELECT"
              + " sum((l->>'qty')::int * (l->>'unit_price')::numeric) FROM"
              + " jsonb_array_elements(o.lines_blob::jsonb) l)");
      assertThat(
              count(
                  c, "SELECT count(*) FROM orders WHERE order_ref ~ '^ORD-20[0-9]{2}-[0-9]{5,}$'"))
          .isEqualTo(count(c, "SELECT count(*) FROM orders"));
    }
  }

  @Test
  void sameSeedAppliesTheSameChanges() throws SQLException {
    List<Map<String, String>> hashes = new ArrayList<>();
    for (String db : List.of("examples_shop_load_a", "examples_shop_load_b")) {
      TestPostgres.createDatabase(db);
      try (Connection c = TestPostgres.connect(db)) {
        LegacyShop.createSchema(c);
        DataGenerator.create(new DataGenerator.Sizes(100, 10, 300), 5)
            .generate(c, DataGenerator.Progress.NONE);
      }
      LoadGenerator load =
          LoadGenerator.create(() -> TestPostgres.connect(db), LoadGenerator.Options.of(1, 99));
      load.applyChanges(300);
      assertThat(load.total()).isEqualTo(300);
      try (Connection c = TestPostgres.connect(db)) {
        Map<String, String> h = new java.util.TreeMap<>();
        for (String table : LegacyShop.TABLES) {
          h.put(table, tableHash(c, table));
        }
        hashes.add(h);
      }
    }
    assertThat(hashes.get(0)).isEqualTo(hashes.get(1));
  }

  @Test
  void generateMainRejectsUnknownAndMissingOptions() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        GenerateMain.run(
            new String[] {"--customers", "ten", "--colour", "red"},
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("unknown option --colour")
        .contains("--jdbc-url is required");
  }

  @Test
  void generateMainCreatesAndLoadsADatabase() {
    String db = "examples_shop_main";
    String url = TestPostgres.createDatabase(db);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code =
        GenerateMain.run(
            new String[] {"--jdbc-url", url, "--user", TestPostgres.USER, "--customers", "50"},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            System.err,
            Map.of("PGPASSWORD", TestPostgres.PASSWORD));
    assertThat(code).isEqualTo(0);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("Created the legacy-shop schema", "Loaded");
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void assertNone(Connection c, String sql) throws SQLException {
    assertThat(count(c, sql)).as(sql).isZero();
  }

  private static String tableHash(Connection c, String table) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM "
                    + LegacyShop.qualified(table)
                    + " t")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
