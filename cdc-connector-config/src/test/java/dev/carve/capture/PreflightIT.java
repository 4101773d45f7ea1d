package dev.carve.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.carve.capture.PreflightCheck.Level;
import dev.carve.core.config.Substitution;
import dev.carve.examples.LegacyShop;
import dev.carve.testkit.TestPostgres;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;

@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PreflightIT {

  /** The legacy-shop connector pointed at a test database, with its own slot and publication. */
  private static ConnectorConfig connector(String db, Map<String, String> overrides) {
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
    Map<String, String> o = new HashMap<>();
    o.put("slot.name", db + "_slot");
    o.put("publication.name", db + "_pub");
    o.putAll(overrides);
    return ConnectorConfig.load(Path.of("connectors/legacy-shop.json"), new Substitution(env::get))
        .withOverrides(o);
  }

  private static String legacyShop(String db) throws SQLException {
    TestPostgres.createDatabase(db);
    try (Connection c = TestPostgres.connect(db)) {
      LegacyShop.createSchema(c);
    }
    return db;
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
  void healthyLegacyShopIsReadyWithOnlyTheExpectedWarnings() throws SQLException {
    String db = legacyShop("preflight_healthy");
    try (Connection c = TestPostgres.connect(db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW max_slot_wal_keep_size")) {
      rs.next();
      assertThat(rs.getString(1)).as("the test server's default").isEqualTo("-1");
    }

    PreflightReport report = Preflight.of(connector(db, Map.of())).run();

    assertThat(report.blockers()).as(report.render()).isEmpty();
    assertThat(report.exitCode()).isZero();
    assertThat(report.warnings())
        .extracting(PreflightCheck::name)
        .containsOnly(Preflight.TOAST_COLUMNS, Preflight.WAL_KEEP_SIZE);
    assertThat(report.named(Preflight.WAL_KEEP_SIZE))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.WARN);
              assertThat(r.finding()).contains("-1", "disk");
            });
    assertThat(report.named(Preflight.TOAST_COLUMNS))
        .extracting(PreflightCheck::finding)
        .anySatisfy(f -> assertThat(f).contains("public.customers", "notes", "Carve fills"))
        .allSatisfy(f -> assertThat(f).contains("compacted", "transformer reset"))
        .anySatisfy(f -> assertThat(f).contains("public.orders", "lines_blob", "ship_to"))
        .noneSatisfy(f -> assertThat(f).contains("public.addresses"));
    assertThat(report.named(Preflight.SLOT))
        .singleElement()
        .satisfies(r -> assertThat(r.finding()).contains("does not exist", "creates it"));
    assertThat(report.named(Preflight.HEARTBEAT))
        .singleElement()
        .satisfies(r -> assertThat(r.level()).isEqualTo(Level.OK));
    assertThat(report.named(Preflight.SIGNAL_TABLE).get(0).level()).isEqualTo(Level.OK);
  }

  @Test
  void tableWithoutPrimaryKeyUnderDefaultIdentityIsABlockerNamingIt() throws SQLException {
    String db = legacyShop("preflight_nopk");
    execute(db, "CREATE TABLE audit_log (happened_at timestamp, message text)");
    String tables = connector(db, Map.of()).get("table.include.list") + ",public.audit_log";

    PreflightReport report =
        Preflight.of(connector(db, Map.of("table.include.list", tables))).run();

    assertThat(report.exitCode()).isEqualTo(1);
    assertThat(report.blockers())
        .filteredOn(r -> r.name().equals(Preflight.REPLICA_IDENTITY))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.finding()).contains("public.audit_log", "no primary key");
              assertThat(r.fix())
                  .contains("ALTER TABLE \"public\".\"audit_log\" REPLICA IDENTITY FULL");
            });

    execute(db, "ALTER TABLE audit_log REPLICA IDENTITY FULL");
    PreflightReport full = Preflight.of(connector(db, Map.of("table.include.list", tables))).run();
    assertThat(full.named(Preflight.REPLICA_IDENTITY))
        .extracting(PreflightCheck::level)
        .containsExactly(Level.OK);
    assertThat(full.named(Preflight.MESSAGE_KEY))
        .as("a compacted topic rejects the null keys of a table without a primary key")
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.BLOCKER);
              assertThat(r.finding()).contains("public.audit_log", "legacy.public.audit_log");
            });
  }

  /** Regression: a BLOCKER told RDS users to ALTER ROLE ... WITH REPLICATION, which RDS refuses. */
  @Test
  void membershipOfRdsReplicationIsEnoughAsOnAmazonRds() throws SQLException {
    String db = legacyShop("preflight_rds");
    String role = "preflight_rds_app";
    execute(
        "postgres",
        "DROP ROLE IF EXISTS " + role,
        "CREATE ROLE " + role + " LOGIN PASSWORD 'pw'",
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication')"
            + " THEN CREATE ROLE rds_replication; END IF; END $$",
        "GRANT rds_replication TO " + role);
    try {
      PreflightReport report =
          Preflight.of(connector(db, Map.of("database.user", role, "database.password", "pw")))
              .run();

      assertThat(report.named(Preflight.REPLICATION_PRIVILEGE))
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.level()).isEqualTo(Level.OK);
                assertThat(r.finding()).contains(role, "rds_replication");
              });
    } finally {
      execute("postgres", "REVOKE rds_replication FROM " + role);
    }
  }

  @Test
  void roleWithoutReplicationOrPrivilegesIsABlocker() throws SQLException {
    String db = legacyShop("preflight_role");
    String role = "preflight_app";
    execute(
        "postgres", "DROP ROLE IF EXISTS " + role, "CREATE ROLE " + role + " LOGIN PASSWORD 'pw'");
    execute(
        db,
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role,
        "REVOKE SELECT ON payments FROM " + role);

    PreflightReport report =
        Preflight.of(connector(db, Map.of("database.user", role, "database.password", "pw"))).run();

    assertThat(report.exitCode()).isEqualTo(1);
    assertThat(report.named(Preflight.REPLICATION_PRIVILEGE))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.BLOCKER);
              assertThat(r.finding()).contains(role);
              assertThat(r.fix()).isEqualTo("ALTER ROLE \"" + role + "\" WITH REPLICATION;");
            });
    assertThat(report.named(Preflight.TABLE_PRIVILEGES))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.BLOCKER);
              assertThat(r.finding()).contains("public.payments").doesNotContain("public.orders");
              assertThat(r.fix()).contains("GRANT SELECT ON \"public\".\"payments\"");
            });
    assertThat(report.named(Preflight.PUBLICATION))
        .as("filtered mode needs the tables' owner to create the publication")
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.BLOCKER);
              assertThat(r.fix()).startsWith("as the owner").contains("CREATE PUBLICATION");
            });

    execute(db, "CREATE PUBLICATION preflight_role_pub FOR TABLE customers, orders");
    PreflightReport partial =
        Preflight.of(connector(db, Map.of("database.user", role, "database.password", "pw"))).run();
    assertThat(partial.named(Preflight.PUBLICATION))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.BLOCKER);
              assertThat(r.finding())
                  .contains("lacks public.addresses", "public.carve_signal")
                  .contains("does not own the publication nor public.customers");
              assertThat(r.finding().substring(0, r.finding().indexOf(';')))
                  .doesNotContain("public.orders,");
              assertThat(r.fix()).contains("ALTER PUBLICATION \"preflight_role_pub\" SET TABLE");
            });
  }

  @Test
  void existingPublicationIsCheckedForMissingTablesFiltersAndMode() throws SQLException {
    String db = legacyShop("preflight_pub");
    execute(
        db,
        "CREATE PUBLICATION preflight_pub_pub FOR TABLE customers WHERE (vip_flag = 'Y'),"
            + " orders (order_ref, cust_no, status)");

    PreflightReport filtered = Preflight.of(connector(db, Map.of())).run();
    PreflightReport disabled =
        Preflight.of(connector(db, Map.of("publication.autocreate.mode", "disabled"))).run();

    assertThat(filtered.named(Preflight.PUBLICATION))
        .as(filtered.render())
        .extracting(PreflightCheck::finding)
        .anySatisfy(
            f ->
                assertThat(f)
                    .contains("public.customers (row filter)", "public.orders (column list)"))
        .anySatisfy(
            f ->
                assertThat(f)
                    .contains("lacks public.addresses", "ALTER PUBLICATION ... SET TABLE"));
    assertThat(filtered.named(Preflight.PUBLICATION))
        .extracting(PreflightCheck::level)
        .containsOnly(Level.WARN);
    assertThat(disabled.named(Preflight.PUBLICATION))
        .filteredOn(r -> r.level() == Level.BLOCKER)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.finding()).contains("lacks public.addresses", "mode=disabled");
              assertThat(r.fix())
                  .contains(
                      "ALTER PUBLICATION \"preflight_pub_pub\" ADD TABLE \"public\".\"addresses\"");
            });

    execute(
        db,
        "DROP PUBLICATION preflight_pub_pub",
        "CREATE PUBLICATION preflight_pub_pub FOR ALL TABLES");
    PreflightReport allTables = Preflight.of(connector(db, Map.of())).run();
    PreflightReport allTablesMode =
        Preflight.of(connector(db, Map.of("publication.autocreate.mode", "all_tables"))).run();
    assertThat(allTables.named(Preflight.PUBLICATION))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.BLOCKER);
              assertThat(r.finding()).contains("FOR ALL TABLES", "filtered");
            });
    assertThat(allTablesMode.named(Preflight.PUBLICATION))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.OK);
              assertThat(r.finding()).contains("covers all 8 tables");
            });
  }

  /**
   * Regression: in filtered mode preflight asked the connector's user to own only the tables the
   * publication lacked, and passed a publication with extra tables; Debezium runs ALTER PUBLICATION
   * ... SET TABLE with every captured table whenever the tables differ, and PostgreSQL checks the
   * ownership of each, so preflight said WARN (exit 0) and the connector failed with "must be owner
   * of table".
   */
  @Test
  void filteredPublicationThatDiffersNeedsOwnershipOfEveryCapturedTable() throws SQLException {
    String db = legacyShop("preflight_settable");
    String role = "preflight_settable_app";
    String publication = db + "_pub";
    execute(
        "postgres",
        "DROP ROLE IF EXISTS " + role,
        "CREATE ROLE " + role + " LOGIN REPLICATION PASSWORD 'pw'");
    execute(
        db,
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role,
        "GRANT CREATE ON DATABASE " + db + " TO " + role,
        "ALTER TABLE carve_heartbeat OWNER TO " + role,
        "CREATE PUBLICATION "
            + publication
            + " FOR TABLE customers, addresses, products, orders, payments, shipments,"
            + " carve_signal",
        "ALTER PUBLICATION " + publication + " OWNER TO " + role);
    ConnectorConfig asApp = connector(db, Map.of("database.user", role, "database.password", "pw"));

    PreflightReport lacking = Preflight.of(asApp).run();

    assertThat(lacking.exitCode()).isEqualTo(1);
    assertThat(lacking.named(Preflight.PUBLICATION)).as(lacking.render()).hasSize(1);
    PreflightCheck blocker = lacking.named(Preflight.PUBLICATION).get(0);
    assertThat(blocker.level()).isEqualTo(Level.BLOCKER);
    assertThat(blocker.finding())
        .contains("lacks public.carve_heartbeat", "SET TABLE", "must be owner")
        .contains("'" + role + "' does not own public.customers, public.addresses")
        .contains("public.carve_signal");
    assertThat(blocker.finding().substring(blocker.finding().indexOf("does not own")))
        .as("the user owns the publication and the heartbeat table")
        .doesNotContain("publication", "carve_heartbeat");
    String set =
        blocker
            .fix()
            .substring(blocker.fix().indexOf("ALTER PUBLICATION"), blocker.fix().indexOf(';') + 1);
    assertThat(set)
        .startsWith("ALTER PUBLICATION \"" + publication + "\" SET TABLE ")
        .contains("\"public\".\"carve_heartbeat\"", "\"public\".\"customers\"");
    // What Debezium runs when it starts, as the connector's user: PostgreSQL refuses it.
    try (Connection c = DriverManager.getConnection(TestPostgres.jdbcUrl(db), role, "pw");
        Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.execute(set)).hasMessageContaining("must be owner of table");
    }

    // The fix, run by an owner: the publication matches and Debezium leaves it alone.
    execute(db, set);
    assertThat(Preflight.of(asApp).run().named(Preflight.PUBLICATION))
        .singleElement()
        .satisfies(r -> assertThat(r.level()).isEqualTo(Level.OK));

    // A table the connector does not capture: Debezium's SET TABLE would remove it.
    execute(
        db,
        "CREATE TABLE audit_log (id int PRIMARY KEY)",
        "ALTER PUBLICATION " + publication + " ADD TABLE audit_log");
    PreflightReport extra = Preflight.of(asApp).run();
    PreflightReport extraAsSuperuser = Preflight.of(connector(db, Map.of())).run();
    assertThat(extra.named(Preflight.PUBLICATION))
        .as(extra.render())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.BLOCKER);
              assertThat(r.finding())
                  .contains("also publishes public.audit_log", "does not own public.customers");
            });
    assertThat(extraAsSuperuser.named(Preflight.PUBLICATION))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.WARN);
              assertThat(r.finding()).contains("which removes public.audit_log");
              assertThat(r.fix()).contains("publication.name", "SET TABLE");
            });
  }

  @Test
  void slotHeldActiveByAnotherConnectionIsABlocker() throws Exception {
    String db = legacyShop("preflight_active");
    String slot = db + "_slot";
    execute(
        db,
        "CREATE PUBLICATION preflight_active_pub FOR ALL TABLES",
        "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
    Properties p = new Properties();
    PGProperty.USER.set(p, TestPostgres.USER);
    PGProperty.PASSWORD.set(p, TestPostgres.PASSWORD);
    PGProperty.REPLICATION.set(p, "database");
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
    PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    PGProperty.APPLICATION_NAME.set(p, "other-consumer");
    try (Connection replication = DriverManager.getConnection(TestPostgres.jdbcUrl(db), p);
        PGReplicationStream stream =
            replication
                .unwrap(PGConnection.class)
                .getReplicationAPI()
                .replicationStream()
                .logical()
                .withSlotName(slot)
                .withSlotOption("proto_version", "1")
                .withSlotOption("publication_names", "preflight_active_pub")
                .start()) {
      await().atMost(Duration.ofSeconds(20)).until(() -> slotActive(db, slot));

      PreflightReport report = Preflight.of(connector(db, Map.of())).run();

      assertThat(report.named(Preflight.SLOT))
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.level()).isEqualTo(Level.BLOCKER);
                assertThat(r.finding()).contains(slot, "active", "other-consumer");
              });
      assertThat(stream.isClosed()).isFalse();
    }
  }

  private static boolean slotActive(String db, String slot) throws SQLException {
    try (Connection c = TestPostgres.connect(db);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT active FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  @Test
  void inactiveSlotWithAnotherPluginIsABlockerAndRetainedWalAboveThresholdWarns()
      throws SQLException {
    String db = legacyShop("preflight_plugin");
    String slot = db + "_slot";
    execute(db, "SELECT pg_create_logical_replication_slot('" + slot + "', 'test_decoding')");
    // The test server commits asynchronously; a synchronous commit moves pg_current_wal_lsn().
    execute(
        db,
        "SET synchronous_commit = on",
        "INSERT INTO carve_signal SELECT 's' || g, 'log', repeat('x', 1000)"
            + " FROM generate_series(1, 200) g");

    PreflightReport report = Preflight.of(connector(db, Map.of())).withWalWarnBytes(1024).run();

    assertThat(report.named(Preflight.SLOT))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.BLOCKER);
              assertThat(r.finding()).contains(slot, "test_decoding", "pgoutput");
              assertThat(r.fix()).contains("pg_drop_replication_slot('" + slot + "')");
            });
    assertThat(report.named(Preflight.RETAINED_WAL))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.WARN);
              assertThat(r.finding()).contains(slot, "threshold 1.0 KiB");
            });
  }

  @Test
  void missingTablesAreBlockersAndMissingHeartbeatAndSignalTableAreWarnings() {
    String db = "preflight_empty";
    TestPostgres.createDatabase(db);

    PreflightReport report = Preflight.of(connector(db, Map.of())).run();
    PreflightReport noHeartbeat =
        Preflight.of(connector(db, overridesRemoving("heartbeat.interval.ms"))).run();

    assertThat(report.named(Preflight.TABLES))
        .hasSize(7)
        .allSatisfy(r -> assertThat(r.level()).isEqualTo(Level.BLOCKER))
        .anySatisfy(r -> assertThat(r.finding()).contains("public.orders", "does not exist"));
    assertThat(report.named(Preflight.SIGNAL_TABLE))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.WARN);
              assertThat(r.finding()).contains("public.carve_signal", "repairs");
              assertThat(r.fix()).startsWith("CREATE TABLE \"public\".\"carve_signal\"");
            });
    assertThat(report.named(Preflight.HEARTBEAT).get(0).level()).isEqualTo(Level.OK);
    assertThat(noHeartbeat.named(Preflight.HEARTBEAT))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.WARN);
              assertThat(r.finding()).contains("not set", "WAL");
              assertThat(r.fix()).contains("heartbeat.interval.ms");
            });
  }

  private static Map<String, String> overridesRemoving(String key) {
    Map<String, String> m = new HashMap<>();
    m.put(key, null);
    return m;
  }

  /**
   * Regression: preflight connected without the connector's TLS settings, with pgjdbc's prefer, so
   * database.sslmode=require passed against a server without TLS, in plaintext.
   */
  @Test
  void sslmodeRequireAgainstAServerWithoutTlsIsAConnectionBlockerNamingIt() throws SQLException {
    String db = legacyShop("preflight_tls");

    PreflightReport require =
        Preflight.of(
                connector(
                    db, Map.of("database.sslmode", "require", "database.sslpassword", "k3y-pw")))
            .run();
    PreflightReport viaDriver =
        Preflight.of(connector(db, Map.of("driver.sslmode", "require"))).run();
    PreflightReport disable =
        Preflight.of(connector(db, Map.of("database.sslmode", "disable"))).run();

    assertThat(require.results())
        .as(require.render())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.name()).isEqualTo(Preflight.CONNECTION);
              assertThat(r.level()).isEqualTo(Level.BLOCKER);
              assertThat(r.finding())
                  .contains("localhost:" + TestPostgres.port(), "database.sslmode=require", "SSL");
              assertThat(r.fix()).contains("ssl = on", "database.sslmode", "legacy-shop.json");
            });
    assertThat(require.render() + require.toJson()).doesNotContain("k3y-pw");
    assertThat(viaDriver.blockers())
        .singleElement()
        .satisfies(r -> assertThat(r.finding()).contains("driver.sslmode=require"));
    assertThat(disable.named(Preflight.CONNECTION))
        .singleElement()
        .satisfies(r -> assertThat(r.level()).isEqualTo(Level.OK));
  }

  /**
   * Regression: a Kafka Connect config provider reference as database.password, valid on Connect,
   * was sent to PostgreSQL as the password and reported as "fix database.user and
   * database.password".
   */
  @Test
  void connectConfigProviderReferenceAsPasswordSaysSoAndSkipsTheDatabaseChecks()
      throws SQLException {
    String db = legacyShop("preflight_provider");

    PreflightReport report =
        Preflight.of(
                connector(db, Map.of("database.password", "${file:/opt/secrets.properties:pw}")))
            .run();

    assertThat(report.results())
        .as(report.render())
        .extracting(PreflightCheck::name)
        .containsExactly(Preflight.CONNECTION, Preflight.HEARTBEAT, Preflight.CONFIG_KEYS);
    assertThat(report.named(Preflight.CONNECTION))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.level()).isEqualTo(Level.BLOCKER);
              assertThat(r.finding())
                  .contains(
                      "database.password is a Kafka Connect config provider reference",
                      "none of the database checks ran")
                  .doesNotContain("fix database.user");
              assertThat(r.fix()).contains("legacy-shop.json", "database.password", "${NAME}");
            });
    assertThat(report.exitCode()).isEqualTo(1);
  }

  @Test
  void unreachablePortIsOneBlockerNamingHostAndPort() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }

    PreflightReport report =
        Preflight.of(
                connector("preflight_nowhere", Map.of("database.port", Integer.toString(port))))
            .run();

    assertThat(report.results())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.name()).isEqualTo(Preflight.CONNECTION);
              assertThat(r.level()).isEqualTo(Level.BLOCKER);
              assertThat(r.finding()).contains("localhost:" + port).doesNotContain("\tat ");
              assertThat(r.fix()).contains("localhost:" + port, "database.port");
            });
    assertThat(report.exitCode()).isEqualTo(1);
    assertThat(report.render()).contains("BLOCKER", "localhost:" + port);
  }
}
