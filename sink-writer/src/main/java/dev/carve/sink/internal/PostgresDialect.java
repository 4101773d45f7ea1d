package dev.carve.sink.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.StringJoiner;
import java.util.function.Function;

/**
 * Owns every SQL statement the sink sends to PostgreSQL. Identifiers always pass through {@link
 * #quoteIdentifier}; values are always bound as parameters (the few statements that take a table
 * name or key column names as data bind them too).
 *
 * <p>Batches are written with one statement per table and operation whose input is a set of
 * parallel arrays unpacked by {@code unnest(...)}: the statement text depends only on the table, so
 * PostgreSQL prepares it once, and a batch of any size binds a fixed number of parameters (a
 * multi-row {@code VALUES} list binds rows × columns parameters and hits the 32767 limit at a few
 * thousand rows of a wide table). Values travel as {@code text[]} and are cast to the column type
 * in SQL, so every Avro type maps through one encoder ({@link AvroColumns#toText}).
 */
public final class PostgresDialect {
  /** Bookkeeping column: commit LSN of the change the row was written from. */
  public static final String COMMIT_LSN = "carve_commit_lsn";

  /** Bookkeeping column: LSN of the change itself. */
  public static final String CHANGE_LSN = "carve_change_lsn";

  /** Bookkeeping column: when the sink last wrote the row. */
  public static final String UPDATED_AT = "carve_updated_at";

  /** The per-schema table of delete positions. */
  public static final String TOMBSTONES = "carve_tombstones";

  /** The per-schema failure log. */
  public static final String FAILURES = "carve_failures";

  private PostgresDialect() {}

  /**
   * Quotes an identifier for PostgreSQL: wraps it in double quotes and doubles embedded quotes, so
   * any text (spaces, semicolons, quotes, upper case) names exactly that object.
   *
   * @throws IllegalArgumentException for an empty name or one containing a NUL character
   */
  public static String quoteIdentifier(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("An SQL identifier must not be empty");
    }
    if (name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("An SQL identifier must not contain NUL: '" + name + "'");
    }
    return dev.carve.core.SqlIdentifiers.quote(name);
  }

  /** {@code "schema"."name"}. */
  public static String qualified(String schema, String name) {
    return quoteIdentifier(schema) + "." + quoteIdentifier(name);
  }

  // ---------------------------------------------------------------- DDL

  /** PostgreSQL's longest identifier in bytes; longer names are silently cut to it. */
  static final int MAX_IDENTIFIER_BYTES = 63;

  /**
   * The name of a scratch schema of one service next to {@code schema}: {@code
   * <schema>__<purpose>__<service>} (replay's {@code shadow} and {@code replaced}), so that
   * services sharing a schema never share, drop or swap each other's scratch schema. PostgreSQL
   * would cut a name longer than 63 bytes, and two services could end up with one schema, so such a
   * name is cut here and ends with a hash of the full name instead.
   */
  public static String scratchSchema(String schema, String purpose, String service) {
    String name = schema + "__" + purpose + "__" + service;
    if (name.getBytes(StandardCharsets.UTF_8).length <= MAX_IDENTIFIER_BYTES) {
      return name;
    }
    String hash;
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
      hash = HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
    int budget = MAX_IDENTIFIER_BYTES - hash.length() - 1;
    StringBuilder cut = new StringBuilder();
    int bytes = 0;
    for (int i = 0; i < name.length(); ) {
      int cp = name.codePointAt(i);
      int size = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
      if (bytes + size > budget) {
        break;
      }
      cut.appendCodePoint(cp);
      bytes += size;
      i += Character.charCount(cp);
    }
    return cut + "_" + hash;
  }

  /** Creates the schema when missing. */
  public static String createSchema(String schema) {
    return "CREATE SCHEMA IF NOT EXISTS " + quoteIdentifier(schema);
  }

  /** Drops a schema with everything in it (replay's old or abandoned shadow schema). */
  public static String dropSchema(String schema) {
    return "DROP SCHEMA IF EXISTS " + quoteIdentifier(schema) + " CASCADE";
  }

  /**
   * Sets {@code lock_timeout} for the rest of the transaction ({@code SET LOCAL}, which takes no
   * parameter); binds the timeout as text, e.g. {@code 5000ms}.
   */
  public static String setLocalLockTimeout() {
    return "SELECT set_config('lock_timeout', ?, true)";
  }

  /** Moves a table to another schema (replay's swap); indexes and owned sequences move with it. */
  public static String moveTable(String schema, String table, String toSchema) {
    return "ALTER TABLE " + qualified(schema, table) + " SET SCHEMA " + quoteIdentifier(toSchema);
  }

  /**
   * Drops tables of one schema in one statement, refusing when other objects (views, foreign keys
   * of tables not dropped) depend on them. Foreign keys between the dropped tables do not block it,
   * whatever their order.
   */
  public static String dropTablesRestrict(String schema, List<String> tables) {
    StringJoiner j = new StringJoiner(", ");
    tables.forEach(t -> j.add(qualified(schema, t)));
    return "DROP TABLE " + j + " RESTRICT";
  }

  /** Drops an empty schema, refusing when anything is left in it. */
  public static String dropSchemaRestrict(String schema) {
    return "DROP SCHEMA " + quoteIdentifier(schema) + " RESTRICT";
  }

  /**
   * Sets the session's time zone to UTC, so that a {@code timestamptz} key column renders into the
   * tombstone key ({@code jsonb}) alike on every connection, whatever the JVM's default zone (which
   * pgjdbc sends as the session's zone).
   */
  public static String pinTimeZone() {
    return "SET TIME ZONE 'UTC'";
  }

  /** Whether a schema exists; binds the schema name. */
  public static String schemaExists() {
    return "SELECT 1 FROM pg_namespace WHERE nspname = ?";
  }

  /** Creates a target table with its primary key and the bookkeeping columns. */
  public static String createTable(TableSpec spec) {
    StringJoiner cols = new StringJoiner(", ");
    for (Column c : spec.allColumns()) {
      cols.add(columnDefinition(c));
    }
    cols.add(quoteIdentifier(COMMIT_LSN) + " bigint NOT NULL");
    cols.add(quoteIdentifier(CHANGE_LSN) + " bigint NOT NULL");
    cols.add(quoteIdentifier(UPDATED_AT) + " timestamp with time zone NOT NULL DEFAULT now()");
    cols.add("PRIMARY KEY (" + names(spec.keyColumns(), c -> quoteIdentifier(c.name())) + ")");
    return "CREATE TABLE IF NOT EXISTS "
        + qualified(spec.schema(), spec.table())
        + " ("
        + cols
        + ")";
  }

  private static String columnDefinition(Column c) {
    return quoteIdentifier(c.name()) + " " + c.sqlType() + (c.nullable() ? "" : " NOT NULL");
  }

  /**
   * The comment Carve puts on each column it creates for an Avro field: an upsert whose schema no
   * longer has the field sets the column to NULL (a column a team added by hand has none, and is
   * left alone).
   */
  public static final String FIELD_COLUMN_COMMENT =
      "carve: Avro field; set to NULL when the field leaves the schema";

  /** Marks a column as created by Carve for an Avro field ({@link #FIELD_COLUMN_COMMENT}). */
  public static String commentFieldColumn(String schema, String table, String column) {
    return "COMMENT ON COLUMN "
        + qualified(schema, table)
        + "."
        + quoteIdentifier(column)
        + " IS '"
        + FIELD_COLUMN_COMMENT.replace("'", "''")
        + "'";
  }

  /** Adds a nullable column (a new optional field). */
  public static String addColumn(String schema, String table, Column column) {
    return "ALTER TABLE "
        + qualified(schema, table)
        + " ADD COLUMN IF NOT EXISTS "
        + quoteIdentifier(column.name())
        + " "
        + column.sqlType();
  }

  /** Adds a bookkeeping position column to a table Carve did not create. */
  public static String addPositionColumn(String schema, String table, String column) {
    return "ALTER TABLE "
        + qualified(schema, table)
        + " ADD COLUMN IF NOT EXISTS "
        + quoteIdentifier(column)
        + (column.equals(UPDATED_AT)
            ? " timestamp with time zone NOT NULL DEFAULT now()"
            : " bigint NOT NULL DEFAULT 0");
  }

  /** Makes a column nullable (its field became optional or was removed from the schema). */
  public static String dropNotNull(String schema, String table, String column) {
    return "ALTER TABLE "
        + qualified(schema, table)
        + " ALTER COLUMN "
        + quoteIdentifier(column)
        + " DROP NOT NULL";
  }

  /**
   * Columns of a table: name, type as format_type prints it, not-null, comment; binds schema and
   * table.
   */
  public static String describeColumns() {
    return "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
        + " col_description(a.attrelid, a.attnum)"
        + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
        + " JOIN pg_namespace n ON n.oid = c.relnamespace"
        + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')"
        + " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
  }

  /** Primary-key column names of a table; binds schema and table. */
  public static String describePrimaryKey() {
    return "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
        + " JOIN pg_namespace n ON n.oid = c.relnamespace"
        + " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)"
        + " WHERE i.indisprimary AND n.nspname = ? AND c.relname = ?";
  }

  /**
   * The foreign keys between two tables of one schema, as (child table, parent table) rows;
   * self-references are left out. Binds the schema.
   */
  public static String describeForeignKeys() {
    return "SELECT child.relname, parent.relname FROM pg_constraint k"
        + " JOIN pg_class child ON child.oid = k.conrelid"
        + " JOIN pg_class parent ON parent.oid = k.confrelid"
        + " JOIN pg_namespace n ON n.oid = child.relnamespace"
        + " WHERE k.contype = 'f' AND n.nspname = ? AND parent.relnamespace = n.oid"
        + " AND k.conrelid <> k.confrelid";
  }

  /** Names of the ordinary tables of a schema, without Carve's own tables; binds the schema. */
  public static String listTables() {
    return "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        + " WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND c.relname NOT IN ('"
        + TOMBSTONES
        + "', '"
        + FAILURES
        + "') ORDER BY c.relname";
  }

  /** Counts the rows of a table. */
  public static String countRows(String schema, String table) {
    return "SELECT count(*) FROM " + qualified(schema, table);
  }

  /** Empties tables (replay in place). */
  public static String truncate(String schema, List<String> tables) {
    StringJoiner j = new StringJoiner(", ");
    tables.forEach(t -> j.add(qualified(schema, t)));
    return "TRUNCATE TABLE " + j;
  }

  /** The tombstone table of a schema: one row per deleted key holding the delete's position. */
  public static String createTombstoneTable(String schema) {
    return "CREATE TABLE IF NOT EXISTS "
        + qualified(schema, TOMBSTONES)
        + " (table_name text NOT NULL, key jsonb NOT NULL, commit_lsn bigint NOT NULL,"
        + " change_lsn bigint NOT NULL, deleted_at timestamp with time zone NOT NULL DEFAULT now(),"
        + " PRIMARY KEY (table_name, key))";
  }

  /** Index for the tombstone garbage collection. */
  public static String createTombstoneIndex(String schema) {
    return "CREATE INDEX IF NOT EXISTS "
        + quoteIdentifier(TOMBSTONES + "_deleted_at")
        + " ON "
        + qualified(schema, TOMBSTONES)
        + " (deleted_at)";
  }

  /**
   * Removes the tombstones of some tables older than a retention; binds a {@code text[]} of table
   * names (the service's own: services sharing a schema share the tombstone table, each with its
   * own retention) and the retention in milliseconds.
   */
  public static String collectTombstones(String schema) {
    return "DELETE FROM "
        + qualified(schema, TOMBSTONES)
        + " WHERE table_name = ANY (?) AND deleted_at < now() - (? * interval '1 millisecond')";
  }

  /** Removes the tombstones of some tables; binds a {@code text[]} of table names. */
  public static String deleteTombstonesOf(String schema) {
    return "DELETE FROM " + qualified(schema, TOMBSTONES) + " WHERE table_name = ANY (?)";
  }

  /**
   * Copies the tombstones of some tables from one schema's tombstone table to another's (replay's
   * swap); binds a {@code text[]} of table names.
   */
  public static String copyTombstonesOf(String fromSchema, String toSchema) {
    String columns = "table_name, key, commit_lsn, change_lsn, deleted_at";
    return "INSERT INTO "
        + qualified(toSchema, TOMBSTONES)
        + " ("
        + columns
        + ") SELECT "
        + columns
        + " FROM "
        + qualified(fromSchema, TOMBSTONES)
        + " WHERE table_name = ANY (?)";
  }

  // ---------------------------------------------------------------- guarded writes

  /**
   * The guarded multi-row upsert of one table. Parameters, in order: when {@code tombstones}, the
   * key column names (for the tombstone key, built once per row in the {@code u} CTE); one {@code
   * text[]} per column of {@link TableSpec#allColumns()}; {@code bigint[]} commit LSNs and {@code
   * bigint[]} change LSNs; when {@code tombstones}, the table name twice (once to purge older
   * tombstones, once to check for newer ones). See {@link #upsertParameterCount}.
   *
   * <p>A row is written when no stored row of its key is at least as new ({@code >=} for ordinary
   * records, {@code >} for repairs, which win a tie) and no tombstone of its key is newer (an
   * upsert wins a tie against a delete: Debezium's primary-key change is a delete and a create at
   * one position). A tombstone not newer than the incoming row is removed in the same statement;
   * since all parts of a statement see the same snapshot, the tombstones it removes and those that
   * block the insert are disjoint sets. Without {@code tombstones} (the caller saw none for this
   * table in this transaction) the tombstone parts are left out, which halves the cost of the
   * statement.
   */
  public static String upsert(TableSpec spec, boolean repair, boolean tombstones) {
    String target = qualified(spec.schema(), spec.table());
    String tombstoneTable = qualified(spec.schema(), TOMBSTONES);
    List<Column> all = spec.allColumns();
    String older = repair ? "<=" : "<";
    StringBuilder sql = new StringBuilder();
    sql.append("WITH u AS (").append(unnestSelect(all, tombstones ? spec.keyColumns() : null));
    sql.append(")");
    // Against a tombstone an upsert wins a tie: at one position Debezium emits a delete and then
    // a create (a primary-key change), so where both map to one domain key the create is the
    // later change. A delete, in turn, never removes a row at its own position (delete()).
    if (tombstones) {
      sql.append(", purged AS (DELETE FROM ").append(tombstoneTable);
      sql.append(" tb USING u WHERE tb.table_name = ? AND tb.key = u.carve_key AND ");
      sql.append(position("tb", "lsn")).append(" <= ");
      sql.append(position("u", "carve")).append(")");
    }
    sql.append(" INSERT INTO ").append(target).append(" AS t (");
    sql.append(names(all, c -> quoteIdentifier(c.name())))
        .append(", ")
        .append(bookkeeping())
        .append(") SELECT ");
    sql.append(names(all, c -> "u." + quoteIdentifier(c.name())));
    sql.append(", u.").append(quoteIdentifier(COMMIT_LSN)).append(", u.");
    sql.append(quoteIdentifier(CHANGE_LSN)).append(", now() FROM u");
    if (tombstones) {
      sql.append(" WHERE NOT EXISTS (SELECT 1 FROM ").append(tombstoneTable);
      sql.append(" tb WHERE tb.table_name = ? AND tb.key = u.carve_key AND ");
      sql.append(position("tb", "lsn")).append(" > ");
      sql.append(position("u", "carve")).append(")");
    }
    sql.append(" ON CONFLICT (").append(names(spec.keyColumns(), c -> quoteIdentifier(c.name())));
    sql.append(") DO UPDATE SET ");
    StringJoiner set = new StringJoiner(", ");
    for (Column c : spec.valueColumns()) {
      set.add(quoteIdentifier(c.name()) + " = EXCLUDED." + quoteIdentifier(c.name()));
    }
    for (String cleared : spec.clearedColumns()) {
      set.add(quoteIdentifier(cleared) + " = NULL");
    }
    for (String b : List.of(COMMIT_LSN, CHANGE_LSN, UPDATED_AT)) {
      set.add(quoteIdentifier(b) + " = EXCLUDED." + quoteIdentifier(b));
    }
    sql.append(set).append(" WHERE ").append(position("t", "carve")).append(' ').append(older);
    sql.append(' ').append(position("EXCLUDED", "carve"));
    // Every row of Debezium's initial snapshot has position (0, 0) (docs/decisions.md). A target
    // row built from several snapshot rows (a join: an invoice from its order, then its payments)
    // gets several versions at that same position, and the later one in topic order is the more
    // complete: between snapshot positions, the later record wins. A snapshot record still never
    // overwrites a streamed one, whose position is newer.
    sql.append(" OR (").append(position("t", "carve")).append(" = (0, 0) AND ");
    sql.append(position("EXCLUDED", "carve")).append(" = (0, 0))");
    return sql.toString();
  }

  /**
   * Which rows of a batch already have their key in the table, and the transaction's {@code now()}:
   * one row of a {@code bigint[]} of 1-based ordinals and {@code now()} as text. Binds one {@code
   * text[]} per key column.
   */
  public static String existingKeys(TableSpec spec) {
    List<Column> keys = spec.keyColumns();
    StringJoiner args = new StringJoiner(", ");
    StringJoiner alias = new StringJoiner(", ");
    StringJoiner match = new StringJoiner(" AND ");
    for (int i = 0; i < keys.size(); i++) {
      Column k = keys.get(i);
      args.add("?::text[]");
      alias.add("k" + i);
      match.add("t." + quoteIdentifier(k.name()) + " = x.k" + i + "::" + k.sqlType());
    }
    return "SELECT ARRAY(SELECT x.carve_i FROM unnest("
        + args
        + ") WITH ORDINALITY AS x("
        + alias
        + ", carve_i) WHERE EXISTS (SELECT 1 FROM "
        + qualified(spec.schema(), spec.table())
        + " t WHERE "
        + match
        + ")), now()::text";
  }

  /**
   * COPY of new rows in CSV: every column of {@link TableSpec#allColumns()}, then the commit LSN,
   * the change LSN and the write time.
   */
  public static String copyIn(TableSpec spec) {
    return "COPY "
        + qualified(spec.schema(), spec.table())
        + " ("
        + names(spec.allColumns(), c -> quoteIdentifier(c.name()))
        + ", "
        + bookkeeping()
        + ") FROM STDIN (FORMAT csv)";
  }

  /** How many parameters {@link #upsert} binds. */
  public static int upsertParameterCount(TableSpec spec, boolean tombstones) {
    return spec.allColumns().size() + 2 + (tombstones ? spec.keyColumns().size() + 2 : 0);
  }

  /**
   * Takes the write lock of one target table until the end of the transaction; binds its {@link
   * #tableLockKey}. Every writer of the table (the live sink, a zombie instance whose partitions
   * moved on, a failure-log retry, an in-place replay) takes it before its first statement on the
   * table, so the tombstone decision and the guarded statements of one writer never interleave with
   * another's (under READ COMMITTED each statement sees a new snapshot).
   */
  public static String lockTable() {
    return "SELECT pg_advisory_xact_lock(?)";
  }

  /**
   * The advisory-lock key of a target table: the first 8 bytes of the SHA-256 of {@code
   * carve-sink:<schema>.<table>} (quoted identifiers, so no two tables share a text). Stable across
   * JVMs and PostgreSQL versions, unlike {@code hashtext}.
   */
  public static long tableLockKey(String schema, String table) {
    return lockKey("carve-sink:" + qualified(schema, table));
  }

  /**
   * The advisory-lock key a replay of a service into a schema holds for its whole run (session
   * level, on a connection of its own): the first 8 bytes of the SHA-256 of {@code
   * carve-replay:<schema>.<service>}.
   */
  public static long replayLockKey(String schema, String service) {
    return lockKey("carve-replay:" + qualified(schema, service));
  }

  /** Takes a session-level advisory lock if free: one boolean column. */
  public static String tryLockSession() {
    return "SELECT pg_try_advisory_lock(?)";
  }

  /**
   * The advisory-lock key of a target schema's setup ({@link TargetTables#prepare}), taken with
   * {@link #lockTable} like a table's: the first 8 bytes of the SHA-256 of {@code
   * carve-sink-schema:<schema>} (quoted), a text no table's key shares. {@code CREATE ... IF NOT
   * EXISTS} is not safe against a concurrent creator in PostgreSQL (the second fails with 23505 on
   * the catalog's unique index), so two sinks starting together on a new schema take turns.
   */
  public static long schemaLockKey(String schema) {
    return lockKey("carve-sink-schema:" + quoteIdentifier(schema));
  }

  private static long lockKey(String name) {
    byte[] text = name.getBytes(StandardCharsets.UTF_8);
    try {
      return java.nio.ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(text)).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  /** Whether a table has tombstones; binds the table name. */
  public static String hasTombstones(String schema) {
    return "SELECT EXISTS (SELECT 1 FROM "
        + qualified(schema, TOMBSTONES)
        + " WHERE table_name = ?)";
  }

  /**
   * The guarded multi-row delete of one table. Parameters: the key column names, one {@code text[]}
   * per key column, {@code bigint[]} commit and change LSNs, then the table name. Removes rows
   * whose stored position is older ({@code <=} for repairs) and writes or advances the tombstone,
   * unless a row at least as new remains.
   */
  public static String delete(TableSpec spec, boolean repair) {
    String target = qualified(spec.schema(), spec.table());
    String older = repair ? "<=" : "<";
    String notOlder = repair ? ">" : ">=";
    List<Column> keys = spec.keyColumns();
    StringJoiner join = new StringJoiner(" AND ");
    for (Column c : keys) {
      join.add("t." + quoteIdentifier(c.name()) + " = u." + quoteIdentifier(c.name()));
    }
    return "WITH u AS ("
        + unnestSelect(keys, keys)
        + "), removed AS (DELETE FROM "
        + target
        + " t USING u WHERE "
        + join
        + " AND "
        + position("t", "carve")
        + " "
        + older
        + " "
        + position("u", "carve")
        + ") "
        + tombstoneInsert(spec)
        + " WHERE NOT EXISTS (SELECT 1 FROM "
        + target
        + " t WHERE "
        + join
        + " AND "
        + position("t", "carve")
        + " "
        + notOlder
        + " "
        + position("u", "carve")
        + ")"
        + tombstoneConflict(older);
  }

  /**
   * A delete for a table that does not exist yet: only leaves the tombstone behind, so that an
   * older upsert arriving later cannot create the row. Same parameters as {@link #delete}.
   */
  public static String tombstoneOnly(TableSpec spec, boolean repair) {
    return "WITH u AS ("
        + unnestSelect(spec.keyColumns(), spec.keyColumns())
        + ") "
        + tombstoneInsert(spec)
        + tombstoneConflict(repair ? "<=" : "<");
  }

  /** How many parameters {@link #delete} and {@link #tombstoneOnly} bind. */
  public static int deleteParameterCount(TableSpec spec) {
    return 2 * spec.keyColumns().size() + 2 + 1;
  }

  private static String tombstoneInsert(TableSpec spec) {
    return "INSERT INTO "
        + qualified(spec.schema(), TOMBSTONES)
        + " AS tb (table_name, key, commit_lsn, change_lsn, deleted_at) SELECT ?, u.carve_key, u."
        + quoteIdentifier(COMMIT_LSN)
        + ", u."
        + quoteIdentifier(CHANGE_LSN)
        + ", now() FROM u";
  }

  private static String tombstoneConflict(String older) {
    return " ON CONFLICT (table_name, key) DO UPDATE SET commit_lsn = EXCLUDED.commit_lsn,"
        + " change_lsn = EXCLUDED.change_lsn, deleted_at = EXCLUDED.deleted_at WHERE "
        + position("tb", "lsn")
        + " "
        + older
        + " "
        + position("EXCLUDED", "lsn");
  }

  /**
   * Unpacks the parallel arrays into typed rows; with {@code keyJson} also the tombstone key {@code
   * carve_key}, built once per row from the typed key columns (its key-name parameters come first,
   * as they appear in the select list).
   */
  private static String unnestSelect(List<Column> columns, List<Column> keyJson) {
    StringJoiner select = new StringJoiner(", ");
    StringJoiner args = new StringJoiner(", ");
    StringJoiner alias = new StringJoiner(", ");
    if (keyJson != null) {
      StringJoiner j = new StringJoiner(", ");
      for (Column c : keyJson) {
        j.add("?::text, x." + quoteIdentifier(c.name()) + "::" + c.sqlType());
      }
      select.add("jsonb_build_object(" + j + ") AS carve_key");
    }
    for (Column c : columns) {
      String q = quoteIdentifier(c.name());
      select.add("x." + q + "::" + c.sqlType() + " AS " + q);
      args.add("?::text[]");
      alias.add(q);
    }
    for (String b : List.of(COMMIT_LSN, CHANGE_LSN)) {
      select.add("x." + quoteIdentifier(b));
      args.add("?::bigint[]");
      alias.add(quoteIdentifier(b));
    }
    return "SELECT " + select + " FROM unnest(" + args + ") AS x(" + alias + ")";
  }

  /** The position pair of a row: carve bookkeeping columns, or the tombstone's lsn columns. */
  private static String position(String alias, String kind) {
    if (kind.equals("lsn")) {
      return "(" + alias + ".commit_lsn, " + alias + ".change_lsn)";
    }
    return "("
        + alias
        + "."
        + quoteIdentifier(COMMIT_LSN)
        + ", "
        + alias
        + "."
        + quoteIdentifier(CHANGE_LSN)
        + ")";
  }

  private static String bookkeeping() {
    return quoteIdentifier(COMMIT_LSN)
        + ", "
        + quoteIdentifier(CHANGE_LSN)
        + ", "
        + quoteIdentifier(UPDATED_AT);
  }

  private static String names(List<Column> columns, Function<Column, String> f) {
    StringJoiner j = new StringJoiner(", ");
    for (Column c : columns) {
      j.add(f.apply(c));
    }
    return j.toString();
  }

  // ---------------------------------------------------------------- failure log

  /** The failure log of a schema. */
  public static String createFailureTable(String schema) {
    return "CREATE TABLE IF NOT EXISTS "
        + qualified(schema, FAILURES)
        + " (id bigserial PRIMARY KEY, service text NOT NULL, topic text NOT NULL,"
        + " kafka_partition integer NOT NULL, kafka_offset bigint NOT NULL, record_key text,"
        + " error text NOT NULL, attempts integer NOT NULL DEFAULT 1,"
        + " first_seen timestamp with time zone NOT NULL DEFAULT now(),"
        + " last_seen timestamp with time zone NOT NULL DEFAULT now(),"
        + " status text NOT NULL DEFAULT 'OPEN', UNIQUE (topic, kafka_partition, kafka_offset))";
  }

  /**
   * Records a failure or, when the same record failed before, counts another attempt. Binds
   * service, topic, partition, offset, key, error.
   */
  public static String recordFailure(String schema) {
    return "INSERT INTO "
        + qualified(schema, FAILURES)
        + " AS f (service, topic, kafka_partition, kafka_offset, record_key, error)"
        + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (topic, kafka_partition, kafka_offset)"
        + " DO UPDATE SET error = EXCLUDED.error, attempts = f.attempts + 1,"
        + " last_seen = now(), status = 'OPEN'";
  }

  /** Removes every failure-log entry of one service; binds the service. */
  public static String deleteFailuresOf(String schema) {
    return "DELETE FROM " + qualified(schema, FAILURES) + " WHERE service = ?";
  }

  /**
   * Copies one service's failure-log entries from one schema to another (replay's swap), oldest
   * first; the copies get new ids. Binds the service.
   */
  public static String copyFailuresOf(String fromSchema, String toSchema) {
    String columns =
        "service, topic, kafka_partition, kafka_offset, record_key, error, attempts, first_seen,"
            + " last_seen, status";
    return "INSERT INTO "
        + qualified(toSchema, FAILURES)
        + " ("
        + columns
        + ") SELECT "
        + columns
        + " FROM "
        + qualified(fromSchema, FAILURES)
        + " WHERE service = ? ORDER BY id";
  }

  /** The database's clock, {@code now()}. */
  public static String now() {
    return "SELECT now()";
  }

  /** Marks a failure resolved; binds the id. */
  public static String resolveFailure(String schema) {
    return "UPDATE "
        + qualified(schema, FAILURES)
        + " SET status = 'RESOLVED', last_seen = now(), attempts = attempts + 1 WHERE id = ?";
  }

  /**
   * Lists failures, oldest first, from the one after an id on (keyset pagination: a page starts
   * where the last one ended, whatever happened to the entries before); binds service, status (null
   * = any), topic (null = any), the id to start after (0 for the first page), limit.
   *
   * @see #failureColumns()
   */
  public static String listFailures(String schema) {
    return "SELECT "
        + failureColumns()
        + " FROM "
        + qualified(schema, FAILURES)
        + SELECTED
        + " AND id > ? ORDER BY id LIMIT ?";
  }

  /** Counts failures; binds service, status (null = any), topic (null = any). */
  public static String countFailures(String schema) {
    return "SELECT count(*) FROM " + qualified(schema, FAILURES) + SELECTED;
  }

  private static final String SELECTED =
      " WHERE service = ? AND (?::text IS NULL OR status = ?::text)"
          + " AND (?::text IS NULL OR topic = ?::text)";

  /** One failure by id; binds the id. */
  public static String showFailure(String schema) {
    return "SELECT " + failureColumns() + " FROM " + qualified(schema, FAILURES) + " WHERE id = ?";
  }

  /** The columns {@link #listFailures} and {@link #showFailure} return, in order. */
  public static String failureColumns() {
    return "id, service, topic, kafka_partition, kafka_offset, record_key, error, attempts,"
        + " first_seen, last_seen, status";
  }

  /** Purges failures; binds service, age in milliseconds (null = any age), status (null = any). */
  public static String purgeFailures(String schema) {
    return "DELETE FROM " + qualified(schema, FAILURES) + PURGEABLE;
  }

  /** Counts what {@link #purgeFailures} would delete; binds the same values. */
  public static String countPurgeableFailures(String schema) {
    return "SELECT count(*) FROM " + qualified(schema, FAILURES) + PURGEABLE;
  }

  private static final String PURGEABLE =
      " WHERE service = ? AND (?::bigint IS NULL OR last_seen < now() - (?::bigint"
          + " * interval '1 millisecond')) AND (?::text IS NULL OR status = ?::text)";

  /** Whether a table exists; binds schema and table. */
  public static String tableExists() {
    return "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')";
  }
}
