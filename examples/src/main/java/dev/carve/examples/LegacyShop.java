package dev.carve.examples;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The legacy-shop demo monolith: its schema ({@code legacy-shop/schema.sql} on the classpath) and
 * the names of its tables, all in schema {@code public}.
 */
public final class LegacyShop {
  /** Classpath location of the schema script. */
  public static final String SCHEMA_RESOURCE = "legacy-shop/schema.sql";

  /** The schema the tables live in. */
  public static final String SCHEMA = "public";

  /** The tables of the monolith, parents before children (the order data is loaded in). */
  public static final List<String> TABLES =
      List.of("customers", "addresses", "products", "orders", "payments", "shipments");

  /**
   * Debezium's signal table, created by {@link #createSchema} beside the monolith's tables (not in
   * {@link #TABLES}); named by {@code signal.data.collection} in the connector config.
   */
  public static final String SIGNAL_TABLE = "carve_signal";

  /**
   * The table the connector's {@code heartbeat.action.query} writes, created by {@link
   * #createSchema} beside the monolith's tables (not in {@link #TABLES}).
   */
  public static final String HEARTBEAT_TABLE = "carve_heartbeat";

  private LegacyShop() {}

  /**
   * Creates the tables of the monolith in the connection's database, in one transaction.
   *
   * @param connection an open connection, never null; its auto-commit mode is restored afterwards
   * @throws SQLException naming the statement that failed (e.g. when the tables exist already)
   */
  public static void createSchema(Connection connection) throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement s = connection.createStatement()) {
      for (String sql : statements(schemaScript())) {
        try {
          s.execute(sql);
        } catch (SQLException e) {
          throw new SQLException(
              "Could not create the legacy-shop schema; statement failed: "
                  + firstLine(sql)
                  + ": "
                  + e.getMessage(),
              e.getSQLState(),
              e);
        }
      }
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  /**
   * Creates {@link #HEARTBEAT_TABLE} when it is missing, for a monolith created before the table
   * was part of {@link #SCHEMA_RESOURCE}.
   */
  public static void ensureHeartbeatTable(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + qualified(HEARTBEAT_TABLE)
              + " (id integer PRIMARY KEY, beat_at timestamptz NOT NULL)");
    }
  }

  /**
   * Tells whether the monolith holds no data.
   *
   * @return true when every table of {@link #TABLES} exists and has no rows
   * @throws SQLException when a table is missing (create the schema first)
   */
  public static boolean isEmpty(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      for (String table : TABLES) {
        try (ResultSet rs =
            s.executeQuery("SELECT EXISTS (SELECT 1 FROM " + qualified(table) + ")")) {
          rs.next();
          if (rs.getBoolean(1)) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /**
   * Tells whether the monolith's tables exist in the connection's database.
   *
   * @return true when every table of {@link #TABLES} exists in schema {@link #SCHEMA}
   */
  public static boolean schemaExists(Connection connection) throws SQLException {
    try (var ps =
        connection.prepareStatement(
            "SELECT count(*) FROM information_schema.tables"
                + " WHERE table_schema = ? AND table_name = ANY (?)")) {
      ps.setString(1, SCHEMA);
      ps.setArray(2, connection.createArrayOf("text", TABLES.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1) == TABLES.size();
      }
    }
  }

  /** The schema script as text. */
  public static String schemaScript() {
    try (InputStream in = LegacyShop.class.getClassLoader().getResourceAsStream(SCHEMA_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "Classpath resource '" + SCHEMA_RESOURCE + "' is missing; is carve-examples intact?");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("Could not read '" + SCHEMA_RESOURCE + "': " + e, e);
    }
  }

  /**
   * Quotes an SQL identifier: the one place this module turns a name into SQL.
   *
   * @param identifier a table or column name, never null
   */
  public static String quote(String identifier) {
    return dev.carve.core.SqlIdentifiers.quote(identifier);
  }

  /** The quoted, schema-qualified name of a table of the monolith. */
  public static String qualified(String table) {
    return quote(SCHEMA) + "." + quote(table);
  }

  private static List<String> statements(String script) {
    StringBuilder sql = new StringBuilder();
    for (String line : script.split("\n")) {
      int comment = line.indexOf("--");
      sql.append(comment >= 0 ? line.substring(0, comment) : line).append('\n');
    }
    List<String> out = new ArrayList<>();
    for (String part : sql.toString().split(";")) {
      if (!part.isBlank()) {
        out.add(part.strip());
      }
    }
    return out;
  }

  private static String firstLine(String sql) {
    int nl = sql.indexOf('\n');
    return nl < 0 ? sql : sql.substring(0, nl);
  }
}
