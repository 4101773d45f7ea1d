package dev.carve.transform.api;

import dev.carve.core.SourcePosition;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One Debezium change of a legacy row, as a topology sees it.
 *
 * <p>Rows are immutable maps from column name to value, as Debezium's JSON converter wrote them:
 * text and {@code numeric} as {@link String}, integers, {@code date} (days) and {@code timestamp}
 * (microseconds) as {@link Long}, booleans as {@link Boolean}. A column value may be null, and may
 * be {@link #UNAVAILABLE} for an unchanged TOASTed column of an update.
 *
 * @param table the legacy table, e.g. {@code orders}; never null
 * @param op what happened; never null
 * @param before the row before the change; null for creates and reads, only the primary-key columns
 *     for deletes unless the table has {@code REPLICA IDENTITY FULL}
 * @param after the row after the change; null for deletes
 * @param key the source primary key columns (the Debezium record key); empty when the table has
 *     none
 * @param position the source position of the change; never null
 * @param source where the change was read from in Kafka; never null
 * @param joined the rows of other tables joined to this change by {@link ForeignKeyJoin}, by the
 *     join's alias; a null row when the referenced row is absent; empty when nothing is joined
 */
public record ChangeEvent(
    String table,
    Op op,
    Map<String, Object> before,
    Map<String, Object> after,
    Map<String, Object> key,
    SourcePosition position,
    SourceOffset source,
    Map<String, Map<String, Object>> joined) {

  /** Debezium's placeholder for an unchanged TOASTed column; must never reach a target. */
  public static final String UNAVAILABLE = "__debezium_unavailable_value";

  /**
   * {@link #UNAVAILABLE} in base64: the placeholder of a {@code bytea} column under {@code
   * binary.handling.mode=base64} (or {@code base64-url-safe}, which writes the same text).
   */
  public static final String UNAVAILABLE_BASE64 = "X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==";

  /** {@link #UNAVAILABLE} in hex: a {@code bytea} column under {@code binary.handling.mode=hex}. */
  public static final String UNAVAILABLE_HEX =
      "5f5f646562657a69756d5f756e617661696c61626c655f76616c7565";

  /**
   * The placeholder of an array column as a row holds it (arrays are kept as their JSON text): an
   * array of the one placeholder.
   */
  public static final String UNAVAILABLE_ARRAY = "[\"" + UNAVAILABLE + "\"]";

  private static final byte[] UNAVAILABLE_BYTES =
      UNAVAILABLE.getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /**
   * Whether {@code value} is Debezium's unchanged-TOAST placeholder in any form it takes: the text
   * {@link #UNAVAILABLE}, its base64 ({@link #UNAVAILABLE_BASE64}) or hex ({@link
   * #UNAVAILABLE_HEX}) for binary columns, the array of it ({@link #UNAVAILABLE_ARRAY}, or a list
   * holding only it), or its bytes ({@code byte[]}, {@link java.nio.ByteBuffer}).
   *
   * @param value a column value; may be null (false)
   */
  public static boolean isUnavailable(Object value) {
    if (value instanceof CharSequence text) {
      int length = text.length();
      if (length != UNAVAILABLE.length()
          && length != UNAVAILABLE_BASE64.length()
          && length != UNAVAILABLE_ARRAY.length()
          && length != UNAVAILABLE_HEX.length()) {
        return false; // most values: no comparison at all
      }
      String s = text.toString();
      return s.equals(UNAVAILABLE)
          || s.equals(UNAVAILABLE_BASE64)
          || s.equals(UNAVAILABLE_ARRAY)
          || s.equalsIgnoreCase(UNAVAILABLE_HEX);
    }
    if (value instanceof byte[] bytes) {
      return java.util.Arrays.equals(bytes, UNAVAILABLE_BYTES);
    }
    if (value instanceof java.nio.ByteBuffer buffer) {
      return buffer.remaining() == UNAVAILABLE_BYTES.length
          && buffer.equals(java.nio.ByteBuffer.wrap(UNAVAILABLE_BYTES));
    }
    if (value instanceof java.util.List<?> list) {
      return list.size() == 1 && UNAVAILABLE.equals(String.valueOf(list.get(0)));
    }
    return false;
  }

  /** Copies the rows into immutable maps (which may hold null values). */
  public ChangeEvent {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(position, "position");
    Objects.requireNonNull(source, "source");
    before = immutable(before);
    after = immutable(after);
    key = key == null ? Map.of() : immutable(key);
    Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
    if (joined != null) {
      joined.forEach((alias, row) -> rows.put(alias, immutable(row)));
    }
    joined = Collections.unmodifiableMap(rows);
  }

  /** A change with nothing joined to it. */
  public ChangeEvent(
      String table,
      Op op,
      Map<String, Object> before,
      Map<String, Object> after,
      Map<String, Object> key,
      SourcePosition position,
      SourceOffset source) {
    this(table, op, before, after, key, position, source, null);
  }

  /**
   * The row joined under {@code alias} (a {@link ForeignKeyJoin}).
   *
   * @return the row, or null when the referenced row is absent (a left join)
   * @throws IllegalArgumentException when nothing is joined under {@code alias}
   */
  public Map<String, Object> joined(String alias) {
    if (!joined.containsKey(alias)) {
      throw new IllegalArgumentException(
          "no row of another table is joined to table '"
              + table
              + "' as '"
              + alias
              + "'; joined: "
              + joined.keySet());
    }
    return joined.get(alias);
  }

  /** This change with {@code row} joined under {@code alias} and the given position. */
  public ChangeEvent withJoined(String alias, Map<String, Object> row, SourcePosition position) {
    Map<String, Map<String, Object>> rows = new LinkedHashMap<>(joined);
    rows.put(alias, row);
    return new ChangeEvent(table, op, before, after, key, position, source, rows);
  }

  private static Map<String, Object> immutable(Map<String, Object> row) {
    if (row == null || row instanceof Frozen) {
      return row; // already a private copy (withJoined and the like pass them on)
    }
    return new Frozen(row);
  }

  /**
   * An unmodifiable copy of a row, in its order. Only this class makes them, so no one holds the
   * map under it: a change made from another change's rows shares them instead of copying again.
   */
  private static final class Frozen extends AbstractMap<String, Object> {
    private final Map<String, Object> map;
    private final Set<Map.Entry<String, Object>> entries;

    Frozen(Map<String, Object> source) {
      this.map = new LinkedHashMap<>(source);
      this.entries = Collections.unmodifiableMap(map).entrySet();
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
      return entries;
    }

    @Override
    public Object get(Object key) {
      return map.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
      return map.containsKey(key);
    }

    @Override
    public int size() {
      return map.size();
    }
  }

  /**
   * The row a mapping reads: {@code after} for creates, reads and updates; for deletes {@code
   * before} completed by the key columns.
   */
  public Map<String, Object> row() {
    if (op != Op.DELETE) {
      return after == null ? Map.of() : after;
    }
    Map<String, Object> row = new LinkedHashMap<>(key);
    if (before != null) {
      row.putAll(before);
    }
    return Collections.unmodifiableMap(row);
  }

  /**
   * The value of {@code column} in {@link #row()}, checked: a column the row does not have is
   * schema drift (dropped or renamed in the source), never read as null.
   *
   * @return the value; null when the column is null
   * @throws MappingException naming the column, the table and the key when the row has no such
   *     column, or when it holds Debezium's unchanged-TOAST placeholder ({@link #isUnavailable})
   */
  public Object column(String column) {
    Map<String, Object> row = row();
    if (!row.containsKey(column)) {
      throw new MappingException(
          "column '"
              + column
              + "' is missing from table '"
              + table
              + "' at key "
              + key
              + " (dropped or renamed in the source? the row has "
              + row.keySet()
              + ")");
    }
    Object value = row.get(column);
    if (isUnavailable(value)) {
      throw new MappingException(
          "column '"
              + column
              + "' of table '"
              + table
              + "' at key "
              + key
              + " holds Debezium's unchanged-TOAST placeholder");
    }
    return value;
  }

  /** True for deletes. */
  public boolean isDelete() {
    return op == Op.DELETE;
  }

  /** Debezium's operation codes. */
  public enum Op {
    /** {@code c}: an insert. */
    CREATE("c"),
    /** {@code u}: an update. */
    UPDATE("u"),
    /** {@code d}: a delete. */
    DELETE("d"),
    /** {@code r}: a row read by a snapshot. */
    READ("r"),
    /** {@code t}: a truncate of the whole table. */
    TRUNCATE("t");

    private final String code;

    Op(String code) {
      this.code = code;
    }

    /** Debezium's one-letter code. */
    public String code() {
      return code;
    }

    /**
     * The operation of a Debezium code.
     *
     * @throws IllegalArgumentException for an unknown code, listing the known ones
     */
    public static Op ofCode(String code) {
      for (Op op : values()) {
        if (op.code.equals(code)) {
          return op;
        }
      }
      throw new IllegalArgumentException(
          "unknown Debezium op '" + code + "'; known: c, u, d, r, t");
    }

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Where a change was read from.
   *
   * @param topic the raw change topic; never null
   * @param partition the partition, or -1 when unknown
   * @param offset the offset, or -1 when unknown
   */
  public record SourceOffset(String topic, int partition, long offset) {
    /** Validates the topic. */
    public SourceOffset {
      Objects.requireNonNull(topic, "topic");
    }

    @Override
    public String toString() {
      return topic + "-" + partition + "@" + offset;
    }
  }
}
