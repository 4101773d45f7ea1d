package dev.carve.transform.api;

import dev.carve.core.SourcePosition;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A foreign-key join: each row of a table (the left table, e.g. {@code orders}) references at most
 * one row of another captured table (the right table) by the values of some of its columns that are
 * not its key, e.g. {@code orders.cust_no = addresses.cust_no} for the customer's billing address.
 * Used by {@link TopologyContext#joinForeignKey}; the mapper sees the referenced row as {@link
 * ChangeEvent#joined(String) change.joined(alias)}.
 *
 * <p>A left join: a left row whose reference is null, or whose referenced row is absent or deleted,
 * is mapped with a null joined row, never dropped ({@link #waitFor} lets it first wait for a
 * referenced row that has not reached the join yet). When several right rows match one reference
 * (the right columns are not the right table's key and {@link #where} does not make them unique),
 * the one with the smallest primary key ({@link #compareKeys}) is joined, so the choice is the same
 * on every replay and in reconciliation.
 *
 * <p>References are compared on the values as Debezium writes them (text as text, integers as
 * numbers), column by column in the order of {@link #columns()}.
 *
 * <p>Two ways to run it ({@link #strategy}), with the same results: {@link Strategy#BROADCAST} (the
 * default) and {@link Strategy#KTABLE}.
 */
public final class ForeignKeyJoin {
  /** How Kafka Streams runs the join. */
  public enum Strategy {
    /**
     * The right rows, filtered and keyed by reference, are sent to every partition of the left
     * table (a repartition topic written to all its partitions) and kept there, next to the left
     * rows: a left change is joined in the task that reads it, without leaving it; a right change
     * re-maps the left rows of that task that reference it. Costs a copy of the joined right rows
     * per left partition (state store and changelog), and a right change is sent once per
     * partition. For referenced tables that are small next to the left table, or change less often:
     * customers, addresses, products.
     */
    BROADCAST,
    /**
     * Kafka Streams' KTable foreign-key join: each left change subscribes to its right row through
     * a subscription topic and is answered through a response topic (two broker round trips, each
     * visible only after an exactly-once commit) and four more state stores. The right table is
     * partitioned, never copied; for a referenced table too large to copy to every partition.
     */
    KTABLE
  }

  private final String table;
  private final Map<String, String> columns;
  private final String alias;
  private final Predicate<Map<String, Object>> where;
  private final List<String> toastColumns;
  private final Strategy strategy;
  private final Duration waitFor;
  private final Duration catchUpWait;

  private ForeignKeyJoin(
      String table,
      Map<String, String> columns,
      String alias,
      Predicate<Map<String, Object>> where,
      List<String> toastColumns,
      Strategy strategy,
      Duration waitFor,
      Duration catchUpWait) {
    this.table = table;
    this.columns = columns;
    this.alias = alias;
    this.where = where;
    this.toastColumns = toastColumns;
    this.strategy = strategy;
    this.waitFor = waitFor;
    this.catchUpWait = catchUpWait;
  }

  /**
   * A join of the right table {@code table} on {@code columns}.
   *
   * @param table the right (referenced) table, e.g. {@code addresses} or {@code legacy.addresses}
   * @param columns left column to right column, in order, e.g. {@code {cust_no: cust_no}}; not
   *     empty
   * @param alias the name the mapper reads the joined row under, e.g. {@code customer}
   * @throws IllegalArgumentException when something is empty
   */
  public static ForeignKeyJoin of(String table, Map<String, String> columns, String alias) {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(columns, "columns");
    Objects.requireNonNull(alias, "alias");
    if (table.isBlank() || alias.isBlank() || columns.isEmpty()) {
      throw new IllegalArgumentException(
          "a foreign-key join needs a table, an alias and at least one column pair; got table '"
              + table
              + "', alias '"
              + alias
              + "', columns "
              + columns);
    }
    return new ForeignKeyJoin(
        table,
        Collections.unmodifiableMap(new LinkedHashMap<>(columns)),
        alias,
        row -> true,
        List.of(),
        Strategy.BROADCAST,
        Duration.ZERO,
        Duration.ZERO);
  }

  /**
   * A copy that joins only the right rows for which {@code filter} is true (e.g. billing
   * addresses); the others are treated as absent.
   *
   * @param filter reads a right row; may throw {@link MappingException}, which dead-letters that
   *     right row's change
   */
  public ForeignKeyJoin where(Predicate<Map<String, Object>> filter) {
    return new ForeignKeyJoin(
        table,
        columns,
        alias,
        Objects.requireNonNull(filter, "filter"),
        toastColumns,
        strategy,
        waitFor,
        catchUpWait);
  }

  /**
   * A copy that fills Debezium's unchanged-TOAST placeholder in these columns of the left table
   * with the column's last value, before the join. The join may collapse consecutive changes of one
   * left row (only the newest reaches the mapper), so a mapper could not fill them from the changes
   * it sees; here every change is seen, in order. A placeholder without a previous value
   * dead-letters the change naming the column.
   *
   * @param columns left-table columns that PostgreSQL may TOAST, e.g. {@code [lines_blob]}
   */
  public ForeignKeyJoin toast(List<String> columns) {
    return new ForeignKeyJoin(
        table, this.columns, alias, where, List.copyOf(columns), strategy, waitFor, catchUpWait);
  }

  /** A copy run the given way (default {@link Strategy#BROADCAST}). */
  public ForeignKeyJoin strategy(Strategy strategy) {
    return new ForeignKeyJoin(
        table,
        columns,
        alias,
        where,
        toastColumns,
        Objects.requireNonNull(strategy, "strategy"),
        waitFor,
        catchUpWait);
  }

  /**
   * A copy in which a left row whose referenced row is absent waits up to {@code wait} (wall-clock
   * time) for it before it is mapped with a null joined row ({@link Strategy#BROADCAST} only).
   * Without it (the default, zero) such a row is mapped at once and again when its row arrives, so
   * the target briefly holds it without the joined values: an order inserted in the same
   * transaction as its customer's address, which reaches the join later through the right side's
   * repartition topics; and, while catching up (a new service, a reset), every left row read before
   * its right row. With it the row is mapped once, joined, when its right row arrives in time; a
   * left row that references nothing (a null reference) or whose right row is there never waits. A
   * row changed again while it waits is mapped once, as its last change; a delete never waits.
   *
   * @param wait zero or positive, e.g. {@code Duration.ofSeconds(2)}
   */
  public ForeignKeyJoin waitFor(Duration wait) {
    Objects.requireNonNull(wait, "wait");
    if (wait.isNegative()) {
      throw new IllegalArgumentException("the wait of a join cannot be negative: " + wait);
    }
    return new ForeignKeyJoin(
        table, columns, alias, where, toastColumns, strategy, wait, catchUpWait);
  }

  /** How long a left row waits for an absent referenced row; zero: it does not wait. */
  public Duration waitFor() {
    return waitFor;
  }

  /**
   * A copy in which a waiting left row ({@link #waitFor}) waits longer, up to {@code max} in all,
   * while the right side is still catching up: right rows keep reaching the join (one within the
   * last tenth of {@code max}, or {@link #waitFor} if longer) and none of them was committed after
   * the left change. That is the case in an initial snapshot (whose rows are committed at no later
   * point; a left row of it waits until the right rows stop coming) and while a service reads a
   * backlog, when the right side runs its repartition topics behind the left side: its rows would
   * otherwise often come after the wait, and the left row would be mapped twice, first without
   * them. A left row streamed while the right side keeps up ends its wait after {@link #waitFor},
   * as without this, once a right row committed after it has arrived, or when none has arrived for
   * that tenth.
   *
   * @param max zero (the default: no longer wait) or at least {@link #waitFor}, e.g. {@code
   *     Duration.ofMinutes(2)}
   */
  public ForeignKeyJoin catchUpWait(Duration max) {
    Objects.requireNonNull(max, "max");
    if (max.isNegative()) {
      throw new IllegalArgumentException("the catch-up wait of a join cannot be negative: " + max);
    }
    return new ForeignKeyJoin(table, columns, alias, where, toastColumns, strategy, waitFor, max);
  }

  /** The longest a left row waits while the right side catches up; zero: {@link #waitFor} only. */
  public Duration catchUpWait() {
    return catchUpWait;
  }

  /** How the join runs. */
  public Strategy strategy() {
    return strategy;
  }

  /** The left-table columns whose unchanged-TOAST placeholders are filled before the join. */
  public List<String> toastColumns() {
    return toastColumns;
  }

  /** The right (referenced) table. */
  public String table() {
    return table;
  }

  /** Left column to right column, in order. */
  public Map<String, String> columns() {
    return columns;
  }

  /** The name of the joined row in {@link ChangeEvent#joined}. */
  public String alias() {
    return alias;
  }

  /**
   * The reference of a left row: the values of the left columns, by right column.
   *
   * @param leftRow a row of the left table (not a delete's, whose {@code before} holds only the
   *     key)
   * @return the reference; null when one of its values is null (the row references nothing)
   * @throws MappingException when a column is missing or an unchanged-TOAST placeholder
   */
  public Map<String, Object> referenceOf(Map<String, Object> leftRow, String leftTable) {
    Map<String, Object> reference = new LinkedHashMap<>();
    for (Map.Entry<String, String> c : columns.entrySet()) {
      Object value = value(leftRow, c.getKey(), leftTable);
      if (value == null) {
        return null;
      }
      reference.put(c.getValue(), value);
    }
    return reference;
  }

  /**
   * The reference a right row answers to: the values of its join columns, by right column.
   *
   * @return the reference; null when the row does not pass {@link #where} or a value is null
   * @throws MappingException when a column is missing or the filter fails
   */
  public Map<String, Object> referencedBy(Map<String, Object> rightRow) {
    if (!where.test(rightRow)) {
      return null;
    }
    Map<String, Object> reference = new LinkedHashMap<>();
    for (String column : columns.values()) {
      Object value = value(rightRow, column, table);
      if (value == null) {
        return null;
      }
      reference.put(column, value);
    }
    return reference;
  }

  /**
   * The left change with the referenced row joined under {@link #alias()}; its position is the
   * newer of the left change's and the right row's (a target row fed by several source rows takes
   * the newest of them).
   *
   * @param left a change of the left table
   * @param rightRow the referenced row; null when absent
   * @param rightPosition the position of the right row's last change; null when absent
   */
  public ChangeEvent join(
      ChangeEvent left, Map<String, Object> rightRow, SourcePosition rightPosition) {
    SourcePosition position =
        rightPosition != null && rightPosition.isNewerThan(left.position())
            ? rightPosition
            : left.position();
    return left.withJoined(alias, rightRow, position);
  }

  /**
   * Orders primary keys of the right table: column by column in the order of {@code a}, numbers as
   * numbers, anything else as text, null first. Among several right rows matching one reference,
   * the smallest key is joined.
   */
  public static int compareKeys(Map<String, Object> a, Map<String, Object> b) {
    List<String> names = List.copyOf(a.keySet());
    for (String name : names) {
      int c = compareValues(a.get(name), b.get(name));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  private static int compareValues(Object x, Object y) {
    if (x == null || y == null) {
      return x == null ? (y == null ? 0 : -1) : 1;
    }
    if (x instanceof Number nx && y instanceof Number ny) {
      return new BigDecimal(nx.toString()).compareTo(new BigDecimal(ny.toString()));
    }
    return x.toString().compareTo(y.toString());
  }

  private static Object value(Map<String, Object> row, String column, String table) {
    if (!row.containsKey(column)) {
      throw new MappingException(
          "join column '"
              + column
              + "' is missing from table '"
              + table
              + "' (the row has "
              + row.keySet()
              + ")");
    }
    Object value = row.get(column);
    if (ChangeEvent.isUnavailable(value)) {
      throw new MappingException(
          "join column '"
              + column
              + "' of table '"
              + table
              + "' holds Debezium's unchanged-TOAST placeholder");
    }
    return value;
  }

  @Override
  public String toString() {
    return "join of "
        + table
        + " on "
        + columns
        + " as "
        + alias
        + " ("
        + strategy.name().toLowerCase(java.util.Locale.ROOT)
        + ")";
  }
}
