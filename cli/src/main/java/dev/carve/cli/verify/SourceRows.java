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
    List<String> pk = primaryKey(c, schema, table);
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false); // pgjdbc streams with a fetch size only inside a transaction
    long n = 0;
    try (Statement s = c.createStatement()) {
      s.setFetchSize(2000);
      try (ResultSet rs =
          s.executeQuery(
              "SELECT * FROM " + dev.carve.core.SqlIdentifiers.qualified(schema, table))) {
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
