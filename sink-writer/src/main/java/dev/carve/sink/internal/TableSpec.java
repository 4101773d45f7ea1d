package dev.carve.sink.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The shape of one target table: its schema, name, primary-key columns and the other columns. The
 * bookkeeping columns ({@code carve_commit_lsn}, {@code carve_change_lsn}, {@code
 * carve_updated_at}) are implied and never listed here.
 *
 * @param schema the PostgreSQL schema, unquoted
 * @param table the table name, unquoted
 * @param keyColumns the primary-key columns, in key-schema order; never empty
 * @param valueColumns the other columns, in value-schema order
 * @param clearedColumns columns an upsert sets to NULL: Carve created them for fields the value
 *     schema no longer has
 */
public record TableSpec(
    String schema,
    String table,
    List<Column> keyColumns,
    List<Column> valueColumns,
    List<String> clearedColumns) {

  /** Copies the lists and checks that there is a key. */
  public TableSpec {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(table, "table");
    keyColumns = List.copyOf(keyColumns);
    valueColumns = List.copyOf(valueColumns);
    clearedColumns = List.copyOf(clearedColumns);
    if (keyColumns.isEmpty()) {
      throw new IllegalArgumentException(
          "Table '" + schema + "." + table + "' needs at least one primary-key column");
    }
  }

  /** A table whose upserts clear no column. */
  public TableSpec(
      String schema, String table, List<Column> keyColumns, List<Column> valueColumns) {
    this(schema, table, keyColumns, valueColumns, List.of());
  }

  /**
   * The same table whose upserts also set these columns to NULL: columns Carve created for fields
   * the schema no longer has, so a row holds what its latest record says, as a replay would build
   * it.
   */
  public TableSpec clearing(List<String> columns) {
    return new TableSpec(schema, table, keyColumns, valueColumns, columns);
  }

  /** Key columns first, then value columns. */
  public List<Column> allColumns() {
    List<Column> all = new ArrayList<>(keyColumns);
    all.addAll(valueColumns);
    return all;
  }

  /** The same table in another schema (used by replay's shadow schema). */
  public TableSpec inSchema(String otherSchema) {
    return new TableSpec(otherSchema, table, keyColumns, valueColumns, clearedColumns);
  }
}
