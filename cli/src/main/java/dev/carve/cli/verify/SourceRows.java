package dev.carve.cli.verify;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the rows of a monolith table the way Debezium represents them in the raw change topics with
 * Carve's connector settings (docs/contracts.md §1): numeric as decimal strings, timestamp as
 * microseconds since the epoch, date as days since the epoch, text as strings. So the mapping code
 * sees the same values whether they come from Kafka or from a reconciliation read.
 */
final class SourceRows {
  private SourceRows() {}

  /** A row and its primary-key columns. */
  record Row(Map<String, Object> values, Map<String, Object> key) {}

  /** Receives rows one at a time, so a table of any size streams through. */
  @FunctionalInterface
  interface RowConsumer {
    void accept(Row row) throws Exception;
  }

  /** Streams every row of {@code schema.table} to {@code consumer}. */
  static long read(Connection c, String schema, String table, RowConsumer consumer)
      throws Exception {
    return read(c, schema, table, null, consumer);
  }

  /**
   * Streams the rows of {@code schema.table} to {@code consumer}; with a window, only the rows
   * whose window column lies in it.
   *
   * @param window the time window; null reads every row
   */
  static long read(Connection c, String schema, String table, Window window, RowConsumer consumer)
      throws Exception {
    List<String> pk = primaryKey(c, schema, table);
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false); // pgjdbc streams with a fetch size only inside a transaction
    long n = 0;
    StringBuilder sql =
        new StringBuilder("SELECT * FROM ")
            .append(dev.carve.core.SqlIdentifiers.qualified(schema, table));
    List<Object> binds = new ArrayList<>();
    if (window != null) {
      String col = dev.carve.core.SqlIdentifiers.quote(window.column());
      sql.append(" WHERE true");
      if (window.since() != null) {
        sql.append(" AND ").append(col).append(" >= ?");
        binds.add(window.since());
      }
      if (window.until() != null) {
        sql.append(" AND ").append(col).append(" < ?");
        binds.add(window.until());
      }
    }
    try (java.sql.PreparedStatement s = c.prepareStatement(sql.toString())) {
      s.setFetchSize(2000);
      for (int i = 0; i < binds.size(); i++) {
        s.setObject(i + 1, binds.get(i));
      }
      try (ResultSet rs = s.executeQuery()) {
        ResultSetMetaData md = rs.getMetaData();
        while (rs.next()) {
          Map<String, Object> values = new LinkedHashMap<>();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            values.put(
                md.getColumnName(i),
                debeziumValue(rs, i, md.getColumnType(i), md.getColumnTypeName(i)));
          }
          Map<String, Object> key = new LinkedHashMap<>();
          for (String k : pk) {
            key.put(k, values.get(k));
          }
          consumer.accept(new Row(values, key));
          n++;
        }
      }
      c.commit();
    } finally {
      c.setAutoCommit(autoCommit);
    }
    return n;
  }

  private static Object debeziumValue(ResultSet rs, int i, int type, String typeName)
      throws SQLException {
    Object raw = rs.getObject(i);
    if (raw == null) {
      return null;
    }
    switch (type) {
      case Types.NUMERIC:
      case Types.DECIMAL:
        return ((BigDecimal) raw).toPlainString();
      case Types.SMALLINT:
      case Types.INTEGER:
        return rs.getInt(i);
      case Types.BIGINT:
        return rs.getLong(i);
      case Types.BIT:
      case Types.BOOLEAN:
        return rs.getBoolean(i);
      case Types.REAL:
      case Types.DOUBLE:
      case Types.FLOAT:
        return rs.getDouble(i);
      case Types.DATE:
        return (int) rs.getObject(i, LocalDate.class).toEpochDay();
      case Types.TIMESTAMP:
        if (typeName.equalsIgnoreCase("timestamptz")) {
          return rs.getObject(i, OffsetDateTime.class)
              .withOffsetSameInstant(ZoneOffset.UTC)
              .toString();
        }
        return ChronoUnit.MICROS.between(
            LocalDateTime.of(1970, 1, 1, 0, 0), rs.getObject(i, LocalDateTime.class));
      case Types.TIMESTAMP_WITH_TIMEZONE:
        return rs.getObject(i, OffsetDateTime.class)
            .withOffsetSameInstant(ZoneOffset.UTC)
            .toString();
      default:
        return raw.toString();
    }
  }

  /**
   * A time window on a column: {@code since <= column < until}, UTC wall-clock time.
   *
   * @param column the column
   * @param since the start, inclusive; null for none
   * @param until the end, exclusive; null for none
   */
  record Window(String column, LocalDateTime since, LocalDateTime until) {}

  /** True when {@code schema.table} has a column named {@code column}. */
  static boolean hasColumn(Connection c, String schema, String table, String column)
      throws SQLException {
    try (ResultSet rs = c.getMetaData().getColumns(null, schema, table, column)) {
      return rs.next();
    }
  }

  /**
   * The planner's estimate of the rows of {@code schema.table}, or an exact count when the table
   * was never analysed; 0 when the table does not exist.
   */
  static long estimateRows(Connection c, String schema, String table) throws SQLException {
    String qualified = dev.carve.core.SqlIdentifiers.qualified(schema, table);
    try (java.sql.PreparedStatement ps =
        c.prepareStatement("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(?)")) {
      ps.setString(1, qualified);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return 0;
        }
        long estimate = rs.getLong(1);
        if (estimate > 0) {
          return estimate;
        }
      }
    }
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + qualified)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static List<String> primaryKey(Connection c, String schema, String table) throws SQLException {
    DatabaseMetaData md = c.getMetaData();
    Map<Short, String> cols = new java.util.TreeMap<>();
    try (ResultSet rs = md.getPrimaryKeys(null, schema, table)) {
      while (rs.next()) {
        cols.put(rs.getShort("KEY_SEQ"), rs.getString("COLUMN_NAME"));
      }
    }
    if (cols.isEmpty()) {
      throw new IllegalStateException(
          "Table "
              + schema
              + "."
              + table
              + " has no primary key: reconciliation needs one to match rows");
    }
    return new ArrayList<>(cols.values());
  }
}
