package dev.carve.sink.internal;

import static dev.carve.sink.internal.PostgresDialect.CHANGE_LSN;
import static dev.carve.sink.internal.PostgresDialect.COMMIT_LSN;
import static dev.carve.sink.internal.PostgresDialect.UPDATED_AT;

import dev.carve.sink.DdlMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the target tables of one schema in step with the Avro schemas of the records written to
 * them: creates missing tables, adds columns for new fields, and stops with a message naming table
 * and column on an incompatible change ({@link DdlMode}). Each (table, key schema, value schema) is
 * checked against the catalog once; the cache is dropped whenever a transaction rolls back, since
 * DDL in PostgreSQL is transactional.
 */
public final class TargetTables {
  private static final Logger LOG = LoggerFactory.getLogger(TargetTables.class);
  private static final List<String> BOOKKEEPING = List.of(COMMIT_LSN, CHANGE_LSN, UPDATED_AT);

  private final String schema;
  private final DdlMode mode;
  private final Map<CacheKey, TableSpec> checked = new HashMap<>();
  private final Set<String> existing = new HashSet<>();

  /** Child table to its parent tables (foreign keys within the schema); null until read. */
  private Map<String, Set<String>> parents;

  private record CacheKey(String table, Schema key, Schema value) {}

  private record ExistingColumn(String type, boolean notNull, boolean fieldColumn) {}

  /** Creates the manager for one target schema. */
  public TargetTables(String schema, DdlMode mode) {
    this.schema = Objects.requireNonNull(schema, "schema");
    this.mode = Objects.requireNonNull(mode, "mode");
  }

  /** The target schema. */
  public String schema() {
    return schema;
  }

  /**
   * Creates the schema (mode create) and Carve's own tables ({@code carve_tombstones}, {@code
   * carve_failures}), which Carve creates in either mode.
   *
   * <p>Holds the schema's advisory lock ({@link PostgresDialect#schemaLockKey}) until the caller's
   * transaction ends: another sink preparing the same schema meanwhile (two services on one schema
   * started together, two instances of one service) waits and then finds everything there, instead
   * of failing on a unique violation of the catalog. Needs auto-commit off.
   *
   * @throws UnsupportedSchemaException in validate mode when the schema does not exist
   */
  public void prepare(Connection c) throws SQLException {
    try (PreparedStatement lock = c.prepareStatement(PostgresDialect.lockTable())) {
      lock.setLong(1, PostgresDialect.schemaLockKey(schema));
      lock.execute();
    }
    try (Statement s = c.createStatement()) {
      if (mode == DdlMode.CREATE) {
        s.execute(PostgresDialect.createSchema(schema));
      } else if (!schemaExists(c)) {
        throw new UnsupportedSchemaException(
            "Schema '" + schema + "' does not exist (ddl: validate creates nothing)");
      }
      s.execute(PostgresDialect.createTombstoneTable(schema));
      s.execute(PostgresDialect.createTombstoneIndex(schema));
      s.execute(PostgresDialect.createFailureTable(schema));
    }
  }

  private boolean schemaExists(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(PostgresDialect.schemaExists())) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Checks in validate mode that every table exists with the bookkeeping columns and a primary key;
   * the columns themselves are checked against the first record's schema.
   *
   * @throws UnsupportedSchemaException naming the table and what is missing
   */
  public void validateExist(Connection c, List<String> tables) throws SQLException {
    for (String table : tables) {
      Map<String, ExistingColumn> cols = describe(c, table);
      if (cols.isEmpty()) {
        throw new UnsupportedSchemaException(
            "Table " + name(table) + " does not exist (ddl: validate creates nothing)");
      }
      for (String b : BOOKKEEPING) {
        if (!cols.containsKey(b)) {
          throw new UnsupportedSchemaException(
              "Table " + name(table) + " has no bookkeeping column '" + b + "'");
        }
      }
      if (primaryKey(c, table).isEmpty()) {
        throw new UnsupportedSchemaException("Table " + name(table) + " has no primary key");
      }
    }
  }

  /**
   * The table to upsert records of these schemas into, created or evolved as the mode allows.
   *
   * @throws UnsupportedSchemaException naming table and column on an incompatible difference
   */
  public TableSpec forUpsert(Connection c, String table, Schema keySchema, Schema valueSchema)
      throws SQLException {
    CacheKey cacheKey = new CacheKey(table, keySchema, valueSchema);
    TableSpec known = checked.get(cacheKey);
    if (known != null) {
      return known;
    }
    TableSpec desired = AvroColumns.tableSpec(schema, table, keySchema, valueSchema);
    Map<String, ExistingColumn> cols = describe(c, table);
    if (cols.isEmpty()) {
      if (mode == DdlMode.VALIDATE) {
        throw new UnsupportedSchemaException(
            "Table " + name(table) + " does not exist (ddl: validate creates nothing)");
      }
      try (Statement s = c.createStatement()) {
        s.execute(PostgresDialect.createTable(desired));
        for (Column col : desired.valueColumns()) {
          s.execute(PostgresDialect.commentFieldColumn(schema, table, col.name()));
        }
      }
      LOG.info("Created table {} from schema {}", name(table), valueSchema.getFullName());
    } else {
      desired = reconcile(c, desired, cols);
    }
    existing.add(table);
    checked.put(cacheKey, desired);
    return desired;
  }

  /**
   * The table to delete from; {@code exists} says whether it exists yet (a delete can arrive before
   * any upsert of its table; it then only leaves a tombstone).
   */
  public DeleteTarget forDelete(Connection c, String table, Schema keySchema) throws SQLException {
    TableSpec keysOnly = AvroColumns.tableSpec(schema, table, keySchema, null);
    if (existing.contains(table)) {
      return new DeleteTarget(keysOnly, true);
    }
    boolean exists = !describe(c, table).isEmpty();
    if (exists) {
      existing.add(table);
    }
    return new DeleteTarget(keysOnly, exists);
  }

  /**
   * A table for deletes.
   *
   * @param spec the key columns
   * @param exists false when the table does not exist yet
   */
  public record DeleteTarget(TableSpec spec, boolean exists) {}

  /** Forgets what was checked (after a rollback, which also rolls back DDL). */
  public void invalidate() {
    checked.clear();
    existing.clear();
    parents = null;
  }

  /**
   * Orders tables so that a table comes after every table it references by a foreign key within the
   * schema, also through tables not in {@code tables} (parents first: the order to write upserts
   * in; reversed, the order to delete in). Tables without foreign keys keep their order. The
   * foreign keys are read from the catalog once, and again after {@link #invalidate()}. Among the
   * tables of a cycle of foreign keys the order is arbitrary (such keys must be deferrable to be
   * written at all).
   */
  public List<String> parentsFirst(Connection c, Collection<String> tables) throws SQLException {
    if (parents == null) {
      parents = foreignKeys(c);
    }
    if (parents.isEmpty() || tables.size() < 2) {
      return List.copyOf(tables);
    }
    List<String> ordered = new ArrayList<>();
    Set<String> visiting = new HashSet<>();
    Set<String> done = new HashSet<>();
    for (String table : tables) {
      visit(table, visiting, done, ordered);
    }
    Set<String> wanted = new HashSet<>(tables);
    return ordered.stream().filter(wanted::contains).toList();
  }

  private void visit(String table, Set<String> visiting, Set<String> done, List<String> out) {
    if (done.contains(table) || !visiting.add(table)) {
      return;
    }
    for (String parent : parents.getOrDefault(table, Set.of())) {
      visit(parent, visiting, done, out);
    }
    visiting.remove(table);
    done.add(table);
    out.add(table);
  }

  private Map<String, Set<String>> foreignKeys(Connection c) throws SQLException {
    Map<String, Set<String>> edges = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(PostgresDialect.describeForeignKeys())) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          edges.computeIfAbsent(rs.getString(1), t -> new LinkedHashSet<>()).add(rs.getString(2));
        }
      }
    }
    if (!edges.isEmpty()) {
      LOG.info(
          "Foreign keys between target tables of schema '{}' (child -> parents): {}; upserts are"
              + " written parents first, deletes children first",
          schema,
          edges);
    }
    return edges;
  }

  /** Evolves the table towards {@code desired}; returns it with the columns its upserts clear. */
  private TableSpec reconcile(Connection c, TableSpec desired, Map<String, ExistingColumn> cols)
      throws SQLException {
    String table = desired.table();
    Set<String> pk = primaryKey(c, table);
    Set<String> wantedPk = new HashSet<>();
    desired.keyColumns().forEach(k -> wantedPk.add(k.name()));
    if (!pk.equals(wantedPk)) {
      throw new UnsupportedSchemaException(
          "Table "
              + name(table)
              + " has primary key "
              + pk
              + " but the key schema says "
              + wantedPk);
    }
    List<String> ddl = new ArrayList<>();
    Set<String> wanted = new HashSet<>();
    for (Column col : desired.allColumns()) {
      wanted.add(col.name());
      ExistingColumn e = cols.get(col.name());
      if (e == null) {
        requireCreate(table, col.name(), "is missing (the schema has field '" + col.name() + "')");
        ddl.add(PostgresDialect.addColumn(schema, table, col));
        ddl.add(PostgresDialect.commentFieldColumn(schema, table, col.name()));
      } else if (!e.type().equals(col.sqlType())) {
        throw new UnsupportedSchemaException(
            "Table "
                + name(table)
                + " column '"
                + col.name()
                + "' has type "
                + e.type()
                + " but the schema needs "
                + col.sqlType()
                + " (an incompatible change; migrate the column or replay into a new schema)");
      } else if (e.notNull() && col.nullable()) {
        requireCreate(table, col.name(), "is NOT NULL but the field is optional");
        ddl.add(PostgresDialect.dropNotNull(schema, table, col.name()));
      }
    }
    List<String> cleared = new ArrayList<>();
    for (Map.Entry<String, ExistingColumn> e : cols.entrySet()) {
      String column = e.getKey();
      if (BOOKKEEPING.contains(column)) {
        continue;
      }
      if (!wanted.contains(column) && e.getValue().notNull()) {
        requireCreate(table, column, "is NOT NULL but the schema has no such field");
        ddl.add(PostgresDialect.dropNotNull(schema, table, column));
      }
      if (!wanted.contains(column) && e.getValue().fieldColumn()) {
        // A field removed from the schema: the row must hold what its latest record says (NULL),
        // as a replay of the compacted topic builds it, not the last value of an older record.
        cleared.add(column);
      }
    }
    if (!cleared.isEmpty()) {
      LOG.info(
          "Table {}: upserts of schema versions without field(s) {} set their column(s) to NULL",
          name(table),
          cleared);
    }
    for (String b : BOOKKEEPING) {
      if (!cols.containsKey(b)) {
        requireCreate(table, b, "(bookkeeping) is missing");
        ddl.add(PostgresDialect.addPositionColumn(schema, table, b));
      }
    }
    if (!ddl.isEmpty()) {
      try (Statement s = c.createStatement()) {
        for (String sql : ddl) {
          s.execute(sql);
        }
      }
      LOG.info("Evolved table {}: {} change(s)", name(table), ddl.size());
    }
    return cleared.isEmpty() ? desired : desired.clearing(cleared);
  }

  private void requireCreate(String table, String column, String problem) {
    if (mode == DdlMode.VALIDATE) {
      throw new UnsupportedSchemaException(
          "Table " + name(table) + " column '" + column + "' " + problem + " (ddl: validate)");
    }
  }

  private Map<String, ExistingColumn> describe(Connection c, String table) throws SQLException {
    Map<String, ExistingColumn> cols = new LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement(PostgresDialect.describeColumns())) {
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          cols.put(
              rs.getString(1),
              new ExistingColumn(
                  rs.getString(2),
                  rs.getBoolean(3),
                  PostgresDialect.FIELD_COLUMN_COMMENT.equals(rs.getString(4))));
        }
      }
    }
    return cols;
  }

  private Set<String> primaryKey(Connection c, String table) throws SQLException {
    Set<String> pk = new HashSet<>();
    try (PreparedStatement ps = c.prepareStatement(PostgresDialect.describePrimaryKey())) {
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          pk.add(rs.getString(1));
        }
      }
    }
    return pk;
  }

  private String name(String table) {
    return PostgresDialect.qualified(schema, table);
  }
}
