package dev.carve.bench;

import dev.carve.sink.internal.AvroColumns;
import dev.carve.sink.internal.Column;
import dev.carve.sink.internal.PostgresDialect;
import dev.carve.sink.internal.TableSpec;
import dev.carve.testkit.TestPostgres;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.postgresql.PGConnection;

/**
 * The statement shapes a sink batch could take, on the same rows, batch size and indexed table as
 * {@link SinkBenchmark}: the sink's guarded upsert from {@code unnest} arrays ({@link
 * PostgresDialect#upsert}, what Carve runs), a COPY into a temporary table followed by the same
 * guarded {@code INSERT ... ON CONFLICT} from it, and two unguarded references (a plain {@code
 * INSERT} from the arrays, a batched COPY straight into the table). Each commits per batch. Prints
 * rows/s and the CPU seconds of the PostgreSQL backend (from /proc, Linux), which is less noisy on
 * a shared machine than wall time.
 *
 * <p>Usage: {@code bench/run SinkStatementBenchmark [--rows N] [--batch B] [--rounds R]}; defaults
 * 500,000 rows, batch 1000, 2 rounds.
 */
public final class SinkStatementBenchmark {
  private static final String DB = "carve_bench_statements";

  private SinkStatementBenchmark() {}

  private interface Shape {
    void write(Connection c, TableSpec spec, List<String[]> rows) throws SQLException, IOException;
  }

  /** Runs the benchmark; see the class comment for the arguments. */
  public static void main(String[] args) throws Exception {
    int rows = 500_000;
    int batch = 1000;
    int rounds = 2;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rows" -> rows = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        default ->
            throw new IllegalArgumentException(
                "Unknown argument '" + args[i] + "'; use --rows N --batch B --rounds R");
      }
    }
    TestPostgres.createDatabase(DB);
    TableSpec shape = SinkBenchmark.spec("shape", "order");
    List<Column> columns = shape.allColumns();
    List<String[]> texts = new ArrayList<>(rows);
    for (int i = 1; i <= rows; i++) {
      GenericRecord v = SinkBenchmark.order(i);
      String[] row = new String[columns.size() + 2];
      for (int c = 0; c < columns.size(); c++) {
        Schema.Field f = SinkBenchmark.VALUE.getField(columns.get(c).name());
        row[c] = AvroColumns.toText(v.get(f.pos()), f.schema());
      }
      row[columns.size()] = Integer.toString(i);
      row[columns.size() + 1] = Integer.toString(i);
      texts.add(row);
    }
    System.out.printf(
        Locale.ROOT, "Sink statement shapes: %,d rows, batch %d, commit per batch%n", rows, batch);
    try (Connection c = TestPostgres.connect(DB)) {
      c.setAutoCommit(false);
      int backend = backendPid(c);
      for (int r = 1; r <= rounds; r++) {
        System.out.printf(Locale.ROOT, "Round %d of %d%n", r, rounds);
        measure(c, backend, "guarded upsert from unnest (Carve)", r, texts, batch, guarded());
        measure(c, backend, "COPY to temp table + guarded upsert", r, texts, batch, copyMerge());
        measure(c, backend, "plain INSERT from unnest (no guard)", r, texts, batch, plain());
        measure(c, backend, "batched COPY into the table (no guard)", r, texts, batch, copy());
      }
    }
    System.exit(0);
  }

  private static void measure(
      Connection c,
      int backend,
      String name,
      int round,
      List<String[]> rows,
      int batch,
      Shape shape)
      throws Exception {
    TableSpec spec = SinkBenchmark.spec("shape_" + round + "_" + name.hashCode() % 1000, "order");
    SinkBenchmark.createTable(c, spec, true);
    c.commit();
    double cpu0 = cpuSeconds(backend);
    long start = System.nanoTime();
    for (int from = 0; from < rows.size(); from += batch) {
      shape.write(c, spec, rows.subList(from, Math.min(rows.size(), from + batch)));
      c.commit();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpu = cpuSeconds(backend) - cpu0;
    System.out.printf(
        Locale.ROOT,
        "  %-40s %,10.0f rows/s   server CPU %6.2f s%n",
        name,
        rows.size() / seconds,
        cpu);
  }

  private static Shape guarded() {
    return (c, spec, rows) -> unnest(c, PostgresDialect.upsert(spec, false, false), spec, rows);
  }

  private static Shape plain() {
    return (c, spec, rows) -> {
      String sql = PostgresDialect.upsert(spec, false, false);
      unnest(c, sql.substring(0, sql.indexOf(" ON CONFLICT")), spec, rows);
    };
  }

  private static void unnest(Connection c, String sql, TableSpec spec, List<String[]> rows)
      throws SQLException {
    int width = spec.allColumns().size();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      List<Array> arrays = new ArrayList<>();
      for (int col = 0; col < width + 2; col++) {
        Object[] values = col < width ? new String[rows.size()] : new Long[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
          String text = rows.get(i)[col];
          values[i] = col < width ? text : Long.valueOf(text);
        }
        Array a = c.createArrayOf(col < width ? "text" : "int8", values);
        arrays.add(a);
        ps.setArray(col + 1, a);
      }
      ps.executeUpdate();
      for (Array a : arrays) {
        a.free();
      }
    }
  }

  private static Shape copyMerge() {
    return (c, spec, rows) -> {
      String stage = PostgresDialect.quoteIdentifier("stage_" + spec.schema());
      try (Statement s = c.createStatement()) {
        s.execute(
            "CREATE TEMP TABLE IF NOT EXISTS "
                + stage
                + " (LIKE "
                + PostgresDialect.qualified(spec.schema(), spec.table())
                + " INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
      }
      copyIn(c, stage, spec, rows);
      String upsert = PostgresDialect.upsert(spec, false, false);
      String from = upsert.substring(upsert.indexOf(" INSERT INTO"));
      String columns = columnList(spec);
      try (PreparedStatement ps =
          c.prepareStatement("WITH u AS (SELECT " + columns + " FROM " + stage + ")" + from)) {
        ps.executeUpdate();
      }
    };
  }

  private static Shape copy() {
    return (c, spec, rows) ->
        copyIn(c, PostgresDialect.qualified(spec.schema(), spec.table()), spec, rows);
  }

  private static void copyIn(Connection c, String table, TableSpec spec, List<String[]> rows)
      throws SQLException, IOException {
    StringBuilder csv = new StringBuilder(rows.size() * 160);
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        if (i > 0) {
          csv.append(',');
        }
        SinkBenchmark.appendCsv(csv, row[i]);
      }
      csv.append('\n');
    }
    ((PGConnection) c)
        .getCopyAPI()
        .copyIn(
            "COPY " + table + " (" + columnList(spec) + ") FROM STDIN (FORMAT csv)",
            new StringReader(csv.toString()));
  }

  private static String columnList(TableSpec spec) {
    StringJoiner j = new StringJoiner(", ");
    for (Column col : spec.allColumns()) {
      j.add(PostgresDialect.quoteIdentifier(col.name()));
    }
    j.add(PostgresDialect.quoteIdentifier(PostgresDialect.COMMIT_LSN));
    j.add(PostgresDialect.quoteIdentifier(PostgresDialect.CHANGE_LSN));
    return j.toString();
  }

  private static int backendPid(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      int pid = rs.getInt(1);
      c.commit();
      return pid;
    }
  }

  /** User + system CPU of a process from /proc (Linux); NaN where there is none. */
  private static double cpuSeconds(int pid) {
    Path stat = Path.of("/proc", Integer.toString(pid), "stat");
    try {
      String text = Files.readString(stat);
      String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }
}
