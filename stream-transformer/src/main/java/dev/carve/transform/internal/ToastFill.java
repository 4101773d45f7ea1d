package dev.carve.transform.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.MappingException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Fills Debezium's unchanged-TOAST placeholder ({@link ChangeEvent#UNAVAILABLE}) in a row with the
 * column's last value kept per source key, and gives the values to keep for the next change. Used
 * by the YAML mapping (per entity) and by a foreign-key join (per left table, before the join).
 */
public final class ToastFill {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

  // Reads and rewrites a change without changing its numbers' text (30.00 stays 30.00).
  private static final ObjectMapper EXACT =
      JsonMapper.builder()
          .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .build();

  /** Debezium's header on the create of the new key of a primary-key update: the old key. */
  public static final String OLD_KEY_HEADER = "__debezium.oldkey";

  /** Debezium's header on the delete of the old key of a primary-key update: the new key. */
  public static final String NEW_KEY_HEADER = "__debezium.newkey";

  private ToastFill() {}

  /**
   * The old key's JSON text of the create of the new key of a primary-key update (header {@link
   * #OLD_KEY_HEADER}), or null for any other change or when it equals {@code key}.
   */
  static String oldKey(Headers headers, String key) {
    Header header = headers.lastHeader(OLD_KEY_HEADER);
    if (header == null || header.value() == null) {
      return null;
    }
    String oldKey = new String(header.value(), StandardCharsets.UTF_8);
    return oldKey.equals(key) ? null : oldKey;
  }

  /**
   * Whether {@code change} is the delete of the old key of a primary-key update (header {@link
   * #NEW_KEY_HEADER}): the row's last values are kept for the create of its new key.
   */
  static boolean keyMoved(ChangeEvent change, Headers headers) {
    return change.isDelete() && headers.lastHeader(NEW_KEY_HEADER) != null;
  }

  /** The values of {@code columns} present in {@code row}, as {@link Filled#kept} writes them. */
  public static String keep(List<String> columns, Map<String, Object> row) {
    Map<String, Object> latest = new LinkedHashMap<>();
    for (String column : columns) {
      if (row.containsKey(column)) {
        latest.put(column, row.get(column));
      }
    }
    return write(latest);
  }

  /**
   * The Debezium change {@code value} with the placeholders of its {@code after} row replaced by
   * the filled values; the rest of the change keeps its text (30.00 stays 30.00).
   *
   * @param original the {@code after} row as parsed, with its placeholders
   * @param filled the same row filled ({@link Filled#row})
   */
  static String withFilled(
      String value,
      List<String> columns,
      Map<String, Object> original,
      Map<String, Object> filled,
      String table) {
    try {
      ObjectNode root = (ObjectNode) EXACT.readTree(value);
      ObjectNode after = (ObjectNode) root.get("after");
      for (String column : columns) {
        if (ChangeEvent.isUnavailable(original.get(column))) {
          after.set(column, EXACT.valueToTree(filled.get(column)));
        }
      }
      return root.toString();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "cannot read a change of table '" + table + "' again: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * A row with its placeholders filled, and the values to keep.
   *
   * @param row the row; the given map itself when it had no placeholder
   * @param latest the present values of the columns
   */
  public record Filled(Map<String, Object> row, Map<String, Object> latest) {
    /** Whether a placeholder was filled. */
    public boolean filledAny(Map<String, Object> original) {
      return row != original;
    }

    /** The values to keep for the next change of the key, as JSON. */
    public String kept() {
      return write(latest);
    }
  }

  /**
   * Fills the placeholders of {@code columns} in {@code row}; the kept values are read only when
   * there is a placeholder.
   *
   * @param kept the values kept by the previous change of the key (JSON), or null
   * @param table the source table, for messages
   * @param key the source key, for messages
   * @throws MappingException naming column, table and key when a placeholder has no previous value
   */
  public static Filled fill(
      List<String> columns,
      Map<String, Object> row,
      Supplier<String> kept,
      String table,
      String key) {
    return fill(columns, row, kept, table, key, null);
  }

  /**
   * {@link #fill(List, Map, Supplier, String, String)} for the create of the new key of a
   * primary-key update, whose kept values are its own or else those of its old key.
   *
   * @param oldKey the old key of a primary-key update (for messages), or null
   */
  public static Filled fill(
      List<String> columns,
      Map<String, Object> row,
      Supplier<String> kept,
      String table,
      String key,
      String oldKey) {
    Map<String, Object> previous = null;
    Map<String, Object> filled = row;
    Map<String, Object> latest = new LinkedHashMap<>();
    for (String column : columns) {
      if (!row.containsKey(column)) {
        continue;
      }
      Object value = row.get(column);
      if (ChangeEvent.isUnavailable(value)) {
        if (previous == null) {
          String stored = kept.get();
          previous = stored == null ? Map.of() : read(stored);
        }
        if (!previous.containsKey(column)) {
          throw new MappingException(
              "column '"
                  + column
                  + "' of table '"
                  + table
                  + "' is an unchanged TOASTed value (Debezium's placeholder) and no previous value"
                  + " is known for key "
                  + key
                  + (oldKey == null
                      ? ""
                      : " nor for its old key "
                          + oldKey
                          + " (a primary-key update: the old key's last values are not in this"
                          + " task; they are kept by the task of the old key's raw partition,"
                          + " which reads the new key only when both keys fall in one partition)")
                  + "; re-snapshot the row or set REPLICA IDENTITY FULL on the table");
        }
        value = previous.get(column);
        if (filled == row) {
          filled = new LinkedHashMap<>(row);
        }
        filled.put(column, value);
      }
      latest.put(column, value);
    }
    return new Filled(filled, latest);
  }

  private static String write(Map<String, Object> map) {
    try {
      return FlatJson.write(map);
    } catch (JsonProcessingException e) {
      throw new MappingException("cannot write state as JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static Map<String, Object> read(String json) {
    try {
      return JSON.readValue(json, MAP);
    } catch (JsonProcessingException e) {
      throw new MappingException("cannot read stored state: " + e.getOriginalMessage(), e);
    }
  }
}
