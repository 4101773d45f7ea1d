package dev.carve.cli.verify;

import dev.carve.core.SourcePosition;
import dev.carve.core.SqlIdentifiers;
import dev.carve.schemas.EntitySchemas;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.DomainRecord;
import dev.carve.transform.api.LegacyKeys;
import dev.carve.transform.api.MappingScope;
import dev.carve.transform.api.Output;
import dev.carve.transform.api.TableMapper;
import dev.carve.transform.keys.KeyRegistry;
import dev.carve.transform.keys.KeyRegistryTopic;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * Proves target == mapping(source) for one service: reads the rows of the monolith tables the
 * service maps, runs them through the service's own mapping code (the same {@link TableMapper}s its
 * Kafka Streams application runs), and compares the expected records with the rows of the service's
 * tables key by key, reporting missing, extra and different rows.
 *
 * <p>Bucket by bucket: both sides are reduced to (key, 64-bit hash of the canonical value) and
 * spilled to temporary files, one per bucket ({@code hash(key) mod N}, N chosen so a bucket holds
 * about {@link #ROWS_PER_BUCKET} rows). Buckets are then compared one at a time: the expected side
 * of a bucket is loaded as key → hash, the target side streams past it. Only buckets with a
 * mismatch are read a second time, to find the source rows of the mismatched keys and both versions
 * of the sampled different rows.
 *
 * <p>Memory bound: one bucket's keys and hashes (about {@code rows / N}, at most {@link
 * #ROWS_PER_BUCKET} rows up to {@code ROWS_PER_BUCKET * MAX_BUCKETS} rows per entity), {@link
 * #MISMATCH_LIMIT} mismatches, the file buffers of {@code N} buckets per entity, and the state the
 * service's mapping keeps itself (allocations, joins). Disk: about the size of both sides'
 * canonical text, deleted at the end of the run.
 */
public final class Reconciler {
  /** The rows a bucket is sized for. */
  public static final int ROWS_PER_BUCKET = 50_000;

  /** The most buckets per entity (each holds an open file while spilling). */
  public static final int MAX_BUCKETS = 256;

  /** The most mismatched keys a report keeps for a repair (the counts go on). */
  public static final int MISMATCH_LIMIT = 10_000;

  private static final int PROGRESS_EVERY = 1000;
  private static final byte UPSERT = 'U';
  private static final byte DELETE = 'D';

  private final String service;
  private final List<EntitySchemas> entities;
  private final Map<String, TableMapper> mappers;
  private final Db source;
  private final Db target;
  private final KeyRegistryTopic keyRegistry;

  /**
   * A database to read.
   *
   * @param jdbcUrl the JDBC URL
   * @param username the user
   * @param password the password (never printed)
   * @param schema the schema holding the tables
   */
  public record Db(String jdbcUrl, String username, String password, String schema) {
    @Override
    public String toString() {
      return jdbcUrl + " (schema " + schema + ")";
    }

    /** Opens a connection. */
    public Connection connect() throws SQLException {
      return DriverManager.getConnection(jdbcUrl, username, password);
    }
  }

  /**
   * What to compare.
   *
   * @param fields the value fields to compare (keys always are); empty compares every field
   * @param timeColumn a timestamp column of the source tables restricting the rows read to the
   *     window; null reads every row. Tables without the column are read in full.
   * @param since start of the window, inclusive, UTC wall-clock; null for none
   * @param until end of the window, exclusive, UTC wall-clock; null for none
   * @param onlyKeys per entity, the canonical keys to compare (a re-verify after a repair); null
   *     compares every key
   */
  public record Options(
      List<String> fields,
      String timeColumn,
      LocalDateTime since,
      LocalDateTime until,
      Map<String, Set<String>> onlyKeys) {
    /** Checks the window. */
    public Options {
      fields = List.copyOf(fields);
      if (timeColumn == null && (since != null || until != null)) {
        throw new IllegalArgumentException("a time window needs a time column");
      }
      if (since != null && until != null && !since.isBefore(until)) {
        throw new IllegalArgumentException(
            "the window is empty: since " + since + " is not before until " + until);
      }
    }

    /** Every field of every row. */
    public static Options all() {
      return new Options(List.of(), null, null, null, null);
    }

    /** A copy restricted to the given keys per entity. */
    public Options onlyKeys(Map<String, Set<String>> keys) {
      return new Options(fields, null, null, null, keys);
    }

    /** True when only part of the source is compared, so absent keys are not extra. */
    public boolean windowed() {
      return timeColumn != null || onlyKeys != null;
    }
  }

  /** Receives the progress of a run. */
  public interface Progress {
    /**
     * Rows read so far.
     *
     * @param phase what is being read ("source orders", "target orders.order")
     * @param done rows read over the whole run
     * @param estimatedTotal the planner's estimate of all rows to read; 0 when unknown
     */
    void rows(String phase, long done, long estimatedTotal);

    /** A line of information. */
    void note(String line);

    /** Progress as lines only. */
    static Progress lines(Consumer<String> out) {
      return new Progress() {
        @Override
        public void rows(String phase, long done, long estimatedTotal) {}

        @Override
        public void note(String line) {
          out.accept(line);
        }
      };
    }
  }

  // Source rows the mapping rejected during the current run (a run is not reentrant).
  private final List<ReconcileReport.Unmappable> unmappable = new ArrayList<>();
  private final long[] unmappableCount = {0};

  /**
   * Creates a reconciler.
   *
   * @param mappers the mapping per monolith table, in the order tables are read
   */
  public Reconciler(
      String service,
      List<EntitySchemas> entities,
      Map<String, TableMapper> mappers,
      Db source,
      Db target) {
    this(service, entities, mappers, source, target, null);
  }

  /**
   * Creates a reconciler whose mapping of the source gives legacy values the keys recorded in the
   * key registry, as the transformers do: an imported or collision-resolved key is expected where
   * it was recorded, not the legacy value's proposal. The registry is read at the start of every
   * run; the keys the mapping allocates meanwhile are never written to it.
   *
   * @param mappers the mapping per monolith table, in the order tables are read
   * @param keyRegistry the service's key registry topic; null allocates every legacy value its
   *     proposal (a mapping without {@code allocate}, or a test)
   */
  public Reconciler(
      String service,
      List<EntitySchemas> entities,
      Map<String, TableMapper> mappers,
      Db source,
      Db target,
      KeyRegistryTopic keyRegistry) {
    this.service = Objects.requireNonNull(service);
    this.entities = List.copyOf(entities);
    this.mappers = new LinkedHashMap<>(mappers);
    this.source = Objects.requireNonNull(source);
    this.target = Objects.requireNonNull(target);
    this.keyRegistry = keyRegistry;
  }

  /**
   * Runs a comparison of every field of every row.
   *
   * @param progress receives a line per step
   */
  public ReconcileReport run(Consumer<String> progress) throws Exception {
    return run(Options.all(), Progress.lines(progress));
  }

  /**
   * Checks that every field of {@code options} belongs to an entity of the service.
   *
   * @throws IllegalArgumentException naming the unknown field and the known ones
   */
  public void validate(Options options) {
    Set<String> known = new TreeSet<>();
    entities.forEach(e -> e.value().getFields().forEach(f -> known.add(f.name())));
    for (String f : options.fields()) {
      if (!known.contains(f)) {
        throw new IllegalArgumentException(
            "service '" + service + "' has no field '" + f + "'; its fields are " + known);
      }
    }
  }

  /**
   * Runs the comparison.
   *
   * @param options what to compare
   * @param progress receives rows read and notes
   */
  public ReconcileReport run(Options options, Progress progress) throws Exception {
    validate(options);
    Path dir = Files.createTempDirectory("carve-verify-" + service + "-");
    try {
      return run(options, progress, dir);
    } finally {
      dev.carve.core.FileTrees.deleteTree(dir, "the spill files");
    }
  }

  private ReconcileReport run(Options options, Progress progress, Path dir) throws Exception {
    unmappable.clear();
    unmappableCount[0] = 0;
    Map<String, Entity> byTopic = new HashMap<>();
    List<Entity> all = new ArrayList<>();
    long[] done = {0};
    long estimate = 0;
    long largest = 0;
    try (Connection s = source.connect();
        Connection t = target.connect()) {
      for (String table : mappers.keySet()) {
        long n = SourceRows.estimateRows(s, source.schema(), table);
        estimate += n;
        largest = Math.max(largest, n);
      }
      for (EntitySchemas e : entities) {
        long n = SourceRows.estimateRows(t, target.schema(), e.entity());
        estimate += n;
        largest = Math.max(largest, n);
      }
    }
    int buckets = buckets(largest);
    for (EntitySchemas e : entities) {
      Entity entity = new Entity(e, valueFields(e, options), dir, buckets);
      byTopic.put(e.topic(), entity);
      all.add(entity);
    }
    progress.note(
        String.format(
            Locale.ROOT,
            "comparing %s in %d bucket%s (about %,d rows to read)",
            service,
            buckets,
            buckets == 1 ? "" : "s",
            estimate));
    long total = estimate;
    KeyRegistry.Recorded recorded = KeyRegistry.NOTHING;
    if (keyRegistry != null) {
      KeyRegistryTopic.Snapshot snapshot = keyRegistry.read();
      progress.note(snapshot.describe());
      recorded = snapshot;
    }
    KeyRegistry.Allocation allocation = new KeyRegistry.Allocation(recorded);
    KeyCheck keyCheck = new KeyCheck(dir.resolve("keys"), buckets);
    try (LegacyKeys.Observation observed = LegacyKeys.observe(keyCheck);
        LegacyKeys.Binding bound = LegacyKeys.bind(allocation)) {
      readSource(options, progress, byTopic, done, total, allocation);
    } finally {
      keyCheck.close();
      for (Entity e : all) {
        e.expected.close();
      }
    }
    ReconcileReport.Keys keys = keyCheck.check();
    try (Connection c = target.connect()) {
      for (Entity e : all) {
        try {
          readTarget(c, e, options, progress, done, total);
        } finally {
          e.actual.close();
        }
      }
    }
    List<ReconcileReport.EntityResult> results = new ArrayList<>();
    int[] budget = {MISMATCH_LIMIT};
    for (Entity e : all) {
      results.add(compare(e, options, budget));
      progress.note("compared " + service + "." + e.schemas.entity());
    }
    return new ReconcileReport(
        service, results, options.windowed(), List.copyOf(unmappable), unmappableCount[0], keys);
  }

  static int buckets(long rows) {
    long n = (rows + ROWS_PER_BUCKET - 1) / ROWS_PER_BUCKET;
    return (int) Math.max(1, Math.min(MAX_BUCKETS, n));
  }

  static int bucketOf(String key, int buckets) {
    int h = key.hashCode();
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    return Math.floorMod(h, buckets);
  }

  private static List<Schema.Field> valueFields(EntitySchemas e, Options options) {
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : e.value().getFields()) {
      if (options.fields().isEmpty() || options.fields().contains(f.name())) {
        fields.add(f);
      }
    }
    return fields;
  }

  private void readSource(
      Options options,
      Progress progress,
      Map<String, Entity> byTopic,
      long[] done,
      long total,
      KeyRegistry.Allocation allocation)
      throws Exception {
    InMemoryScope scope = new InMemoryScope(service);
    try (Connection c = source.connect()) {
      for (Map.Entry<String, TableMapper> m : mappers.entrySet()) {
        String table = m.getKey();
        SourceRows.Window window = null;
        if (options.timeColumn() != null) {
          if (SourceRows.hasColumn(c, source.schema(), table, options.timeColumn())) {
            window = new SourceRows.Window(options.timeColumn(), options.since(), options.until());
          } else {
            progress.note(
                "source table "
                    + table
                    + " has no column "
                    + options.timeColumn()
                    + ": read in full");
          }
        }
        long[] n = {0};
        String phase = "source " + table;
        SourceRows.read(
            c,
            source.schema(),
            table,
            window,
            row -> {
              ChangeEvent event =
                  new ChangeEvent(
                      table,
                      ChangeEvent.Op.READ,
                      null,
                      row.values(),
                      row.key(),
                      SourcePosition.SNAPSHOT,
                      new ChangeEvent.SourceOffset("reconcile:" + table, 0, n[0]++));
              List<Output<?, ?>> outputs;
              try {
                outputs = m.getValue().map(event, scope);
                // As a transformer that recorded them: a later proposal equal to one of these
                // keys is refused. Kept in memory only (the allocation keeps a bounded number).
                allocation.recorded(allocation.takeClaims());
              } catch (Exception e) {
                allocation.discardClaims();
                // The transformer dead-letters this row's changes; report it, compare the rest.
                unmappableCount[0]++;
                if (unmappable.size() < MISMATCH_LIMIT) {
                  unmappable.add(
                      new ReconcileReport.Unmappable(
                          table, String.valueOf(row.key()), String.valueOf(e.getMessage())));
                }
                return;
              }
              for (Output<?, ?> out : outputs) {
                Entity entity = byTopic.get(out.topic().name());
                if (entity == null) {
                  continue; // a topic outside the service's contracts is not compared
                }
                DomainRecord<?, ?> r = out.record();
                String key = Canonical.ofRecord(avro(r.key(), entity.schemas, "key"));
                if (!inScope(options, entity, key)) {
                  continue;
                }
                String text =
                    r.isDelete()
                        ? ""
                        : Canonical.ofRecord(
                            avro(r.value(), entity.schemas, "value"), entity.fields);
                entity.writeExpected(key, r.isDelete(), text, table, row.key());
              }
              if (++done[0] % PROGRESS_EVERY == 0) {
                progress.rows(phase, done[0], total);
              }
            });
        progress.rows(phase, done[0], total);
        progress.note(
            String.format(
                Locale.ROOT,
                "read %,d %srows of %s.%s",
                n[0],
                window == null ? "" : "windowed ",
                source.schema(),
                table));
      }
    }
  }

  private static boolean inScope(Options options, Entity entity, String key) {
    return options.onlyKeys() == null
        || options.onlyKeys().getOrDefault(entity.schemas.entity(), Set.of()).contains(key);
  }

  private void readTarget(
      Connection c, Entity e, Options options, Progress progress, long[] done, long total)
      throws SQLException {
    String table = SqlIdentifiers.qualified(target.schema(), e.schemas.entity());
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, table);
      try (ResultSet exists = ps.executeQuery()) {
        exists.next();
        if (!exists.getBoolean(1)) {
          progress.note("target table " + table + " does not exist");
          return;
        }
      }
    }
    String phase = "target " + service + "." + e.schemas.entity();
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false); // pgjdbc streams with a fetch size only inside a transaction
    try (Statement s = c.createStatement()) {
      s.setFetchSize(2000);
      try (ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
        boolean positions = hasColumn(rs, "carve_commit_lsn") && hasColumn(rs, "carve_change_lsn");
        while (rs.next()) {
          String key = Canonical.ofRow(e.schemas.key(), rs);
          if (inScope(options, e, key)) {
            long commit = positions ? rs.getLong("carve_commit_lsn") : -1;
            if (positions && rs.wasNull()) {
              commit = -1;
            }
            long change = positions ? rs.getLong("carve_change_lsn") : -1;
            if (positions && rs.wasNull()) {
              change = -1;
            }
            e.writeActual(key, Canonical.ofRow(e.fields, rs), commit, change);
          }
          if (++done[0] % PROGRESS_EVERY == 0) {
            progress.rows(phase, done[0], total);
          }
        }
      }
      c.commit();
    } finally {
      c.setAutoCommit(autoCommit);
    }
    progress.rows(phase, done[0], total);
  }

  private static boolean hasColumn(ResultSet rs, String column) throws SQLException {
    var md = rs.getMetaData();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      if (md.getColumnName(i).equals(column)) {
        return true;
      }
    }
    return false;
  }

  private ReconcileReport.EntityResult compare(Entity e, Options options, int[] budget)
      throws IOException {
    boolean windowed = options.windowed() && options.onlyKeys() == null;
    Tally tally = new Tally();
    for (int b = 0; b < e.expected.buckets; b++) {
      // Key -> value hash of the final state; a null value is a key the mapping deletes.
      Map<String, Long> expected = new HashMap<>();
      e.expected.forEach(
          b,
          in -> {
            byte op = in.readByte();
            String key = Spill.readString(in);
            long hash = in.readLong();
            Spill.skipString(in);
            skipSource(in);
            expected.put(key, op == DELETE ? null : hash);
          });
      tally.expected += expected.values().stream().filter(Objects::nonNull).count();
      Map<String, Pending> pending = new LinkedHashMap<>();
      e.actual.forEach(
          b,
          in -> {
            String key = Spill.readString(in);
            long hash = in.readLong();
            String text = Spill.readString(in);
            long[] position = {in.readLong(), in.readLong()};
            boolean known = expected.containsKey(key);
            if (known || !windowed) {
              tally.actual++;
            }
            Long want = expected.remove(key);
            if (!known) {
              if (!windowed) {
                tally.extraCount++;
                pending.put(key, new Pending(ReconcileReport.Kind.EXTRA, position, null));
              }
            } else if (want == null) {
              tally.extraCount++;
              pending.put(key, new Pending(ReconcileReport.Kind.EXTRA, position, null));
            } else if (want != hash) {
              tally.differentCount++;
              pending.put(key, new Pending(ReconcileReport.Kind.DIFFERENT, position, text));
            }
          });
      for (Map.Entry<String, Long> left : expected.entrySet()) {
        if (left.getValue() != null) {
          tally.missingCount++;
          pending.put(left.getKey(), new Pending(ReconcileReport.Kind.MISSING, null, null));
        }
      }
      if (!pending.isEmpty()) {
        drillIn(e, b, pending, tally, budget);
      }
    }
    return new ReconcileReport.EntityResult(
        e.schemas.entity(),
        tally.expected,
        tally.actual,
        sorted(tally.missing),
        tally.missingCount,
        sorted(tally.extra),
        tally.extraCount,
        tally.different.stream().sorted().toList(),
        tally.differentCount,
        List.copyOf(tally.mismatches));
  }

  /** Reads a mismatching bucket's expected side again for sources and expected values. */
  private void drillIn(
      Entity e, int bucket, Map<String, Pending> pending, Tally tally, int[] budget)
      throws IOException {
    Map<String, LinkedHashSet<ReconcileReport.SourceKey>> sources = new HashMap<>();
    Map<String, String> expectedText = new HashMap<>();
    e.expected.forEach(
        bucket,
        in -> {
          in.readByte();
          String key = Spill.readString(in);
          in.readLong();
          String text = Spill.readString(in);
          ReconcileReport.SourceKey from = readSource(in);
          Pending p = pending.get(key);
          if (p != null) {
            sources.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(from);
            if (p.kind() == ReconcileReport.Kind.DIFFERENT) {
              expectedText.put(key, text);
            }
          }
        });
    for (Map.Entry<String, Pending> m : pending.entrySet()) {
      String key = m.getKey();
      Pending p = m.getValue();
      String shown = Canonical.display(key);
      switch (p.kind()) {
        case MISSING -> tally.missing.add(shown);
        case EXTRA -> tally.extra.add(shown);
        case DIFFERENT ->
            tally.different.add(shown + ": " + differences(expectedText.get(key), p.found()));
      }
      if (budget[0] > 0) {
        budget[0]--;
        long[] position = p.position();
        tally.mismatches.add(
            new ReconcileReport.Mismatch(
                p.kind(),
                key,
                List.copyOf(sources.getOrDefault(key, new LinkedHashSet<>())),
                position == null || position[0] < 0 || position[1] < 0 ? null : position));
      }
    }
  }

  private static String differences(String expected, String found) {
    Map<String, String> want = Canonical.split(expected == null ? "" : expected);
    Map<String, String> have = Canonical.split(found == null ? "" : found);
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> w : want.entrySet()) {
      String h = have.get(w.getKey());
      if (!w.getValue().equals(h)) {
        if (sb.length() > 0) {
          sb.append(", ");
        }
        sb.append(w.getKey()).append(" expected ").append(w.getValue()).append(" found ").append(h);
      }
    }
    return sb.toString();
  }

  private static List<String> sorted(TreeSet<String> sample) {
    return List.copyOf(sample);
  }

  private record Pending(ReconcileReport.Kind kind, long[] position, String found) {}

  /** Counts and capped samples of one entity. */
  private static final class Tally {
    long expected;
    long actual;
    long missingCount;
    long extraCount;
    long differentCount;
    final TreeSet<String> missing = new Capped();
    final TreeSet<String> extra = new Capped();
    final TreeSet<String> different = new Capped();
    final List<ReconcileReport.Mismatch> mismatches = new ArrayList<>();
  }

  /** A sorted set that keeps only its {@link ReconcileReport#SAMPLE} smallest elements. */
  private static final class Capped extends TreeSet<String> {
    @Override
    public boolean add(String s) {
      boolean added = super.add(s);
      if (size() > ReconcileReport.SAMPLE) {
        pollLast();
      }
      return added;
    }
  }

  /** The spill files of one entity. */
  private static final class Entity {
    final EntitySchemas schemas;
    final List<Schema.Field> fields;
    final Spill expected;
    final Spill actual;

    Entity(EntitySchemas schemas, List<Schema.Field> fields, Path dir, int buckets)
        throws IOException {
      this.schemas = schemas;
      this.fields = fields;
      this.expected = new Spill(dir.resolve(schemas.entity() + ".expected"), buckets);
      this.actual = new Spill(dir.resolve(schemas.entity() + ".actual"), buckets);
    }

    void writeExpected(
        String key, boolean delete, String text, String table, Map<String, Object> sourceKey) {
      try {
        DataOutputStream out = expected.out(bucketOf(key, expected.buckets));
        out.writeByte(delete ? DELETE : UPSERT);
        Spill.writeString(out, key);
        out.writeLong(delete ? 0 : Canonical.hash64(text));
        Spill.writeString(out, text);
        Spill.writeString(out, table);
        out.writeInt(sourceKey.size());
        for (Map.Entry<String, Object> k : sourceKey.entrySet()) {
          Spill.writeString(out, k.getKey());
          Spill.writeString(out, k.getValue() == null ? "" : k.getValue().toString());
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Could not spill expected rows of " + schemas.topic(), e);
      }
    }

    void writeActual(String key, String text, long commit, long change) {
      try {
        DataOutputStream out = actual.out(bucketOf(key, actual.buckets));
        Spill.writeString(out, key);
        out.writeLong(Canonical.hash64(text));
        Spill.writeString(out, text);
        out.writeLong(commit);
        out.writeLong(change);
      } catch (IOException e) {
        throw new UncheckedIOException("Could not spill target rows of " + schemas.topic(), e);
      }
    }
  }

  private static void skipSource(DataInputStream in) throws IOException {
    Spill.skipString(in);
    int n = in.readInt();
    for (int i = 0; i < 2 * n; i++) {
      Spill.skipString(in);
    }
  }

  private static ReconcileReport.SourceKey readSource(DataInputStream in) throws IOException {
    String table = Spill.readString(in);
    int n = in.readInt();
    Map<String, Object> key = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      key.put(Spill.readString(in), Spill.readString(in));
    }
    return new ReconcileReport.SourceKey(table, key);
  }

  private GenericRecord avro(Object o, EntitySchemas e, String what) {
    if (o instanceof GenericRecord g) {
      return g;
    }
    throw new IllegalStateException(
        "Service '"
            + service
            + "' produced a "
            + what
            + " of "
            + e.topic()
            + " that is not an Avro record ("
            + (o == null ? "null" : o.getClass().getName())
            + "); reconciliation compares Avro records");
  }

  /** A mapping scope kept in memory for one reconciliation run. */
  private static final class InMemoryScope implements MappingScope {
    private final String service;
    private final Map<String, Map<String, String>> stores = new HashMap<>();

    InMemoryScope(String service) {
      this.service = service;
    }

    @Override
    public String service() {
      return service;
    }

    @Override
    public String get(String store, String key) {
      return stores.getOrDefault(store, Map.of()).get(key);
    }

    @Override
    public void put(String store, String key, String value) {
      Map<String, String> s = stores.computeIfAbsent(store, k -> new HashMap<>());
      if (value == null) {
        s.remove(key);
      } else {
        s.put(key, value);
      }
    }
  }
}
