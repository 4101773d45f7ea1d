package dev.carve.sink.internal;

import dev.carve.core.SourcePosition;
import dev.carve.sink.internal.TargetTables.DeleteTarget;
import java.io.IOException;
import java.io.StringReader;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.DateTimeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.postgresql.PGConnection;

/**
 * Writes a batch of decoded records into the target tables inside the caller's transaction, with
 * the ordering guard of {@link PostgresDialect#upsert} and {@link PostgresDialect#delete}.
 *
 * <p>Within a batch, records of one table are collapsed to the newest operation per key (newest
 * position; on a tie the record the guard would keep, see {@link #newer}): since the guard makes
 * applying an older change after a newer one a no-op, this is equivalent to applying them all in
 * order, and it keeps upserts and deletes of one statement on disjoint keys. Each statement runs
 * under a savepoint; when one fails because of the values of its rows (a data exception or an
 * integrity violation, {@link SqlErrors.Kind#RECORD}), its records are retried one by one to
 * isolate those that can never be written, which are returned as failures while the rest of the
 * batch is written. A transient error is thrown as it is (the caller retries the batch); any other
 * error (a missing privilege or table, say) would fail every row alike and is thrown as a {@link
 * FatalWriteException} naming the table and SQLState, so nothing is dead-lettered for it.
 *
 * <p>Carve creates no foreign keys between target tables: each entity arrives on its own topic and
 * partitions with its own order, so a child may legitimately arrive before its parent; the store is
 * consistent once the sink has caught up, as the source was. When the service's own DDL has foreign
 * keys between its tables, a batch writes upserts parents first and deletes children first ({@link
 * TargetTables#parentsFirst}).
 */
public final class BatchWriter {
  /**
   * From this many upserts of one table in a batch (and no tombstones in the table), keys not yet
   * in the table are COPYed (see {@link #copyNewThenUpsert}); below it the probe and the COPY cost
   * more round trips than they save. Measured with bench/run SinkBenchmark.
   */
  static final int COPY_MIN_ROWS = 64;

  private final TargetTables tables;

  private final int copyMinRows;

  /** Creates a writer for the tables of one schema. */
  public BatchWriter(TargetTables tables) {
    this(tables, COPY_MIN_ROWS);
  }

  /** A writer that COPYs new keys from {@code copyMinRows} upserts of a table (tests). */
  BatchWriter(TargetTables tables, int copyMinRows) {
    this.tables = Objects.requireNonNull(tables, "tables");
    this.copyMinRows = copyMinRows;
  }

  /** The tables this writer keeps in step. */
  public TargetTables tables() {
    return tables;
  }

  /**
   * Per-table outcome counts.
   *
   * @param upserted rows inserted or updated
   * @param deleted deletes applied (row removed or tombstone written or advanced)
   * @param skipped records older than the stored row or tombstone (and collapsed duplicates)
   */
  public record Counts(long upserted, long deleted, long skipped) {
    Counts plus(Counts o) {
      return new Counts(upserted + o.upserted, deleted + o.deleted, skipped + o.skipped);
    }
  }

  /**
   * A record that could not be written.
   *
   * @param record the record
   * @param error why
   */
  public record Failure(ChangeRecord record, Exception error) {}

  /**
   * What a batch did.
   *
   * @param counts per table
   * @param failures records that can never be written (already rolled back to their savepoint)
   */
  public record Outcome(Map<String, Counts> counts, List<Failure> failures) {}

  /**
   * A database error that is neither transient nor caused by the rows being written: the batch
   * cannot be written as long as it lasts, so the sink stops before committing offsets. The message
   * names the table and the SQLState; the SQLState is the cause's.
   */
  public static final class FatalWriteException extends SQLException {
    private static final long serialVersionUID = 1L;

    FatalWriteException(String message, SQLException cause) {
      super(message, cause.getSQLState(), cause);
    }
  }

  /**
   * Writes the records in the caller's transaction (auto-commit off); the caller commits.
   *
   * @throws SQLException on a transient error (the caller rolls back and retries the batch)
   * @throws FatalWriteException on an error that is neither transient nor the rows' own (fatal)
   * @throws UnsupportedSchemaException when a schema cannot be written to its table (fatal)
   */
  public Outcome write(Connection c, List<ChangeRecord> records) throws SQLException {
    Map<String, Map<List<Object>, ChangeRecord>> byTable = new LinkedHashMap<>();
    Map<String, Integer> received = new LinkedHashMap<>();
    for (ChangeRecord r : records) {
      Map<List<Object>, ChangeRecord> newest =
          byTable.computeIfAbsent(r.table(), t -> new LinkedHashMap<>());
      newest.merge(keyIdentity(r.key()), r, BatchWriter::newer);
      received.merge(r.table(), 1, Integer::sum);
    }
    Map<String, Counts> counts = new LinkedHashMap<>();
    Map<String, Map<Group, List<ChangeRecord>>> groupsByTable = new LinkedHashMap<>();
    for (Map.Entry<String, Map<List<Object>, ChangeRecord>> e : byTable.entrySet()) {
      String table = e.getKey();
      counts.put(table, new Counts(0, 0, received.get(table) - e.getValue().size()));
      Map<Group, List<ChangeRecord>> groups = new LinkedHashMap<>();
      for (ChangeRecord r : e.getValue().values()) {
        Schema valueSchema = r.isDelete() ? null : r.value().getSchema();
        groups
            .computeIfAbsent(
                new Group(r.key().getSchema(), valueSchema, r.isDelete(), r.repair()),
                g -> new ArrayList<>())
            .add(r);
      }
      groupsByTable.put(table, groups);
    }
    lockTables(c, byTable.keySet());
    // Every key has one operation in the batch, so upserts and deletes touch disjoint rows and may
    // be split into two passes: upserts parents first, then deletes children first, which is what
    // foreign keys between target tables (owned by the service's DDL) need within a batch.
    List<String> parentsFirst = tables.parentsFirst(c, byTable.keySet());
    List<Failure> failures = new ArrayList<>();
    for (String table : parentsFirst) {
      Map<Group, List<ChangeRecord>> upserts = only(groupsByTable.get(table), false);
      if (!upserts.isEmpty()) {
        boolean tombstones;
        try {
          tombstones = hasTombstones(c, table);
        } catch (SQLException e) {
          throw unlessTransient(e, table);
        }
        for (Map.Entry<Group, List<ChangeRecord>> g : upserts.entrySet()) {
          counts.merge(
              table,
              writeGroup(c, table, g.getKey(), g.getValue(), tombstones, failures),
              Counts::plus);
        }
      }
    }
    List<String> childrenFirst = new ArrayList<>(parentsFirst);
    Collections.reverse(childrenFirst);
    for (String table : childrenFirst) {
      for (Map.Entry<Group, List<ChangeRecord>> g :
          only(groupsByTable.get(table), true).entrySet()) {
        counts.merge(
            table, writeGroup(c, table, g.getKey(), g.getValue(), true, failures), Counts::plus);
      }
    }
    return new Outcome(counts, failures);
  }

  private static Map<Group, List<ChangeRecord>> only(
      Map<Group, List<ChangeRecord>> groups, boolean deletes) {
    Map<Group, List<ChangeRecord>> selected = new LinkedHashMap<>();
    groups.forEach(
        (g, rows) -> {
          if (g.delete() == deletes) {
            selected.put(g, rows);
          }
        });
    return selected;
  }

  private record Group(Schema keySchema, Schema valueSchema, boolean delete, boolean repair) {}

  /**
   * Takes the write lock of every table of the batch ({@link PostgresDialect#lockTable}) until the
   * transaction ends, in the order of their lock keys so that two writers of overlapping tables
   * cannot deadlock. Under READ COMMITTED each statement sees a new snapshot: without the lock, a
   * second writer of the table (a zombie instance whose partitions moved on, a failure-log retry)
   * could commit a delete between this writer's tombstone check and its upsert, and the upsert,
   * written without the tombstone part (or checking a snapshot older than the delete), would bring
   * the row back.
   */
  private void lockTables(Connection c, Collection<String> tableNames) throws SQLException {
    Map<Long, String> byKey = new TreeMap<>();
    for (String table : tableNames) {
      byKey.put(PostgresDialect.tableLockKey(tables.schema(), table), table);
    }
    try (PreparedStatement ps = c.prepareStatement(PostgresDialect.lockTable())) {
      for (Map.Entry<Long, String> e : byKey.entrySet()) {
        ps.setLong(1, e.getKey());
        try {
          ps.execute();
        } catch (SQLException ex) {
          throw unlessTransient(ex, e.getValue());
        }
      }
    }
  }

  /**
   * Whether the table has tombstones. Without any, upserts skip the tombstone parts of the guard;
   * the check runs in the batch's transaction, right before the statements that rely on it and
   * under the table's write lock ({@link #lockTables}), so no other writer adds one in between.
   */
  private boolean hasTombstones(Connection c, String table) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(PostgresDialect.hasTombstones(tables.schema()))) {
      ps.setString(1, table);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  private Counts writeGroup(
      Connection c,
      String table,
      Group group,
      List<ChangeRecord> rows,
      boolean tombstones,
      List<Failure> failures)
      throws SQLException {
    Statement statement;
    try {
      statement = prepare(c, table, group, tombstones);
    } catch (SQLException ex) {
      throw unlessTransient(ex, table);
    }
    int applied;
    Savepoint sp = c.setSavepoint();
    try {
      applied = statement.execute(c, rows);
      c.releaseSavepoint(sp);
    } catch (SQLException ex) {
      if (SqlErrors.classify(ex) != SqlErrors.Kind.RECORD) {
        throw unlessTransient(ex, table);
      }
      c.rollback(sp);
      applied = 0;
      for (ChangeRecord row : rows) {
        Savepoint one = c.setSavepoint();
        try {
          applied += statement.execute(c, List.of(row));
          c.releaseSavepoint(one);
        } catch (SQLException rowError) {
          if (SqlErrors.classify(rowError) != SqlErrors.Kind.RECORD) {
            throw unlessTransient(rowError, table);
          }
          c.rollback(one);
          failures.add(new Failure(row, rowError));
        }
      }
    }
    int failed = (int) failures.stream().filter(f -> rows.contains(f.record())).count();
    long skipped = rows.size() - failed - applied;
    return group.delete() ? new Counts(0, applied, skipped) : new Counts(applied, 0, skipped);
  }

  /**
   * The error to throw for one that is not the rows' own: a transient error as it is (the batch is
   * retried), anything else as a {@link FatalWriteException} naming the table.
   */
  private SQLException unlessTransient(SQLException e, String table) {
    if (e instanceof FatalWriteException || SqlErrors.isTransient(e)) {
      return e;
    }
    return new FatalWriteException(
        "Cannot write table "
            + PostgresDialect.qualified(tables.schema(), table)
            + " (SQLState "
            + e.getSQLState()
            + "): "
            + e.getMessage(),
        e);
  }

  /** A prepared guarded statement for one group of rows of one table. */
  private interface Statement {
    int execute(Connection c, List<ChangeRecord> rows) throws SQLException;
  }

  private Statement prepare(Connection c, String table, Group group, boolean tombstones)
      throws SQLException {
    if (group.delete()) {
      DeleteTarget target = tables.forDelete(c, table, group.keySchema());
      String sql =
          target.exists()
              ? PostgresDialect.delete(target.spec(), group.repair())
              : PostgresDialect.tombstoneOnly(target.spec(), group.repair());
      return (conn, rows) -> run(conn, sql, target.spec(), rows, true, true);
    }
    TableSpec spec = tables.forUpsert(c, table, group.keySchema(), group.valueSchema());
    String sql = PostgresDialect.upsert(spec, group.repair(), tombstones);
    Statement guarded = (conn, rows) -> run(conn, sql, spec, rows, false, tombstones);
    if (tombstones) {
      return guarded;
    }
    return (conn, rows) ->
        rows.size() < copyMinRows
            ? guarded.execute(conn, rows)
            : copyNewThenUpsert(conn, spec, rows, guarded);
  }

  private static int run(
      Connection c,
      String sql,
      TableSpec spec,
      List<ChangeRecord> rows,
      boolean delete,
      boolean tombstones)
      throws SQLException {
    List<Column> columns = delete ? spec.keyColumns() : spec.allColumns();
    int n = rows.size();
    List<Array> arrays = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int p = 1;
      if (tombstones) {
        for (Column k : spec.keyColumns()) {
          ps.setString(p++, k.name());
        }
      }
      for (Column col : columns) {
        Array a = c.createArrayOf("text", texts(spec, col, rows));
        arrays.add(a);
        ps.setArray(p++, a);
      }
      Long[] commit = new Long[n];
      Long[] change = new Long[n];
      for (int i = 0; i < n; i++) {
        commit[i] = rows.get(i).position().commitLsn();
        change[i] = rows.get(i).position().changeLsn();
      }
      Array commitArray = c.createArrayOf("int8", commit);
      Array changeArray = c.createArrayOf("int8", change);
      arrays.add(commitArray);
      arrays.add(changeArray);
      ps.setArray(p++, commitArray);
      ps.setArray(p++, changeArray);
      if (tombstones) {
        ps.setString(p++, spec.table());
        if (!delete) {
          ps.setString(p, spec.table());
        }
      }
      return ps.executeUpdate();
    } finally {
      for (Array a : arrays) {
        a.free();
      }
    }
  }

  /**
   * The text of one column for every row (null where the row's schema lacks the field).
   *
   * @throws UnconvertibleValueException when a row's value has no text for the column: thrown
   *     before the statement runs, and as a class 22 error it makes {@link #writeGroup} write the
   *     rows one by one and dead-letter that row alone
   */
  private static String[] texts(TableSpec spec, Column col, List<ChangeRecord> rows)
      throws UnconvertibleValueException {
    // All rows of a statement share the key and value schemas: look the field up once.
    boolean keyColumn = spec.keyColumns().contains(col);
    ChangeRecord first = rows.get(0);
    Schema.Field field = (keyColumn ? first.key() : first.value()).getSchema().getField(col.name());
    String[] texts = new String[rows.size()];
    if (field != null) {
      int pos = field.pos();
      Schema fieldSchema = field.schema();
      for (int i = 0; i < texts.length; i++) {
        ChangeRecord r = rows.get(i);
        GenericRecord source = keyColumn ? r.key() : r.value();
        try {
          texts[i] = AvroColumns.toText(source.get(pos), fieldSchema);
        } catch (DateTimeException
            | ArithmeticException
            | IllegalArgumentException
            | ClassCastException e) {
          throw new UnconvertibleValueException(
              "Cannot convert the value of column "
                  + PostgresDialect.quoteIdentifier(col.name())
                  + " ("
                  + col.sqlType()
                  + ") of table "
                  + PostgresDialect.qualified(spec.schema(), spec.table())
                  + " in record "
                  + r.where()
                  + ": "
                  + e.getMessage(),
              e);
        }
      }
    }
    return texts;
  }

  /**
   * Upserts a group of a table without tombstones: rows whose key is not in the table yet are
   * COPYed straight into it (PostgreSQL writes them as a multi-row insert, without the speculative
   * insertion of {@code ON CONFLICT}), the others go through the guarded statement. For a key that
   * is not in the table and has no tombstone the guard has nothing to compare, so an insert is what
   * the guarded statement would do. If the COPY fails for a reason other than a transient error (a
   * key written concurrently since the probe, a value COPY refuses), it is rolled back to its
   * savepoint and those rows take the guarded path too, which decides and isolates as always.
   */
  private static int copyNewThenUpsert(
      Connection c, TableSpec spec, List<ChangeRecord> rows, Statement guarded)
      throws SQLException {
    List<ChangeRecord> fresh = new ArrayList<>();
    List<ChangeRecord> known = new ArrayList<>();
    String now = probe(c, spec, rows, fresh, known);
    int applied = 0;
    if (!fresh.isEmpty()) {
      Savepoint sp = c.setSavepoint();
      try {
        applied += (int) copy(c, spec, fresh, now);
        c.releaseSavepoint(sp);
      } catch (SQLException e) {
        if (SqlErrors.isTransient(e)) {
          throw e;
        }
        c.rollback(sp);
        known.addAll(fresh);
      }
    }
    if (!known.isEmpty()) {
      applied += guarded.execute(c, known);
    }
    return applied;
  }

  /** Splits rows into those whose key is not in the table and the others; returns now(). */
  private static String probe(
      Connection c,
      TableSpec spec,
      List<ChangeRecord> rows,
      List<ChangeRecord> fresh,
      List<ChangeRecord> known)
      throws SQLException {
    List<Array> arrays = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(PostgresDialect.existingKeys(spec))) {
      int p = 1;
      for (Column k : spec.keyColumns()) {
        Array a = c.createArrayOf("text", texts(spec, k, rows));
        arrays.add(a);
        ps.setArray(p++, a);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        boolean[] exists = new boolean[rows.size()];
        Array ordinals = rs.getArray(1);
        for (Object o : (Object[]) ordinals.getArray()) {
          exists[((Number) o).intValue() - 1] = true;
        }
        ordinals.free();
        for (int i = 0; i < exists.length; i++) {
          (exists[i] ? known : fresh).add(rows.get(i));
        }
        return rs.getString(2);
      }
    } finally {
      for (Array a : arrays) {
        a.free();
      }
    }
  }

  /** COPYs rows into the table in CSV; returns the number of rows written. */
  private static long copy(Connection c, TableSpec spec, List<ChangeRecord> rows, String now)
      throws SQLException {
    List<Column> columns = spec.allColumns();
    List<String[]> texts = new ArrayList<>(columns.size());
    for (Column col : columns) {
      texts.add(texts(spec, col, rows));
    }
    StringBuilder csv = new StringBuilder(rows.size() * 32 * (columns.size() + 3));
    for (int i = 0; i < rows.size(); i++) {
      for (String[] column : texts) {
        appendCsv(csv, column[i]);
        csv.append(',');
      }
      SourcePosition position = rows.get(i).position();
      csv.append(position.commitLsn()).append(',').append(position.changeLsn()).append(',');
      appendCsv(csv, now);
      csv.append('\n');
    }
    try {
      return c.unwrap(PGConnection.class)
          .getCopyAPI()
          .copyIn(PostgresDialect.copyIn(spec), new StringReader(csv.toString()));
    } catch (IOException e) {
      throw new SQLException("Cannot stream rows to COPY into " + spec.table() + ": " + e, e);
    }
  }

  /** CSV: null is an empty unquoted field; anything that could be misread is quoted. */
  private static void appendCsv(StringBuilder csv, String text) {
    if (text == null) {
      return;
    }
    if (text.isEmpty()
        || text.indexOf(',') >= 0
        || text.indexOf('"') >= 0
        || text.indexOf('\n') >= 0
        || text.indexOf('\r') >= 0
        || text.indexOf('\\') >= 0) {
      csv.append('"').append(text.replace("\"", "\"\"")).append('"');
    } else {
      csv.append(text);
    }
  }

  /** The identity of a key within a batch: its field values (cheaper than rendering it). */
  private static List<Object> keyIdentity(GenericRecord key) {
    int fields = key.getSchema().getFields().size();
    Object[] values = new Object[fields + 1];
    for (int f = 0; f < fields; f++) {
      Object v = key.get(f);
      values[f] = v instanceof CharSequence cs ? cs.toString() : v;
    }
    values[fields] = key.getSchema().getFullName();
    return Arrays.asList(values);
  }

  /**
   * The record that wins within one batch, {@code a} read before {@code b}. The rule is the guard's
   * across batches ({@link PostgresDialect#upsert}, {@link PostgresDialect#delete}), so that
   * collapsing a batch equals applying its records in order wherever a poll cut it: the newer
   * position wins; on a tie a repair wins; between two repairs the later one wins ({@code <=});
   * between a delete and an upsert the upsert wins, in either order (a tombstone does not block an
   * upsert at its own position, and a delete does not remove a row at its own); the later of two
   * upserts at the snapshot position (0, 0) wins; otherwise the earlier record stays, as a stored
   * row stays against a later record at an equal position.
   */
  static ChangeRecord newer(ChangeRecord a, ChangeRecord b) {
    int cmp = a.position().compareTo(b.position());
    if (cmp != 0) {
      return cmp > 0 ? a : b;
    }
    if (a.repair() != b.repair()) {
      return a.repair() ? a : b;
    }
    if (a.repair()) {
      return b;
    }
    if (a.isDelete() != b.isDelete()) {
      // Against a delete an upsert wins a tie, whichever came first (see PostgresDialect.upsert).
      return a.isDelete() ? b : a;
    }
    if (a.position().equals(SourcePosition.SNAPSHOT) && !a.isDelete()) {
      return b;
    }
    return a;
  }
}
