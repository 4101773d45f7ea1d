package dev.carve.transform.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds raw change events in the exact JSON Debezium's converter writes (contracts §1). */
public final class Debezium {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Debezium() {}

  /** The record key: the primary key columns. */
  public static String key(Object... columnsAndValues) {
    return json(map(columnsAndValues));
  }

  /** A row as a map, from alternating column names and values. */
  public static Map<String, Object> row(Object... columnsAndValues) {
    return map(columnsAndValues);
  }

  /** An insert streamed at {@code lsn}. */
  public static String create(String table, Map<String, Object> after, long lsn) {
    return envelope(table, "c", null, after, lsn, false);
  }

  /** A row read by the initial snapshot. */
  public static String read(String table, Map<String, Object> after) {
    return envelope(table, "r", null, after, 0, true);
  }

  /** An update streamed at {@code lsn}. */
  public static String update(String table, Map<String, Object> after, long lsn) {
    return envelope(table, "u", null, after, lsn, false);
  }

  /** A delete streamed at {@code lsn}; {@code before} holds the primary key columns only. */
  public static String delete(String table, Map<String, Object> before, long lsn) {
    return envelope(table, "d", before, null, lsn, false);
  }

  /** A change with any op code. */
  public static String envelope(
      String table,
      String op,
      Map<String, Object> before,
      Map<String, Object> after,
      long lsn,
      boolean snapshot) {
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("version", "3.3.1.Final");
    source.put("connector", "postgresql");
    source.put("name", "legacy");
    source.put("ts_ms", 1_700_000_000_000L);
    source.put("snapshot", snapshot ? "true" : "false");
    source.put("db", "legacy_shop");
    source.put("sequence", "[\"" + (lsn == 0 ? 0 : lsn - 8) + "\",\"" + lsn + "\"]");
    source.put("schema", "public");
    source.put("table", table);
    source.put("txId", 700);
    source.put("lsn", lsn);
    source.put("xmin", null);
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("before", before);
    value.put("after", after);
    value.put("source", source);
    value.put("transaction", null);
    value.put("op", op);
    value.put("ts_ms", 1_700_000_000_100L);
    return json(value);
  }

  private static Map<String, Object> map(Object... columnsAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < columnsAndValues.length; i += 2) {
      m.put((String) columnsAndValues[i], columnsAndValues[i + 1]);
    }
    return m;
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
