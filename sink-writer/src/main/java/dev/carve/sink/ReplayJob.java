package dev.carve.sink;

import dev.carve.core.retry.Retrier;
import dev.carve.core.retry.RetriesExhaustedException;
import dev.carve.sink.internal.JdbcTarget;
import dev.carve.sink.internal.PostgresDialect;
import dev.carve.sink.internal.Serdes;
import dev.carve.sink.internal.SinkCounters;
import dev.carve.sink.internal.SinkEngine;
import dev.carve.sink.internal.SinkTools;
import dev.carve.sink.internal.SqlErrors;
import dev.carve.sink.internal.TargetUnavailableException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds a service's store from the earliest offsets of its domain topics ({@code carve replay
 * <service>}).
 *
 * <p>{@link Mode#SHADOW} (the default) writes into a shadow schema {@code
 * <schema>__shadow__<service>} (one per service, so services sharing a schema can replay side by
 * side) with its own consumer (no group; partitions assigned), reads up to the end offsets captured
 * at start, then up to the end offsets captured again (records that arrived meanwhile), and swaps
 * the rebuilt tables in with one transaction ({@code ALTER TABLE ... SET SCHEMA}; the replaced
 * tables are dropped, other objects of the live schema are left alone). Carve's own tables {@code
 * carve_tombstones} and {@code carve_failures} are shared by the services of a schema: only this
 * service's rows of them are replaced. Readers see the old store until that transaction commits and
 * the rebuilt one afterwards, never an empty or half-built one. It then commits the offsets it
 * reached to the live group {@code carve-sink-<service>}, so the live sink continues from the
 * shadow's position. A crash before the swap leaves the live store untouched (the shadow is dropped
 * by the next run); a crash between the swap and the offset commit only makes the live sink
 * redeliver what the guard skips.
 *
 * <p>{@link Mode#IN_PLACE} first rewinds the live group to the earliest offsets, then truncates the
 * tables and their tombstones and re-consumes into the live schema: cheaper, but readers see the
 * store empty and filling up.
 *
 * <p>Lifecycle rule: the live sink of the service must be stopped. Replay checks the live consumer
 * group through the Kafka Admin API and refuses to start while it has members, in this process or
 * any other (IllegalStateException saying to stop it first). Records that still cannot be written
 * are logged in the rebuilt store's {@code carve_failures}; they are not published to the
 * dead-letter topic again. Grants on the old schema are not carried over to the rebuilt one.
 */
public final class ReplayJob {
  private static final Logger LOG = LoggerFactory.getLogger(ReplayJob.class);

  /** Where the rebuild is written. */
  public enum Mode {
    /** Into {@code <schema>__shadow__<service>}, then swapped in: no downtime. */
    SHADOW,
    /** Truncate the live tables and re-consume into them: readers see the store rebuilt. */
    IN_PLACE
  }

  /** The lifecycle of a job: it runs once. */
  public enum State {
    /** Not run yet. */
    CREATED,
    /** Running. */
    RUNNING,
    /** Finished: the store is rebuilt and the live group's offsets moved. */
    DONE,
    /** Failed; see the exception {@link #run} threw. */
    FAILED
  }

  /**
   * What a replay would do (a dry run).
   *
   * @param service the service
   * @param mode shadow or in place
   * @param targetSchema the live schema
   * @param buildSchema the schema written during the rebuild
   * @param currentRows rows per existing table of the live schema (entity tables only)
   * @param partitions offsets per partition
   * @param recordsToRead records between the earliest and the end offsets (upper bound)
   * @param liveSinkMembers members of the live consumer group now; a replay refuses to start while
   *     this is not zero
   */
  public record Plan(
      String service,
      Mode mode,
      String targetSchema,
      String buildSchema,
      Map<String, Long> currentRows,
      List<PartitionPlan> partitions,
      long recordsToRead,
      int liveSinkMembers) {

    /** A plain-language description for {@code --dry-run}. */
    public String describe() {
      StringBuilder sb = new StringBuilder();
      sb.append("Replay of service '").append(service).append("' (").append(mode).append("):\n");
      if (mode == Mode.SHADOW) {
        sb.append("  would drop and rebuild schema \"")
            .append(buildSchema)
            .append("\", then in one transaction replace these tables of \"")
            .append(targetSchema)
            .append("\" (and this service's rows of carve_tombstones and carve_failures) with the")
            .append(" rebuilt ones\n");
      } else {
        sb.append("  would rewind consumer group ")
            .append(ServiceSink.groupId(service))
            .append(" to the earliest offsets and TRUNCATE these tables of \"")
            .append(targetSchema)
            .append("\"\n");
      }
      currentRows.forEach(
          (t, n) ->
              sb.append("  table ")
                  .append(t)
                  .append(": ")
                  .append(String.format(java.util.Locale.ROOT, "%,d", n))
                  .append(" rows now\n"));
      for (PartitionPlan p : partitions) {
        sb.append("  ")
            .append(p.topic())
            .append('/')
            .append(p.partition())
            .append(": read offsets ")
            .append(p.beginning())
            .append("..")
            .append(p.end())
            .append(", live sink at ")
            .append(p.liveCommitted() < 0 ? "none" : Long.toString(p.liveCommitted()))
            .append('\n');
      }
      sb.append("  at most ")
          .append(String.format(java.util.Locale.ROOT, "%,d", recordsToRead))
          .append(" records to read");
      if (liveSinkMembers > 0) {
        sb.append("\n  the live sink is running (consumer group ")
            .append(ServiceSink.groupId(service))
            .append(" has ")
            .append(liveSinkMembers)
            .append(" member(s)): stop it first, or the replay refuses to start");
      }
      return sb.toString();
    }
  }

  /**
   * Offsets of one partition.
   *
   * @param topic the topic
   * @param partition the partition
   * @param beginning the earliest offset
   * @param end the end offset (read_committed)
   * @param liveCommitted the live group's committed offset, or -1 when none
   */
  public record PartitionPlan(
      String topic, int partition, long beginning, long end, long liveCommitted) {}

  /**
   * Progress of a running replay.
   *
   * @param recordsRead records read so far
   * @param recordsTotal records to read (upper bound; compaction markers count)
   * @param recordsPerSecond the average rate so far
   * @param eta estimated time left, or null when unknown
   */
  public record Progress(
      long recordsRead, long recordsTotal, double recordsPerSecond, Duration eta) {}

  /**
   * What a replay did.
   *
   * @param recordsRead records read
   * @param tables counts per table
   * @param failures records that could not be written (logged in {@code carve_failures})
   * @param offsets the offsets committed to the live group
   * @param elapsed how long it took
   * @param swapAttempts how many attempts the swap took (more than 1 when a reader held a live
   *     table longer than {@code swap-lock-timeout}); 0 in place
   */
  public record Result(
      long recordsRead,
      Map<String, TableMetrics> tables,
      long failures,
      Map<String, Long> offsets,
      Duration elapsed,
      int swapAttempts) {}

  private final String service;
  private final SinkOptions options;
  private final Mode mode;
  private final Map<String, String> tablesByTopic;
  private final SinkTools tools;
  private final AtomicReference<State> state = new AtomicReference<>(State.CREATED);

  private ReplayJob(
      String service,
      SinkOptions options,
      Mode mode,
      Deserializer<GenericRecord> keyDeserializer,
      Deserializer<GenericRecord> valueDeserializer) {
    this.service = service;
    this.options = options;
    this.mode = mode;
    this.tools = new SinkTools(service, options, keyDeserializer, valueDeserializer);
    this.tablesByTopic = tools.tablesByTopic();
  }

  /**
   * Creates a replay of one service.
   *
   * @param service the service; never null
   * @param options the sink's options; never null
   * @param mode shadow or in place; never null
   * @param keyDeserializer the Avro key deserializer; never null
   * @param valueDeserializer the Avro value deserializer; never null
   */
  public static ReplayJob create(
      String service,
      SinkOptions options,
      Mode mode,
      Deserializer<GenericRecord> keyDeserializer,
      Deserializer<GenericRecord> valueDeserializer) {
    return new ReplayJob(
        Objects.requireNonNull(service, "service"),
        Objects.requireNonNull(options, "options"),
        Objects.requireNonNull(mode, "mode"),
        Objects.requireNonNull(keyDeserializer, "keyDeserializer"),
        Objects.requireNonNull(valueDeserializer, "valueDeserializer"));
  }

  /**
   * Creates a replay of one service with Carve's Avro deserializers for the configured {@code
   * schema-registry-url}.
   *
   * @throws dev.carve.core.config.ConfigException when {@code schema-registry-url} is missing
   */
  public static ReplayJob create(String service, SinkOptions options, Mode mode) {
    return create(
        service,
        options,
        mode,
        Serdes.deserializer(service, options, true),
        Serdes.deserializer(service, options, false));
  }

  /**
   * The schema the rebuild writes into: {@code <schema>__shadow__<service>} (cut to PostgreSQL's 63
   * bytes with a hash when longer), or the live schema in place.
   */
  public String buildSchema() {
    return mode == Mode.SHADOW
        ? PostgresDialect.scratchSchema(options.schema(), "shadow", service)
        : options.schema();
  }

  /** The job's state. */
  public State state() {
    return state.get();
  }

  /**
   * Says what a replay would change, changing nothing.
   *
   * @throws IllegalStateException when Kafka or the database cannot be read
   */
  public Plan plan() {
    try (Admin admin = tools.admin();
        KafkaConsumer<byte[], byte[]> consumer = tools.consumer("replay")) {
      List<TopicPartition> partitions = partitions(consumer);
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      Map<TopicPartition, OffsetAndMetadata> live = liveOffsets(admin);
      List<PartitionPlan> plans = new ArrayList<>();
      long total = 0;
      for (TopicPartition tp : partitions) {
        OffsetAndMetadata committed = live.get(tp);
        plans.add(
            new PartitionPlan(
                tp.topic(),
                tp.partition(),
                begin.get(tp),
                end.get(tp),
                committed == null ? -1 : committed.offset()));
        total += end.get(tp) - begin.get(tp);
      }
      return new Plan(
          service,
          mode,
          options.schema(),
          buildSchema(),
          currentRows(),
          plans,
          total,
          liveSinkMembers(admin));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "Interrupted while planning the replay of '" + service + "'", e);
    }
  }

  /**
   * Runs the replay in the calling thread.
   *
   * @param progress called after every batch; may be null
   * @throws IllegalStateException when the live sink of the service is running ("stop it first"),
   *     when another replay of the service into the same schema is running, when the job already
   *     ran, or when the replay fails (the message says which step)
   */
  public Result run(Consumer<Progress> progress) {
    if (!state.compareAndSet(State.CREATED, State.RUNNING)) {
      throw new IllegalStateException(
          "This replay of '" + service + "' is " + state.get() + "; create a new ReplayJob");
    }
    long started = System.nanoTime();
    try (JdbcTarget lock = lockReplay();
        Admin admin = tools.admin();
        KafkaConsumer<byte[], byte[]> consumer = tools.consumer("replay")) {
      requireLiveSinkStopped(admin);
      List<TopicPartition> partitions = partitions(consumer);
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long total = 0;
      for (TopicPartition tp : partitions) {
        total += end.get(tp) - begin.get(tp);
      }
      SinkCounters counters = new SinkCounters();
      Result result;
      try (SinkEngine engine = engine(counters)) {
        if (mode == Mode.SHADOW) {
          engine.inTransaction(
              "drop the old shadow schema of '" + service + "'",
              c -> execute(c, PostgresDialect.dropSchema(buildSchema())));
        } else {
          commitLive(admin, begin);
          truncate(engine);
        }
        engine.prepare(List.copyOf(tablesByTopic.values()), false);
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        long read = consume(consumer, engine, partitions, end, total, 0, started, progress);
        Map<TopicPartition, Long> endAgain = consumer.endOffsets(partitions);
        read = consume(consumer, engine, partitions, endAgain, total, read, started, progress);
        Map<TopicPartition, Long> reached = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
          reached.put(tp, consumer.position(tp));
        }
        requireLiveSinkStopped(admin);
        int swapAttempts = mode == Mode.SHADOW ? swap(engine) : 0;
        commitLive(admin, reached);
        Map<String, Long> offsets = new LinkedHashMap<>();
        reached.forEach((tp, o) -> offsets.put(tp.toString(), o));
        result =
            new Result(
                read,
                counters.tables(),
                counters.deadLetteredCount(),
                offsets,
                Duration.ofNanos(System.nanoTime() - started),
                swapAttempts);
      }
      state.set(State.DONE);
      LOG.info("Replay of '{}' done: {}", service, result);
      return result;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      state.set(State.FAILED);
      throw new IllegalStateException("Replay of '" + service + "' was interrupted", e);
    } catch (RetriesExhaustedException e) {
      state.set(State.FAILED);
      throw new IllegalStateException("Replay of '" + service + "' failed: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      state.set(State.FAILED);
      throw e;
    }
  }

  /**
   * Takes the replay lock of the service and schema on a connection of its own, held until it is
   * closed (or the process dies): a second replay started meanwhile would drop the first one's
   * shadow schema, or truncate its tables, under it, and the first would then swap in or commit a
   * half-built store.
   *
   * @throws IllegalStateException when another replay holds it, or the database cannot be reached
   */
  private JdbcTarget lockReplay() {
    JdbcTarget target = new JdbcTarget(options.jdbcUrl(), options.username(), options.password());
    long key = PostgresDialect.replayLockKey(options.schema(), service);
    boolean taken;
    try {
      Connection c = target.connection();
      c.setAutoCommit(true); // a session lock; no transaction held open for the whole replay
      try (PreparedStatement ps = c.prepareStatement(PostgresDialect.tryLockSession())) {
        ps.setLong(1, key);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          taken = rs.getBoolean(1);
        }
      }
    } catch (SQLException | TargetUnavailableException e) {
      target.close();
      throw new IllegalStateException(
          "Cannot start the replay of '"
              + service
              + "': its lock could not be taken on "
              + target.url()
              + ": "
              + e.getMessage(),
          e);
    }
    if (!taken) {
      target.close();
      throw new IllegalStateException(
          "Another replay of '"
              + service
              + "' into schema '"
              + options.schema()
              + "' is running (it holds PostgreSQL advisory lock "
              + key
              + "): wait for it to finish or stop it; two replays would rebuild the same tables"
              + " under each other");
    }
    return target;
  }

  private long consume(
      KafkaConsumer<byte[], byte[]> consumer,
      SinkEngine engine,
      List<TopicPartition> partitions,
      Map<TopicPartition, Long> target,
      long total,
      long alreadyRead,
      long started,
      Consumer<Progress> progress)
      throws InterruptedException {
    long read = alreadyRead;
    while (!reached(consumer, partitions, target)) {
      List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(options.pollTimeout())) {
        batch.add(r);
      }
      if (batch.isEmpty()) {
        continue;
      }
      engine.process(batch);
      read += batch.size();
      if (progress != null) {
        double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
        double rate = read / seconds;
        long left = Math.max(0, total - read);
        Duration eta = rate <= 0 ? null : Duration.ofMillis((long) (left / rate * 1000));
        progress.accept(new Progress(read, Math.max(total, read), rate, eta));
      }
    }
    return read;
  }

  private static boolean reached(
      KafkaConsumer<byte[], byte[]> consumer,
      Collection<TopicPartition> partitions,
      Map<TopicPartition, Long> target) {
    for (TopicPartition tp : partitions) {
      if (consumer.position(tp) < target.get(tp)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Swaps the rebuilt tables in, table by table, in one transaction: each live table moves to a
   * scratch schema of this service, the shadow's table takes its place, and the replaced tables are
   * dropped together with one RESTRICT statement (foreign keys between them do not block it). Other
   * objects in the live schema are left alone; a view depending on a replaced table makes the swap
   * fail and roll back, leaving the live store untouched. A live table with no rebuilt counterpart
   * (its topic is empty) is truncated after the drop. Carve's own tables are shared with the other
   * services of the schema: only this service's rows of them are replaced ({@link
   * #replaceBookkeeping}).
   *
   * <p>{@code ALTER TABLE ... SET SCHEMA} needs an exclusive lock: queued behind a long reader of a
   * live table, it would block every new reader of that table until the reader ends. So each
   * statement of the swap waits at most {@code swap-lock-timeout} ({@code SET LOCAL lock_timeout});
   * a swap that times out rolls back (the live tables untouched) and is tried again up to {@code
   * swap-attempts} times through {@link Retrier}, after which the replay fails and leaves the
   * rebuilt tables in the shadow schema.
   *
   * @return the attempts the swap took
   */
  private int swap(SinkEngine engine) throws InterruptedException {
    String live = options.schema();
    String shadow = buildSchema();
    String old = PostgresDialect.scratchSchema(live, "replaced", service);
    List<String> tables = new ArrayList<>(tablesByTopic.values());
    String what = "swap the tables of schema \"" + shadow + "\" into \"" + live + "\"";
    Retrier retrier =
        new Retrier(
            options.swapAttempts(),
            options.retryBackoff(),
            options.retryMaxBackoff(),
            SqlErrors::isTransient);
    int[] attempts = {0};
    try {
      retrier.call(
          what,
          () -> {
            if (attempts[0]++ > 0) {
              LOG.warn(
                  "Replay of '{}': swap attempt {} of {} (the last one could not get a table lock"
                      + " within swap-lock-timeout {})",
                  service,
                  attempts[0],
                  options.swapAttempts(),
                  options.swapLockTimeout());
            }
            return engine.inTransactionOnce(c -> swapOnce(c, live, shadow, old, tables));
          });
    } catch (RetriesExhaustedException e) {
      throw new RetriesExhaustedException(
          "Failed to "
              + what
              + " after "
              + e.attempts()
              + " attempt(s), each waiting at most swap-lock-timeout "
              + options.swapLockTimeout()
              + " for its locks: "
              + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage())
              + ". The live tables are untouched and the rebuilt ones remain in schema \""
              + shadow
              + "\"; end the long transactions on the live tables (pg_stat_activity) and run the"
              + " replay again",
          e.getCause(),
          e.attempts(),
          e.retriable());
    }
    LOG.info(
        "Replay of '{}': swapped the rebuilt tables into schema \"{}\" ({} attempt(s))",
        service,
        live,
        attempts[0]);
    return attempts[0];
  }

  private Void swapOnce(Connection c, String live, String shadow, String old, List<String> tables)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(PostgresDialect.setLocalLockTimeout())) {
      ps.setString(1, options.swapLockTimeout().toMillis() + "ms");
      ps.execute();
    }
    execute(c, PostgresDialect.dropSchema(old));
    execute(c, PostgresDialect.createSchema(old));
    execute(c, PostgresDialect.createSchema(live));
    List<String> replaced = new ArrayList<>();
    List<String> emptied = new ArrayList<>();
    for (String table : tables) {
      boolean rebuilt = SinkTools.tableExists(c, shadow, table);
      boolean existing = SinkTools.tableExists(c, live, table);
      if (rebuilt) {
        if (existing) {
          execute(c, PostgresDialect.moveTable(live, table, old));
          replaced.add(table);
        }
        execute(c, PostgresDialect.moveTable(shadow, table, live));
      } else if (existing) {
        emptied.add(table);
      }
    }
    // One statement: foreign keys between the replaced tables (the service's own DDL) would
    // make dropping them one by one fail, whatever the order.
    if (!replaced.isEmpty()) {
      execute(c, PostgresDialect.dropTablesRestrict(old, replaced));
    }
    // After the drop, so a foreign key from a replaced table no longer blocks the truncate.
    if (!emptied.isEmpty()) {
      execute(c, PostgresDialect.truncate(live, emptied));
    }
    replaceBookkeeping(c, live, shadow, tables);
    execute(c, PostgresDialect.dropSchemaRestrict(old));
    execute(c, PostgresDialect.dropSchema(shadow));
    return null;
  }

  /**
   * Replaces this service's rows of Carve's own tables in the live schema with the rebuilt ones:
   * the tombstones of its tables and its failure-log entries. Other services writing into the same
   * schema keep theirs.
   */
  private void replaceBookkeeping(Connection c, String live, String shadow, List<String> tables)
      throws SQLException {
    execute(c, PostgresDialect.createTombstoneTable(live));
    execute(c, PostgresDialect.createTombstoneIndex(live));
    execute(c, PostgresDialect.createFailureTable(live));
    Array names = c.createArrayOf("text", tables.toArray());
    try {
      try (PreparedStatement ps = c.prepareStatement(PostgresDialect.deleteTombstonesOf(live))) {
        ps.setArray(1, names);
        ps.executeUpdate();
      }
      if (SinkTools.tableExists(c, shadow, PostgresDialect.TOMBSTONES)) {
        try (PreparedStatement ps =
            c.prepareStatement(PostgresDialect.copyTombstonesOf(shadow, live))) {
          ps.setArray(1, names);
          ps.executeUpdate();
        }
      }
    } finally {
      names.free();
    }
    try (PreparedStatement ps = c.prepareStatement(PostgresDialect.deleteFailuresOf(live))) {
      ps.setString(1, service);
      ps.executeUpdate();
    }
    if (SinkTools.tableExists(c, shadow, PostgresDialect.FAILURES)) {
      try (PreparedStatement ps =
          c.prepareStatement(PostgresDialect.copyFailuresOf(shadow, live))) {
        ps.setString(1, service);
        ps.executeUpdate();
      }
    }
  }

  private void truncate(SinkEngine engine) throws InterruptedException {
    engine.inTransaction(
        "truncate the tables of '" + service + "'",
        c -> {
          List<String> existing = new ArrayList<>();
          for (String table : tablesByTopic.values()) {
            if (SinkTools.tableExists(c, options.schema(), table)) {
              existing.add(table);
            }
          }
          if (!existing.isEmpty()) {
            execute(c, PostgresDialect.truncate(options.schema(), existing));
          }
          if (SinkTools.tableExists(c, options.schema(), PostgresDialect.TOMBSTONES)) {
            try (PreparedStatement ps =
                c.prepareStatement(PostgresDialect.deleteTombstonesOf(options.schema()))) {
              ps.setArray(1, c.createArrayOf("text", tablesByTopic.values().toArray()));
              ps.executeUpdate();
            }
          }
          return null;
        });
  }

  private Map<String, Long> currentRows() throws InterruptedException {
    try (SinkEngine engine = engine(new SinkCounters())) {
      return engine.inTransaction(
          "count the rows of '" + service + "'",
          c -> {
            Map<String, Long> rows = new LinkedHashMap<>();
            for (String table : tablesByTopic.values()) {
              if (SinkTools.tableExists(c, options.schema(), table)) {
                try (Statement s = c.createStatement();
                    ResultSet rs =
                        s.executeQuery(PostgresDialect.countRows(options.schema(), table))) {
                  rs.next();
                  rows.put(table, rs.getLong(1));
                }
              }
            }
            return rows;
          });
    }
  }

  private SinkEngine engine(SinkCounters counters) {
    return tools.engine(
        buildSchema(), mode == Mode.SHADOW ? DdlMode.CREATE : options.ddl(), () -> false, counters);
  }

  private void requireLiveSinkStopped(Admin admin) throws InterruptedException {
    int members = liveSinkMembers(admin);
    if (members > 0) {
      throw new IllegalStateException(
          "Cannot replay '"
              + service
              + "' while its sink is running (consumer group "
              + ServiceSink.groupId(service)
              + " has "
              + members
              + " member(s)); stop the sink first");
    }
  }

  /** Members of the live consumer group; 0 when the group does not exist. */
  private int liveSinkMembers(Admin admin) throws InterruptedException {
    String group = ServiceSink.groupId(service);
    try {
      ConsumerGroupDescription d =
          admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
      return d.members().size();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) {
        return 0;
      }
      throw new IllegalStateException(
          "Cannot check consumer group " + group + ": " + e.getCause(), e.getCause());
    }
  }

  private Map<TopicPartition, OffsetAndMetadata> liveOffsets(Admin admin)
      throws InterruptedException {
    String group = ServiceSink.groupId(service);
    try {
      Map<TopicPartition, OffsetAndMetadata> m =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, OffsetAndMetadata> out = new LinkedHashMap<>();
      m.forEach(
          (tp, o) -> {
            if (o != null) {
              out.put(tp, o);
            }
          });
      return out;
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "Cannot read the offsets of consumer group " + group + ": " + e.getCause(), e.getCause());
    }
  }

  private void commitLive(Admin admin, Map<TopicPartition, Long> offsets)
      throws InterruptedException {
    String group = ServiceSink.groupId(service);
    Map<TopicPartition, OffsetAndMetadata> out = new LinkedHashMap<>();
    offsets.forEach((tp, o) -> out.put(tp, new OffsetAndMetadata(o)));
    try {
      admin.alterConsumerGroupOffsets(group, out).all().get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "Cannot commit offsets "
              + offsets
              + " to consumer group "
              + group
              + " (is its sink running? stop it first): "
              + e.getCause(),
          e.getCause());
    }
  }

  private List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer) {
    List<TopicPartition> out = new ArrayList<>();
    for (String topic : tablesByTopic.keySet()) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException(
            "Topic '" + topic + "' of service '" + service + "' does not exist");
      }
      for (PartitionInfo p : infos) {
        out.add(new TopicPartition(topic, p.partition()));
      }
    }
    return out;
  }

  private static Object execute(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
    return null;
  }

  @Override
  public String toString() {
    StringJoiner j = new StringJoiner(", ", "ReplayJob{", "}");
    j.add("service=" + service).add("mode=" + mode).add("schema=" + buildSchema());
    return j.toString();
  }
}
