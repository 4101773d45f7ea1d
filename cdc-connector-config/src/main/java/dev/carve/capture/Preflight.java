package dev.carve.capture;

import static dev.carve.capture.internal.PgIdentifiers.literal;
import static dev.carve.capture.internal.PgIdentifiers.qualified;
import static dev.carve.capture.internal.PgIdentifiers.quote;

import dev.carve.capture.internal.TlsFailure;
import dev.carve.core.config.Substitution;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the monolith's PostgreSQL before a {@link ConnectorConfig} is deployed, so the platform
 * team learns about blockers before Debezium does. Read-only: it creates, alters and drops nothing.
 *
 * <p>Checks, each a named {@link PreflightCheck} in the report, in this order: {@value
 * #CONNECTION}, {@value #WAL_LEVEL}, {@value #REPLICATION_PRIVILEGE}, {@value #TABLES}, {@value
 * #TABLE_PRIVILEGES}, {@value #REPLICA_IDENTITY}, {@value #MESSAGE_KEY}, {@value #TOAST_COLUMNS},
 * {@value #PUBLICATION}, {@value #SLOT}, {@value #SLOT_CAPACITY}, {@value #WAL_SENDERS}, {@value
 * #WAL_KEEP_SIZE}, {@value #RETAINED_WAL}, {@value #HEARTBEAT}, {@value #CONFIG_KEYS}, {@value
 * #SIGNAL_TABLE}. When the database cannot be reached the report holds exactly one {@value
 * #CONNECTION} blocker. When a connection setting ({@code database.*}, {@code driver.*}) is a Kafka
 * Connect config provider reference, which only a Connect worker resolves, it does not connect: one
 * {@value #CONNECTION} blocker names the keys, and only the checks that need no connection ({@value
 * #HEARTBEAT}, {@value #CONFIG_KEYS}) run.
 *
 * <pre>{@code
 * PreflightReport report = Preflight.of(ConnectorConfig.load(file)).run();
 * System.out.print(report.render());
 * }</pre>
 */
public final class Preflight {
  private static final Logger LOG = LoggerFactory.getLogger(Preflight.class);

  /** Retained WAL of the slot above which {@value #RETAINED_WAL} warns: 1 GiB. */
  public static final long DEFAULT_WAL_WARN_BYTES = 1L << 30;

  /** How long connecting (and each query) may take by default: 10 s. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** Check: the database is reachable with the configured user and password. */
  public static final String CONNECTION = "connection";

  /** Check: {@code wal_level} is {@code logical}. */
  public static final String WAL_LEVEL = "wal_level";

  /** Check: the user is a superuser or has the REPLICATION attribute. */
  public static final String REPLICATION_PRIVILEGE = "replication privilege";

  /** Check: every table of {@code table.include.list} exists and is a table. */
  public static final String TABLES = "tables";

  /** Check: the user may SELECT every captured table (the snapshot reads them). */
  public static final String TABLE_PRIVILEGES = "table privileges";

  /** Check: updates and deletes of every table can be published (primary key or identity). */
  public static final String REPLICA_IDENTITY = "replica identity";

  /** Check: records of every table get a key (a primary key or {@code message.key.columns}). */
  public static final String MESSAGE_KEY = "message key";

  /** Check: TOASTable columns of tables whose updates do not carry unchanged values. */
  public static final String TOAST_COLUMNS = "toast columns";

  /** Check: the publication exists and covers the tables, or Debezium can create it. */
  public static final String PUBLICATION = "publication";

  /** Check: the replication slot is absent, or usable (pgoutput, this database, not active). */
  public static final String SLOT = "replication slot";

  /** Check: {@code max_replication_slots} leaves room for the slot. */
  public static final String SLOT_CAPACITY = "max_replication_slots";

  /** Check: {@code max_wal_senders} leaves room for the connector's replication connection. */
  public static final String WAL_SENDERS = "max_wal_senders";

  /** Check: {@code max_slot_wal_keep_size} bounds the WAL a stalled slot keeps. */
  public static final String WAL_KEEP_SIZE = "max_slot_wal_keep_size";

  /** Check: the WAL the existing slot retains is below the threshold. */
  public static final String RETAINED_WAL = "retained wal";

  /** Check: every key of the connector config is one Debezium or Kafka Connect knows. */
  public static final String CONFIG_KEYS = "config keys";

  /** Check: {@code heartbeat.interval.ms} is set. */
  public static final String HEARTBEAT = "heartbeat";

  /** Check: the table of {@code signal.data.collection} exists. */
  public static final String SIGNAL_TABLE = "signal table";

  /** Debezium's default {@code slot.name}. */
  static final String DEFAULT_SLOT = "debezium";

  /** Debezium's default {@code publication.name}. */
  static final String DEFAULT_PUBLICATION = "dbz_publication";

  /** Debezium's default {@code publication.autocreate.mode}. */
  static final String DEFAULT_AUTOCREATE = "all_tables";

  // A value this large can be moved out of line by the toaster (TOAST_TUPLE_THRESHOLD ~ 2 kB).
  private static final int TOAST_THRESHOLD_BYTES = 2000;

  private static final String PLACEHOLDER_NOTE =
      "in an UPDATE that leaves them unchanged they arrive as the placeholder"
          + " __debezium_unavailable_value; Carve fills them from its state";

  private final ConnectorConfig connector;
  private final long walWarnBytes;
  private final Duration connectTimeout;

  private Preflight(ConnectorConfig connector, long walWarnBytes, Duration connectTimeout) {
    this.connector = Objects.requireNonNull(connector, "connector");
    if (walWarnBytes < 1) {
      throw new IllegalArgumentException(
          "The retained-WAL threshold must be at least 1 byte, not " + walWarnBytes);
    }
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    if (connectTimeout.toSeconds() < 1) {
      throw new IllegalArgumentException(
          "The connect timeout must be at least 1s, not " + connectTimeout);
    }
    this.walWarnBytes = walWarnBytes;
    this.connectTimeout = connectTimeout;
  }

  /**
   * A preflight of a connector with the defaults ({@link #DEFAULT_WAL_WARN_BYTES}, {@link
   * #DEFAULT_CONNECT_TIMEOUT}).
   *
   * @param connector the validated connector config, never null
   */
  public static Preflight of(ConnectorConfig connector) {
    return new Preflight(connector, DEFAULT_WAL_WARN_BYTES, DEFAULT_CONNECT_TIMEOUT);
  }

  /**
   * A copy warning when the slot retains more than {@code bytes} of WAL.
   *
   * @throws IllegalArgumentException when {@code bytes} is below 1
   */
  public Preflight withWalWarnBytes(long bytes) {
    return new Preflight(connector, bytes, connectTimeout);
  }

  /**
   * A copy with another timeout for connecting and for each query.
   *
   * @throws IllegalArgumentException when below one second
   */
  public Preflight withConnectTimeout(Duration timeout) {
    return new Preflight(connector, walWarnBytes, timeout);
  }

  /** The retained-WAL threshold in bytes. */
  public long walWarnBytes() {
    return walWarnBytes;
  }

  /**
   * Connects to the database and runs every check. Never throws for what it finds: an unreachable
   * database is one {@value #CONNECTION} blocker, and a check that cannot run (a catalog the user
   * may not read) is a warning naming the check.
   */
  public PreflightReport run() {
    String where = connector.databaseHost() + ":" + connector.databasePort();
    String database = where + "/" + connector.databaseName();
    LOG.info(
        "Preflight of connector '{}' on {} as user '{}'",
        connector.name(),
        database,
        connector.databaseUser());
    List<String> unresolved = providerReferences();
    if (!unresolved.isEmpty()) {
      return unresolvedReport(database, unresolved);
    }
    Connection c;
    try {
      c = connect();
    } catch (SQLException e) {
      return new PreflightReport(connector.name(), database, List.of(connectionBlocker(where, e)));
    }
    List<PreflightCheck> out = new ArrayList<>();
    try (c) {
      new Run(c, out).all();
    } catch (SQLException e) {
      out.add(
          PreflightCheck.warn(
              CONNECTION,
              "the connection to " + where + " failed during the checks: " + reason(e),
              "run carve preflight again; the checks after this point did not run"));
    }
    PreflightReport report = new PreflightReport(connector.name(), database, out);
    LOG.info("{}", report.verdict());
    return report;
  }

  /**
   * The connection settings ({@code database.*}, {@code driver.*}) holding a Kafka Connect config
   * provider reference ({@code ${file:/opt/secrets.properties:pw}}): valid for a Connect worker,
   * which resolves them, but meaningless to pgjdbc, which would take the reference literally.
   */
  private List<String> providerReferences() {
    List<String> keys = new ArrayList<>();
    connector
        .config()
        .forEach(
            (key, value) -> {
              if ((key.startsWith("database.") || key.startsWith("driver."))
                  && value != null
                  && Substitution.PROVIDER_REF.matcher(value).find()) {
                keys.add(key);
              }
            });
    return keys;
  }

  /** The report when the connection settings cannot be resolved here: the offline checks only. */
  private PreflightReport unresolvedReport(String database, List<String> keys) {
    String names = String.join(", ", keys);
    List<PreflightCheck> out = new ArrayList<>();
    out.add(
        PreflightCheck.blocker(
            CONNECTION,
            names
                + (keys.size() == 1 ? " is a" : " are")
                + " Kafka Connect config provider reference"
                + (keys.size() == 1 ? "" : "s")
                + " (${provider:...}), which only a Connect worker resolves; preflight cannot"
                + " connect without the value, so none of the database checks ran (the connector"
                + " on Kafka Connect may well connect)",
            "to check the database, run carve preflight --connector with a copy of "
                + connector.source()
                + " whose "
                + names
                + " takes the value from the environment (${NAME}) or from a file holding only"
                + " it (${file:/path})"));
    out.add(
        heartbeatCheck(
            connector.get("heartbeat.interval.ms"),
            connector.get("heartbeat.action.query"),
            connector.source()));
    out.add(configKeysCheck(connector.config(), connector.source()));
    LOG.warn(
        "Preflight of connector '{}' cannot connect: {} hold Kafka Connect config provider"
            + " references",
        connector.name(),
        names);
    return new PreflightReport(connector.name(), database, out);
  }

  private Connection connect() throws SQLException {
    // The connector's own user, password and TLS settings (never sslmode=prefer by omission).
    Properties p = connector.jdbcProperties();
    int seconds = (int) connectTimeout.toSeconds();
    p.setProperty("connectTimeout", Integer.toString(seconds));
    p.setProperty("loginTimeout", Integer.toString(seconds));
    p.setProperty("socketTimeout", Integer.toString(Math.max(seconds, 30)));
    p.setProperty("ApplicationName", "carve-preflight");
    p.setProperty("readOnly", "true");
    return DriverManager.getConnection(connector.jdbcUrl(), p);
  }

  private PreflightCheck connectionBlocker(String where, SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String who =
        "database '" + connector.databaseName() + "' as user '" + connector.databaseUser() + "'";
    String fix;
    if (TlsFailure.is(e)) {
      return PreflightCheck.blocker(
          CONNECTION,
          "cannot connect to PostgreSQL at "
              + where
              + " ("
              + who
              + ") with "
              + connector.jdbcTlsSettings()
              + ": "
              + reason(e),
          "let the server at "
              + where
              + " accept TLS (ssl = on, with a certificate the root certificate trusts), or fix "
              + TlsFailure.KEYS
              + " in "
              + connector.source());
    } else if (state.startsWith("28")) {
      fix =
          "fix database.user and database.password in "
              + connector.source()
              + ", or allow the user in pg_hba.conf of the server at "
              + where;
    } else if (state.equals("3D000")) {
      fix =
          "fix database.dbname in "
              + connector.source()
              + " (or create database '"
              + connector.databaseName()
              + "' at "
              + where
              + ")";
    } else {
      fix =
          "start PostgreSQL at "
              + where
              + " or let it accept TCP connections from this machine (listen_addresses, pg_hba.conf,"
              + " firewall), or fix database.hostname and database.port in "
              + connector.source();
    }
    return PreflightCheck.blocker(
        CONNECTION,
        "cannot connect to PostgreSQL at " + where + " (" + who + "): " + reason(e),
        fix);
  }

  /** The first sentence of an exception's message, and of its cause when that adds something. */
  static String reason(SQLException e) {
    String m = firstSentence(String.valueOf(e.getMessage()));
    Throwable cause = e.getCause();
    if (cause != null && cause.getMessage() != null && !m.contains(cause.getMessage())) {
      m = m + ": " + cause.getClass().getSimpleName() + " " + firstSentence(cause.getMessage());
    }
    return m;
  }

  private static String firstSentence(String text) {
    String line = text.strip().lines().findFirst().orElse("");
    int dot = line.indexOf(". ");
    String s = dot < 0 ? line : line.substring(0, dot);
    return s.replaceAll("[.\\s]+$", "");
  }

  /**
   * Whether a variable-length column can be TOASTed out of line: storage EXTENDED or EXTERNAL, and
   * no declared length that keeps it below about 2 kB (a {@code varchar(n)} or {@code char(n)} with
   * n times the encoding's bytes per character under 2000 stays inline).
   *
   * @param typeName {@code pg_type.typname}, e.g. {@code varchar}
   * @param typmod {@code pg_attribute.atttypmod}; -1 when no length was declared
   * @param storage {@code pg_attribute.attstorage}: p, m, x or e
   * @param maxBytesPerChar the database encoding's maximum bytes per character (4 for UTF8)
   */
  static boolean toastable(String typeName, int typmod, String storage, int maxBytesPerChar) {
    if (!"x".equals(storage) && !"e".equals(storage)) {
      return false;
    }
    boolean character = "varchar".equals(typeName) || "bpchar".equals(typeName);
    if (character && typmod >= 4) {
      return (long) (typmod - 4) * maxBytesPerChar > TOAST_THRESHOLD_BYTES;
    }
    return true;
  }

  /** Bytes for people: {@code 512 B}, {@code 1.5 MiB}, {@code 3.2 GiB}. */
  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = n;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
  }

  /** The {@value #WAL_LEVEL} check of a {@code wal_level} value. */
  static PreflightCheck walLevelCheck(String walLevel) {
    if ("logical".equals(walLevel)) {
      return PreflightCheck.ok(WAL_LEVEL, "wal_level is logical");
    } else {
      return PreflightCheck.blocker(
          WAL_LEVEL,
          "wal_level is '" + walLevel + "'; logical decoding needs 'logical'",
          "ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL");
    }
  }

  /**
   * The {@value #WAL_KEEP_SIZE} check.
   *
   * @param mb {@code max_slot_wal_keep_size} in MB; -1 unbounded; null before PostgreSQL 13
   * @param version the server version, for the message
   */
  static PreflightCheck walKeepSizeCheck(Long mb, String version) {
    if (mb == null) {
      return PreflightCheck.warn(
          WAL_KEEP_SIZE,
          "PostgreSQL "
              + version
              + " cannot bound the WAL a slot retains: a stalled slot can fill the disk",
          "monitor the slot's retained WAL (pg_replication_slots), or upgrade to PostgreSQL 13+"
              + " and set max_slot_wal_keep_size");
    } else if (mb < 0) {
      return PreflightCheck.warn(
          WAL_KEEP_SIZE,
          "max_slot_wal_keep_size is -1 (unbounded): a stalled or abandoned slot can fill the disk"
              + " with WAL and stop the monolith",
          "ALTER SYSTEM SET max_slot_wal_keep_size = '<size>'; SELECT pg_reload_conf(); (a slot"
              + " past it is invalidated and needs a new snapshot) and alert on retained WAL");
    } else {
      return PreflightCheck.ok(
          WAL_KEEP_SIZE,
          "max_slot_wal_keep_size is "
              + bytes(mb * 1024 * 1024)
              + "; a slot retaining more is invalidated and needs a new snapshot");
    }
  }

  /**
   * The {@value #CONFIG_KEYS} check: a key neither Debezium nor Connect knows is ignored by both,
   * silently, so a misspelt one leaves its setting at the default.
   */
  static PreflightCheck configKeysCheck(Map<String, String> config, String source) {
    List<String> unknown = dev.carve.capture.internal.ConnectorKeys.unknown(config);
    if (unknown.isEmpty()) {
      return PreflightCheck.ok(CONFIG_KEYS, "every key is a Debezium or Kafka Connect setting");
    }
    return PreflightCheck.warn(
        CONFIG_KEYS,
        "neither Debezium's PostgreSQL connector nor Kafka Connect knows "
            + String.join(", ", unknown)
            + "; both ignore such a key, so its setting stays at the default",
        "fix the spelling, or remove the key from " + source);
  }

  /**
   * The {@value #HEARTBEAT} check.
   *
   * @param raw {@code heartbeat.interval.ms}; null when absent
   * @param actionQuery {@code heartbeat.action.query}; null when absent
   * @param source the connector file, for the fix
   */
  static PreflightCheck heartbeatCheck(String raw, String actionQuery, String source) {
    String fix = "set \"heartbeat.interval.ms\": \"10000\" in " + source;
    long ms;
    try {
      ms = raw == null || raw.isBlank() ? 0 : Long.parseLong(raw.trim());
    } catch (NumberFormatException e) {
      return PreflightCheck.blocker(
          HEARTBEAT, "heartbeat.interval.ms is '" + raw + "', not a number of milliseconds", fix);
    }
    if (ms <= 0) {
      return PreflightCheck.warn(
          HEARTBEAT,
          "heartbeat.interval.ms is "
              + (raw == null ? "not set" : raw.trim())
              + ": while the captured tables are idle the slot's position never advances and"
              + " the monolith's WAL grows without bound",
          fix);
    }
    if (actionQuery == null || actionQuery.isBlank()) {
      // The connector can only confirm a position it received: pgoutput sends nothing for WAL of
      // other databases or unpublished tables, so without a write of its own the slot stays put.
      return PreflightCheck.warn(
          HEARTBEAT,
          "heartbeat every "
              + ms
              + " ms, but no heartbeat.action.query: the slot advances only when a captured table"
              + " changes, so WAL that other databases on this server write meanwhile is retained",
          "set \"heartbeat.action.query\" in "
              + source
              + " to a write to a table in the publication, e.g. INSERT INTO"
              + " public.carve_heartbeat (id, beat_at) VALUES (1, now()) ON CONFLICT (id) DO UPDATE"
              + " SET beat_at = EXCLUDED.beat_at (and add the table to table.include.list)");
    }
    return PreflightCheck.ok(
        HEARTBEAT, "heartbeat every " + ms + " ms with an action query keeps the slot advancing");
  }

  private String slotName() {
    return valueOr("slot.name", DEFAULT_SLOT);
  }

  private String publicationName() {
    return valueOr("publication.name", DEFAULT_PUBLICATION);
  }

  private String valueOr(String key, String fallback) {
    String v = connector.get(key);
    return v == null || v.isBlank() ? fallback : v.trim();
  }

  /** Facts of the server and of the connecting role. */
  private record Server(
      int versionNum,
      String version,
      String walLevel,
      int maxSlots,
      int maxWalSenders,
      Long walKeepSizeMb,
      String user,
      boolean superuser,
      boolean replication,
      boolean canCreateInDatabase,
      int maxBytesPerChar,
      boolean rdsReplication) {}

  /** Facts of one captured table; {@code exists} false leaves the rest at defaults. */
  private record Table(
      String name,
      String schema,
      String table,
      boolean exists,
      String relkind,
      String replident,
      boolean hasPrimaryKey,
      boolean hasIdentityIndex,
      boolean canSelect,
      boolean schemaUsage,
      boolean owned,
      List<String> toastColumns) {

    String sql() {
      return qualified(schema, table);
    }

    boolean isTable() {
      return "r".equals(relkind) || "p".equals(relkind);
    }

    String schemaSql() {
      return quote(schema);
    }
  }

  /** Facts of the configured slot, when it exists. */
  private record Slot(
      String plugin,
      String type,
      String database,
      boolean active,
      Integer activePid,
      String walStatus,
      Long retainedBytes,
      String application,
      String clientAddress) {}

  @FunctionalInterface
  private interface Body {
    void run() throws SQLException;
  }

  /** One run of the checks on one connection. */
  private final class Run {
    private final Connection c;
    private final List<PreflightCheck> out;
    private Server server;
    private final Map<String, Table> tables = new LinkedHashMap<>();
    private Optional<Slot> slot = Optional.empty();
    private boolean slotKnown;

    Run(Connection c, List<PreflightCheck> out) {
      this.c = c;
      this.out = out;
    }

    void all() throws SQLException {
      server = readServer();
      out.add(
          PreflightCheck.ok(
              CONNECTION,
              "connected to database '"
                  + connector.databaseName()
                  + "' as user '"
                  + server.user()
                  + "' (PostgreSQL "
                  + server.version()
                  + ")"));
      attempt(WAL_LEVEL, this::walLevel);
      attempt(REPLICATION_PRIVILEGE, this::replicationPrivilege);
      attempt(TABLES, this::tables);
      attempt(TABLE_PRIVILEGES, this::tablePrivileges);
      attempt(REPLICA_IDENTITY, this::replicaIdentity);
      attempt(MESSAGE_KEY, this::messageKey);
      attempt(TOAST_COLUMNS, this::toastColumns);
      attempt(PUBLICATION, this::publication);
      attempt(SLOT, this::slot);
      attempt(SLOT_CAPACITY, this::slotCapacity);
      attempt(WAL_SENDERS, this::walSenders);
      attempt(WAL_KEEP_SIZE, this::walKeepSize);
      attempt(RETAINED_WAL, this::retainedWal);
      heartbeat();
      out.add(configKeysCheck(connector.config(), connector.source()));
      attempt(SIGNAL_TABLE, this::signalTable);
    }

    private void attempt(String name, Body body) {
      try {
        body.run();
      } catch (SQLException e) {
        LOG.warn(
            "Preflight check '{}' of connector '{}' could not run: {}",
            name,
            connector.name(),
            e.toString());
        out.add(
            PreflightCheck.warn(
                name,
                "could not run the check as user '" + connector.databaseUser() + "': " + reason(e),
                "run carve preflight as a user that may read the catalog, or check this by hand"));
      }
    }

    private Server readServer() throws SQLException {
      String sql =
          "SELECT current_setting('server_version_num')::int, current_setting('server_version'),"
              + " current_setting('wal_level'), current_setting('max_replication_slots')::int,"
              + " current_setting('max_wal_senders')::int,"
              + " (SELECT setting FROM pg_settings WHERE name = 'max_slot_wal_keep_size'),"
              + " current_user, r.rolsuper, r.rolreplication,"
              + " has_database_privilege(current_database(), 'CREATE'),"
              + " pg_encoding_max_length(d.encoding),"
              // Amazon RDS and Aurora grant replication through membership of this role and
              // refuse ALTER ROLE ... WITH REPLICATION.
              + " EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'rds_replication'"
              + " AND pg_has_role(current_user, g.oid, 'MEMBER'))"
              + " FROM pg_roles r, pg_database d"
              + " WHERE r.rolname = current_user AND d.datname = current_database()";
      try (PreparedStatement s = c.prepareStatement(sql);
          ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException(
              "no row for the current user and database in pg_roles/pg_database");
        }
        String keep = rs.getString(6);
        return new Server(
            rs.getInt(1),
            rs.getString(2),
            rs.getString(3),
            rs.getInt(4),
            rs.getInt(5),
            keep == null ? null : Long.parseLong(keep.trim()),
            rs.getString(7),
            rs.getBoolean(8),
            rs.getBoolean(9),
            rs.getBoolean(10),
            rs.getInt(11),
            rs.getBoolean(12));
      }
    }

    private void walLevel() {
      out.add(walLevelCheck(server.walLevel()));
    }

    private void replicationPrivilege() {
      String user = server.user();
      if (server.superuser()) {
        out.add(PreflightCheck.ok(REPLICATION_PRIVILEGE, "user '" + user + "' is a superuser"));
      } else if (server.replication()) {
        out.add(
            PreflightCheck.ok(
                REPLICATION_PRIVILEGE, "user '" + user + "' has the REPLICATION attribute"));
      } else if (server.rdsReplication()) {
        out.add(
            PreflightCheck.ok(
                REPLICATION_PRIVILEGE,
                "user '" + user + "' is a member of rds_replication (Amazon RDS, Aurora)"));
      } else {
        out.add(
            PreflightCheck.blocker(
                REPLICATION_PRIVILEGE,
                "user '"
                    + user
                    + "' is neither a superuser nor has REPLICATION, so it cannot open the"
                    + " replication connection Debezium streams from",
                "ALTER ROLE " + quote(user) + " WITH REPLICATION;"));
      }
    }

    private void tables() throws SQLException {
      for (String name : connector.tables()) {
        tables.put(name, readTable(name));
      }
      int problems = 0;
      for (Table t : tables.values()) {
        if (!t.exists()) {
          problems++;
          out.add(
              PreflightCheck.blocker(
                  TABLES,
                  "table "
                      + t.name()
                      + " of table.include.list does not exist in database '"
                      + connector.databaseName()
                      + "'",
                  "create the table, or remove it from table.include.list in "
                      + connector.source()));
        } else if (!t.isTable()) {
          problems++;
          out.add(
              PreflightCheck.blocker(
                  TABLES,
                  t.name()
                      + " is not a table (relkind '"
                      + t.relkind()
                      + "'); views and the like are not published",
                  "capture the underlying tables instead: fix table.include.list in "
                      + connector.source()));
        }
      }
      if (problems == 0) {
        out.add(PreflightCheck.ok(TABLES, "all " + tables.size() + " captured tables exist"));
      }
    }

    private Table readTable(String name) throws SQLException {
      int dot = name.indexOf('.');
      String schema = name.substring(0, dot);
      String table = name.substring(dot + 1);
      String sql =
          "SELECT c.oid, c.relkind::text, c.relreplident::text,"
              + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),"
              + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident),"
              + " has_table_privilege(c.oid, 'SELECT'), has_schema_privilege(n.oid, 'USAGE'),"
              + " pg_has_role(c.relowner, 'USAGE')"
              + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
              + " WHERE n.nspname = ? AND c.relname = ?";
      long oid;
      Table facts;
      try (PreparedStatement s = c.prepareStatement(sql)) {
        s.setString(1, schema);
        s.setString(2, table);
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next()) {
            return new Table(
                name, schema, table, false, null, null, false, false, false, false, false,
                List.of());
          }
          oid = rs.getLong(1);
          facts =
              new Table(
                  name,
                  schema,
                  table,
                  true,
                  rs.getString(2),
                  rs.getString(3),
                  rs.getBoolean(4),
                  rs.getBoolean(5),
                  rs.getBoolean(6),
                  rs.getBoolean(7),
                  rs.getBoolean(8),
                  List.of());
        }
      }
      List<String> toast = new ArrayList<>();
      String columns =
          "SELECT a.attname, t.typname, a.atttypmod, a.attstorage::text"
              + " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
              + " WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped AND a.attlen = -1"
              + " ORDER BY a.attnum";
      try (PreparedStatement s = c.prepareStatement(columns)) {
        s.setLong(1, oid);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            if (toastable(
                rs.getString(2), rs.getInt(3), rs.getString(4), server.maxBytesPerChar())) {
              toast.add(rs.getString(1));
            }
          }
        }
      }
      return new Table(
          facts.name(),
          schema,
          table,
          true,
          facts.relkind(),
          facts.replident(),
          facts.hasPrimaryKey(),
          facts.hasIdentityIndex(),
          facts.canSelect(),
          facts.schemaUsage(),
          facts.owned(),
          List.copyOf(toast));
    }

    private List<Table> existing() {
      return tables.values().stream().filter(t -> t.exists() && t.isTable()).toList();
    }

    private void tablePrivileges() {
      String user = quote(server.user());
      List<Table> noSelect = existing().stream().filter(t -> !t.canSelect()).toList();
      Set<String> noUsage = new HashSet<>();
      existing().stream().filter(t -> !t.schemaUsage()).forEach(t -> noUsage.add(t.schemaSql()));
      if (noSelect.isEmpty() && noUsage.isEmpty()) {
        out.add(
            PreflightCheck.ok(
                TABLE_PRIVILEGES,
                "user '"
                    + server.user()
                    + "' may SELECT all "
                    + existing().size()
                    + " captured tables"));
        return;
      }
      List<String> fixes = new ArrayList<>();
      if (!noUsage.isEmpty()) {
        fixes.add("GRANT USAGE ON SCHEMA " + String.join(", ", noUsage) + " TO " + user + ";");
      }
      if (!noSelect.isEmpty()) {
        fixes.add(
            "GRANT SELECT ON "
                + noSelect.stream().map(Table::sql).collect(Collectors.joining(", "))
                + " TO "
                + user
                + ";");
      }
      List<String> names =
          existing().stream()
              .filter(t -> !t.canSelect() || !t.schemaUsage())
              .map(Table::name)
              .toList();
      out.add(
          PreflightCheck.blocker(
              TABLE_PRIVILEGES,
              "user '"
                  + server.user()
                  + "' may not read "
                  + String.join(", ", names)
                  + "; the snapshot SELECTs every captured table",
              String.join(" ", fixes)));
    }

    private void replicaIdentity() {
      int problems = 0;
      for (Table t : existing()) {
        String problem =
            switch (t.replident()) {
              case "d" ->
                  t.hasPrimaryKey() ? null : "has no primary key and REPLICA IDENTITY DEFAULT";
              case "n" -> "has REPLICA IDENTITY NOTHING";
              case "i" ->
                  t.hasIdentityIndex()
                      ? null
                      : "has REPLICA IDENTITY USING INDEX, but the index no longer exists";
              default -> null;
            };
        if (problem != null) {
          problems++;
          out.add(
              PreflightCheck.blocker(
                  REPLICA_IDENTITY,
                  t.name()
                      + " "
                      + problem
                      + ": once it is in the publication PostgreSQL rejects its UPDATEs and"
                      + " DELETEs (in the monolith too) and Debezium cannot capture them",
                  "ALTER TABLE "
                      + t.sql()
                      + " REPLICA IDENTITY FULL; or add a primary key: ALTER TABLE "
                      + t.sql()
                      + " ADD PRIMARY KEY (<key columns>);"));
        }
      }
      if (problems == 0) {
        out.add(
            PreflightCheck.ok(
                REPLICA_IDENTITY,
                "updates and deletes of all "
                    + existing().size()
                    + " tables can be published (primary key or REPLICA IDENTITY FULL/INDEX)"));
      }
    }

    private void messageKey() {
      String keyColumns = valueOr("message.key.columns", "");
      String policy = valueOr("topic.creation.default.cleanup.policy", "");
      boolean compacted = policy.toLowerCase(Locale.ROOT).contains("compact");
      int problems = 0;
      for (Table t : existing()) {
        if (t.hasPrimaryKey() || keyColumns.contains(t.name() + ":")) {
          continue;
        }
        problems++;
        String finding =
            t.name()
                + " has no primary key, so Debezium writes its records with a null key"
                + (compacted
                    ? ", which the compacted topic "
                        + connector.rawTopic(t.name())
                        + " rejects (topic.creation.default.cleanup.policy="
                        + policy
                        + ")"
                    : "; Carve keys every record by the source primary key");
        String fix =
            "ALTER TABLE "
                + t.sql()
                + " ADD PRIMARY KEY (<key columns>); or name unique columns in message.key.columns"
                + " (\""
                + t.name()
                + ":col1,col2\") in "
                + connector.source();
        out.add(
            compacted
                ? PreflightCheck.blocker(MESSAGE_KEY, finding, fix)
                : PreflightCheck.warn(MESSAGE_KEY, finding, fix));
      }
      if (problems == 0) {
        out.add(
            PreflightCheck.ok(
                MESSAGE_KEY, "every captured table has a primary key or message.key.columns"));
      }
    }

    private void toastColumns() {
      String policy = valueOr("topic.creation.default.cleanup.policy", "");
      boolean compacted = policy.toLowerCase(Locale.ROOT).contains("compact");
      int warned = 0;
      for (Table t : existing()) {
        if ("f".equals(t.replident()) || t.toastColumns().isEmpty()) {
          continue;
        }
        warned++;
        String identity = "i".equals(t.replident()) ? "USING INDEX" : "DEFAULT";
        out.add(
            PreflightCheck.warn(
                TOAST_COLUMNS,
                t.name()
                    + " (REPLICA IDENTITY "
                    + identity
                    + ") has TOASTable columns "
                    + String.join(", ", t.toastColumns())
                    + ": "
                    + PLACEHOLDER_NOTE
                    + (compacted
                        ? "; the raw topics are compacted (topic.creation.default.cleanup.policy="
                            + policy
                            + "), so once compaction has dropped the change that last carried a"
                            + " value, a transformer reset or a new service has nothing to fill"
                            + " it from and dead-letters those rows"
                        : ""),
                (compacted ? "before a reset, or " : "none needed; ")
                    + "to have the values sent in every change (more WAL): ALTER TABLE "
                    + t.sql()
                    + " REPLICA IDENTITY FULL;"));
      }
      if (warned == 0) {
        out.add(
            PreflightCheck.ok(
                TOAST_COLUMNS,
                "no TOASTable column can arrive as a placeholder (none, or REPLICA IDENTITY FULL)"));
      }
    }

    private List<Table> published() throws SQLException {
      List<Table> all = new ArrayList<>(existing());
      Optional<String> signal = connector.signalTable();
      if (signal.isPresent()) {
        Table t = readTable(signal.get());
        if (t.exists() && t.isTable()) {
          all.add(t);
        }
      }
      return all;
    }

    private void publication() throws SQLException {
      String name = publicationName();
      String mode =
          valueOr("publication.autocreate.mode", DEFAULT_AUTOCREATE).toLowerCase(Locale.ROOT);
      List<Table> needed = published();
      String list = needed.stream().map(Table::sql).collect(Collectors.joining(", "));
      String create = "CREATE PUBLICATION " + quote(name) + " FOR TABLE " + list + ";";
      boolean exists;
      boolean all = false;
      boolean owned = false;
      List<String> actionsMissing = new ArrayList<>();
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT puballtables, pubinsert, pubupdate, pubdelete, pg_has_role(pubowner, 'USAGE')"
                  + " FROM pg_publication WHERE pubname = ?")) {
        s.setString(1, name);
        try (ResultSet rs = s.executeQuery()) {
          exists = rs.next();
          if (exists) {
            all = rs.getBoolean(1);
            if (!rs.getBoolean(2)) {
              actionsMissing.add("insert");
            }
            if (!rs.getBoolean(3)) {
              actionsMissing.add("update");
            }
            if (!rs.getBoolean(4)) {
              actionsMissing.add("delete");
            }
            owned = rs.getBoolean(5);
          }
        }
      }
      if (!exists) {
        publicationToCreate(name, mode, needed, create);
        return;
      }
      if (!actionsMissing.isEmpty()) {
        out.add(
            PreflightCheck.blocker(
                PUBLICATION,
                "publication '"
                    + name
                    + "' does not publish "
                    + String.join(", ", actionsMissing)
                    + ", so those changes never reach Kafka",
                "ALTER PUBLICATION "
                    + quote(name)
                    + " SET (publish = 'insert, update, delete, truncate');"));
      }
      if (all && "filtered".equals(mode)) {
        out.add(
            PreflightCheck.blocker(
                PUBLICATION,
                "publication '"
                    + name
                    + "' is FOR ALL TABLES, which Debezium refuses with"
                    + " publication.autocreate.mode=filtered (it cannot narrow it to"
                    + " table.include.list)",
                "set publication.autocreate.mode to all_tables in "
                    + connector.source()
                    + ", or DROP PUBLICATION "
                    + quote(name)
                    + "; and let Debezium create it for the tables"));
        return;
      }
      Set<String> covered = new HashSet<>();
      List<String> filtered = new ArrayList<>();
      // PostgreSQL 15+ publications may filter rows (WHERE) and columns per table.
      String filters =
          server.versionNum() >= 150000
              ? "rowfilter IS NOT NULL, cardinality(attnames) < (SELECT count(*) FROM pg_attribute a"
                  + " WHERE a.attrelid = format('%I.%I', schemaname, tablename)::regclass"
                  + " AND a.attnum > 0 AND NOT a.attisdropped)"
              : "false, false";
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT schemaname, tablename, "
                  + filters
                  + " FROM pg_publication_tables WHERE pubname = ?")) {
        s.setString(1, name);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            String table = rs.getString(1) + "." + rs.getString(2);
            covered.add(table);
            boolean neededTable =
                needed.stream().anyMatch(t -> table.equals(t.schema() + "." + t.table()));
            if (neededTable && rs.getBoolean(3)) {
              filtered.add(table + " (row filter)");
            }
            if (neededTable && rs.getBoolean(4)) {
              filtered.add(table + " (column list)");
            }
          }
        }
      }
      if (!filtered.isEmpty()) {
        out.add(
            PreflightCheck.warn(
                PUBLICATION,
                "publication '"
                    + name
                    + "' filters "
                    + String.join(", ", filtered)
                    + ": filtered-out rows and columns never reach Kafka or the services",
                "if that is not intended, publish the whole tables: ALTER PUBLICATION "
                    + quote(name)
                    + " SET TABLE <the tables, without WHERE or column lists>;"));
      }
      List<Table> missing =
          needed.stream().filter(t -> !covered.contains(t.schema() + "." + t.table())).toList();
      Set<String> neededNames =
          needed.stream().map(t -> t.schema() + "." + t.table()).collect(Collectors.toSet());
      // Debezium 3.3 compares the publication's tables with the captured ones as sets and, in
      // filtered mode, replaces any difference (missing or extra tables) with SET TABLE.
      List<String> extra =
          "filtered".equals(mode)
              ? covered.stream().filter(t -> !neededNames.contains(t)).sorted().toList()
              : List.of();
      if (missing.isEmpty() && extra.isEmpty()) {
        if (actionsMissing.isEmpty() && filtered.isEmpty()) {
          out.add(
              PreflightCheck.ok(
                  PUBLICATION,
                  "publication '"
                      + name
                      + "' exists and covers all "
                      + needed.size()
                      + " tables"
                      + (all ? " (FOR ALL TABLES)" : "")));
        }
        return;
      }
      if ("filtered".equals(mode)) {
        publicationToSet(name, owned, needed, missing, extra);
        return;
      }
      String names = missing.stream().map(Table::name).collect(Collectors.joining(", "));
      String add =
          "ALTER PUBLICATION "
              + quote(name)
              + " ADD TABLE "
              + missing.stream().map(Table::sql).collect(Collectors.joining(", "))
              + ";";
      boolean mayAlter = server.superuser() || (owned && missing.stream().allMatch(Table::owned));
      out.add(
          PreflightCheck.blocker(
              PUBLICATION,
              "publication '"
                  + name
                  + "' exists but lacks "
                  + names
                  + ", so their changes are never captured (publication.autocreate.mode="
                  + mode
                  + (mayAlter ? "" : ", and user '" + server.user() + "' may not alter it")
                  + ")",
              "as the owner of the publication and the tables: " + add));
    }

    /**
     * An existing publication whose tables differ from the captured ones, in filtered mode: when it
     * starts, Debezium runs {@code ALTER PUBLICATION .. SET TABLE} with every captured table, and
     * PostgreSQL lets only the owner of the publication and of every listed table (or a superuser)
     * do that, tables already in the publication included.
     */
    private void publicationToSet(
        String name, boolean owned, List<Table> needed, List<Table> missing, List<String> extra) {
      String set =
          "ALTER PUBLICATION "
              + quote(name)
              + " SET TABLE "
              + needed.stream().map(Table::sql).collect(Collectors.joining(", "))
              + ";";
      List<String> differences = new ArrayList<>();
      if (!missing.isEmpty()) {
        differences.add(
            "lacks " + missing.stream().map(Table::name).collect(Collectors.joining(", ")));
      }
      if (!extra.isEmpty()) {
        differences.add(
            "also publishes "
                + String.join(", ", extra)
                + ", which table.include.list does not capture");
      }
      String differs = "publication '" + name + "' exists but " + String.join(" and ", differences);
      String runs =
          "with publication.autocreate.mode=filtered Debezium runs ALTER PUBLICATION ... SET TABLE"
              + " with the "
              + needed.size()
              + " tables of table.include.list when it starts";
      List<String> notOwned =
          server.superuser()
              ? List.of()
              : needed.stream().filter(t -> !t.owned()).map(Table::name).toList();
      boolean ownsPublication = server.superuser() || owned;
      if (ownsPublication && notOwned.isEmpty()) {
        out.add(
            PreflightCheck.warn(
                PUBLICATION,
                differs
                    + "; "
                    + runs
                    + (extra.isEmpty() ? "" : ", which removes " + String.join(", ", extra)),
                extra.isEmpty()
                    ? "nothing, or run it now: " + set
                    : "if something else reads "
                        + String.join(", ", extra)
                        + " through this publication, give the connector a publication of its own"
                        + " (publication.name in "
                        + connector.source()
                        + "); otherwise nothing, or run it now: "
                        + set));
        return;
      }
      List<String> lacking = new ArrayList<>();
      if (!ownsPublication) {
        lacking.add("the publication");
      }
      if (!notOwned.isEmpty()) {
        lacking.add(String.join(", ", notOwned));
      }
      out.add(
          PreflightCheck.blocker(
              PUBLICATION,
              differs
                  + "; "
                  + runs
                  + ", which PostgreSQL allows only the owner of the publication and of every"
                  + " table in the list, and user '"
                  + server.user()
                  + "' does not own "
                  + String.join(" nor ", lacking)
                  + ", so the connector fails to start (must be owner)",
              "as the owner of the publication and of the tables, or a superuser, make it match"
                  + " table.include.list so Debezium leaves it as it is: "
                  + set
                  + " (or make user '"
                  + server.user()
                  + "' a member of the tables' owner role)"));
    }

    private void publicationToCreate(String name, String mode, List<Table> needed, String create) {
      String prefix = "publication '" + name + "' does not exist";
      switch (mode) {
        case "disabled" ->
            out.add(
                PreflightCheck.blocker(
                    PUBLICATION,
                    prefix
                        + " and publication.autocreate.mode=disabled, so Debezium will not create it",
                    create));
        case "no_tables" ->
            out.add(
                PreflightCheck.blocker(
                    PUBLICATION,
                    prefix
                        + "; publication.autocreate.mode=no_tables creates it empty, so nothing is captured",
                    create));
        case "all_tables" -> {
          if (server.superuser()) {
            out.add(
                PreflightCheck.ok(
                    PUBLICATION,
                    prefix + "; Debezium creates it FOR ALL TABLES (user is a superuser)"));
          } else {
            out.add(
                PreflightCheck.blocker(
                    PUBLICATION,
                    prefix
                        + "; publication.autocreate.mode=all_tables creates it FOR ALL TABLES, which only"
                        + " a superuser may do, and user '"
                        + server.user()
                        + "' is not one",
                    "as a superuser or the tables' owner: "
                        + create
                        + " or set publication.autocreate.mode=filtered in "
                        + connector.source()));
          }
        }
        case "filtered" -> {
          List<String> notOwned = needed.stream().filter(t -> !t.owned()).map(Table::name).toList();
          if (server.superuser() || (server.canCreateInDatabase() && notOwned.isEmpty())) {
            out.add(
                PreflightCheck.ok(
                    PUBLICATION,
                    prefix
                        + "; Debezium creates it for the "
                        + needed.size()
                        + " tables of table.include.list"));
          } else {
            String why =
                !server.canCreateInDatabase()
                    ? "user '" + server.user() + "' has no CREATE privilege on the database"
                    : "user '" + server.user() + "' does not own " + String.join(", ", notOwned);
            out.add(
                PreflightCheck.blocker(
                    PUBLICATION,
                    prefix + " and Debezium cannot create it: " + why,
                    "as the owner of the tables or a superuser: " + create));
          }
        }
        default ->
            out.add(
                PreflightCheck.blocker(
                    PUBLICATION,
                    "publication.autocreate.mode is '"
                        + mode
                        + "'; Debezium knows all_tables, disabled, filtered and no_tables",
                    "fix publication.autocreate.mode in " + connector.source()));
      }
    }

    private Optional<Slot> readSlot() throws SQLException {
      if (slotKnown) {
        return slot;
      }
      String walStatus = server.versionNum() >= 130000 ? "s.wal_status" : "NULL::text";
      String sql =
          "SELECT s.plugin, s.slot_type, s.database, s.active, s.active_pid, "
              + walStatus
              + ", CASE WHEN pg_is_in_recovery() OR s.restart_lsn IS NULL THEN NULL"
              + " ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint END,"
              + " a.application_name, host(a.client_addr)"
              + " FROM pg_replication_slots s LEFT JOIN pg_stat_activity a ON a.pid = s.active_pid"
              + " WHERE s.slot_name = ?";
      try (PreparedStatement s = c.prepareStatement(sql)) {
        s.setString(1, slotName());
        try (ResultSet rs = s.executeQuery()) {
          if (rs.next()) {
            int pid = rs.getInt(5);
            Integer activePid = rs.wasNull() ? null : pid;
            long retained = rs.getLong(7);
            Long retainedBytes = rs.wasNull() ? null : retained;
            slot =
                Optional.of(
                    new Slot(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getBoolean(4),
                        activePid,
                        rs.getString(6),
                        retainedBytes,
                        rs.getString(8),
                        rs.getString(9)));
          }
        }
      }
      slotKnown = true;
      return slot;
    }

    private void slot() throws SQLException {
      String name = slotName();
      Optional<Slot> found = readSlot();
      String drop = "SELECT pg_drop_replication_slot(" + literal(name) + ");";
      String dropOrRename =
          drop
              + " (Debezium then snapshots again per snapshot.mode) or set slot.name to a new name in "
              + connector.source();
      if (found.isEmpty()) {
        out.add(
            PreflightCheck.ok(
                SLOT, "slot '" + name + "' does not exist; Debezium creates it (pgoutput)"));
        return;
      }
      Slot s = found.get();
      int problems = 0;
      if (!"logical".equals(s.type())) {
        problems++;
        out.add(
            PreflightCheck.blocker(
                SLOT,
                "slot '" + name + "' is a " + s.type() + " slot; Debezium needs a logical one",
                dropOrRename));
      } else {
        if (!connector.databaseName().equals(s.database())) {
          problems++;
          out.add(
              PreflightCheck.blocker(
                  SLOT,
                  "slot '"
                      + name
                      + "' belongs to database '"
                      + s.database()
                      + "', not '"
                      + connector.databaseName()
                      + "'",
                  "set slot.name to a slot of its own in " + connector.source()));
        }
        if (!"pgoutput".equals(s.plugin())) {
          problems++;
          out.add(
              PreflightCheck.blocker(
                  SLOT,
                  "slot '"
                      + name
                      + "' uses plugin '"
                      + s.plugin()
                      + "'; Carve's connector needs pgoutput",
                  dropOrRename));
        }
      }
      if (s.active()) {
        problems++;
        String holder =
            "pid "
                + s.activePid()
                + (s.application() == null || s.application().isBlank()
                    ? ""
                    : " (application '" + s.application() + "')")
                + (s.clientAddress() == null ? "" : " from " + s.clientAddress());
        out.add(
            PreflightCheck.blocker(
                SLOT,
                "slot '"
                    + name
                    + "' is active, held by "
                    + holder
                    + "; a slot serves one consumer at a time",
                "stop that consumer (if it is stale: SELECT pg_terminate_backend("
                    + s.activePid()
                    + ");), or set slot.name to a slot of its own in "
                    + connector.source()));
      }
      if ("lost".equals(s.walStatus())) {
        problems++;
        out.add(
            PreflightCheck.blocker(
                SLOT,
                "slot '" + name + "' was invalidated (wal_status lost): the WAL it needed is gone",
                drop + " then let Debezium create it again and snapshot (snapshot.mode)"));
      }
      if (problems == 0) {
        out.add(
            PreflightCheck.ok(
                SLOT, "slot '" + name + "' exists (pgoutput, inactive); Debezium resumes from it"));
      }
    }

    private long count(String sql) throws SQLException {
      try (PreparedStatement s = c.prepareStatement(sql);
          ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }

    private void slotCapacity() throws SQLException {
      long used = count("SELECT count(*) FROM pg_replication_slots");
      int max = server.maxSlots();
      if (readSlot().isPresent()) {
        out.add(
            PreflightCheck.ok(
                SLOT_CAPACITY,
                used + " of " + max + " slots in use; the connector's slot is one of them"));
      } else if (used >= max) {
        out.add(
            PreflightCheck.blocker(
                SLOT_CAPACITY,
                "all "
                    + max
                    + " replication slots are in use; Debezium cannot create slot '"
                    + slotName()
                    + "'",
                "drop an abandoned slot (SELECT pg_drop_replication_slot('<name>');) or ALTER SYSTEM SET"
                    + " max_replication_slots = "
                    + (max + 4)
                    + "; then restart PostgreSQL"));
      } else {
        out.add(
            PreflightCheck.ok(
                SLOT_CAPACITY,
                used + " of " + max + " slots in use; room for the connector's slot"));
      }
    }

    private void walSenders() throws SQLException {
      long used = count("SELECT count(*) FROM pg_stat_replication");
      int max = server.maxWalSenders();
      boolean needsOne = readSlot().map(s -> !s.active()).orElse(true);
      if (needsOne && used >= max) {
        out.add(
            PreflightCheck.blocker(
                WAL_SENDERS,
                "all "
                    + max
                    + " WAL senders are busy; the connector's replication connection is refused",
                "ALTER SYSTEM SET max_wal_senders = " + (max + 4) + "; then restart PostgreSQL"));
      } else {
        out.add(
            PreflightCheck.ok(
                WAL_SENDERS, used + " of " + max + " WAL senders busy; room for the connector"));
      }
    }

    private void walKeepSize() {
      out.add(walKeepSizeCheck(server.walKeepSizeMb(), server.version()));
    }

    private void retainedWal() throws SQLException {
      Optional<Slot> s = readSlot();
      if (s.isEmpty() || s.get().retainedBytes() == null) {
        return;
      }
      long retained = s.get().retainedBytes();
      String name = slotName();
      if (retained > walWarnBytes) {
        out.add(
            PreflightCheck.warn(
                RETAINED_WAL,
                "slot '"
                    + name
                    + "' retains "
                    + bytes(retained)
                    + " of WAL (threshold "
                    + bytes(walWarnBytes)
                    + "); nothing consumes it",
                "start the connector soon so it consumes the slot, or drop the slot if it is abandoned:"
                    + " SELECT pg_drop_replication_slot("
                    + literal(name)
                    + ");"));
      } else {
        out.add(
            PreflightCheck.ok(
                RETAINED_WAL,
                "slot '"
                    + name
                    + "' retains "
                    + bytes(retained)
                    + " of WAL (threshold "
                    + bytes(walWarnBytes)
                    + ")"));
      }
    }

    private void heartbeat() {
      out.add(
          heartbeatCheck(
              connector.get("heartbeat.interval.ms"),
              connector.get("heartbeat.action.query"),
              connector.source()));
    }

    private void signalTable() throws SQLException {
      Optional<String> signal = connector.signalTable();
      String create =
          "CREATE TABLE %s (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));";
      if (signal.isEmpty()) {
        out.add(
            PreflightCheck.warn(
                SIGNAL_TABLE,
                "signal.data.collection is not set: repairs (incremental snapshots of chosen keys) cannot"
                    + " be requested",
                "create the signal table ("
                    + String.format(Locale.ROOT, create, qualified("public", "carve_signal"))
                    + ") and set signal.data.collection and table.include.list in "
                    + connector.source()));
        return;
      }
      Table t = readTable(signal.get());
      if (t.exists()) {
        out.add(PreflightCheck.ok(SIGNAL_TABLE, "signal table " + signal.get() + " exists"));
      } else {
        out.add(
            PreflightCheck.warn(
                SIGNAL_TABLE,
                "signal table "
                    + signal.get()
                    + " (signal.data.collection) does not exist: repairs need it",
                String.format(Locale.ROOT, create, t.sql())));
      }
    }
  }
}
