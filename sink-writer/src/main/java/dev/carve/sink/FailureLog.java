package dev.carve.sink;

import dev.carve.core.retry.RetriesExhaustedException;
import dev.carve.sink.internal.PostgresDialect;
import dev.carve.sink.internal.Serdes;
import dev.carve.sink.internal.SinkCounters;
import dev.carve.sink.internal.SinkEngine;
import dev.carve.sink.internal.SinkTools;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The failure log of a service's sink ({@code carve_failures} in the target schema): records the
 * sink could not write, for {@code carve dlq list | show | retry | purge}. A retry re-reads the
 * record from its domain topic at its offset and writes it through the same guarded writer, so a
 * retried old record never overwrites a newer row.
 *
 * <p>Not thread-safe; open one per command and close it.
 */
public final class FailureLog implements AutoCloseable {
  /**
   * How many entries {@link #retryEveryOpen} and {@link #planEveryOpen} read at a time unless told
   * otherwise: their memory stays bounded however many failures are open.
   */
  public static final int PAGE_SIZE = 1000;

  private static final Duration READ_TIMEOUT = Duration.ofSeconds(15);

  private final String service;
  private final SinkTools tools;
  private final SinkEngine engine;
  private final String schema;
  private final Duration tombstoneRetention;
  private final Duration failureRetention;

  private FailureLog(
      String service,
      SinkOptions options,
      Deserializer<GenericRecord> keyDeserializer,
      Deserializer<GenericRecord> valueDeserializer) {
    this.service = service;
    this.schema = options.schema();
    this.tombstoneRetention = options.tombstoneRetention();
    this.failureRetention = options.failureRetention();
    this.tools = new SinkTools(service, options, keyDeserializer, valueDeserializer);
    // A retry is run by a person: report a database outage at once instead of waiting for it.
    this.engine = tools.engine(schema, options.ddl(), () -> true, new SinkCounters());
  }

  /**
   * Opens the failure log of a service; connects lazily.
   *
   * @param service the service; never null
   * @param options the sink's options (database, schema, Kafka for retries); never null
   * @param keyDeserializer the Avro key deserializer (for retries); never null
   * @param valueDeserializer the Avro value deserializer (for retries); never null
   */
  public static FailureLog open(
      String service,
      SinkOptions options,
      Deserializer<GenericRecord> keyDeserializer,
      Deserializer<GenericRecord> valueDeserializer) {
    return new FailureLog(
        Objects.requireNonNull(service, "service"),
        Objects.requireNonNull(options, "options"),
        Objects.requireNonNull(keyDeserializer, "keyDeserializer"),
        Objects.requireNonNull(valueDeserializer, "valueDeserializer"));
  }

  /**
   * Opens the failure log of a service with Carve's Avro deserializers for the configured {@code
   * schema-registry-url}.
   *
   * @throws dev.carve.core.config.ConfigException when {@code schema-registry-url} is missing
   */
  public static FailureLog open(String service, SinkOptions options) {
    return open(
        service,
        options,
        Serdes.deserializer(service, options, true),
        Serdes.deserializer(service, options, false));
  }

  /**
   * Lists entries, oldest first: at most {@link FailureFilter#limit()} of them ({@link
   * #count(FailureFilter)} says how many there are).
   *
   * @throws IllegalStateException when the database cannot be read (message names the service)
   */
  public List<FailureEntry> list(FailureFilter filter) {
    return list(filter, 0);
  }

  /**
   * Lists the entries after an id, oldest first (by id): the page that follows the one whose last
   * entry had {@code afterId}, at most {@link FailureFilter#limit()} entries.
   *
   * @param afterId the last id of the previous page; 0 for the first page
   * @throws IllegalStateException when the database cannot be read (message names the service)
   */
  public List<FailureEntry> list(FailureFilter filter, long afterId) {
    Objects.requireNonNull(filter, "filter");
    String status = filter.status() == null ? null : filter.status().name();
    return query(
        "list failures",
        c -> {
          List<FailureEntry> out = new ArrayList<>();
          if (!logExists(c)) {
            return out;
          }
          try (PreparedStatement ps = c.prepareStatement(PostgresDialect.listFailures(schema))) {
            ps.setString(1, service);
            ps.setString(2, status);
            ps.setString(3, status);
            ps.setString(4, filter.topic());
            ps.setString(5, filter.topic());
            ps.setLong(6, afterId);
            ps.setInt(7, filter.limit());
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(entry(rs));
              }
            }
          }
          return out;
        });
  }

  /**
   * How many entries the filter selects, whatever its limit.
   *
   * @throws IllegalStateException when the database cannot be read (message names the service)
   */
  public long count(FailureFilter filter) {
    Objects.requireNonNull(filter, "filter");
    String status = filter.status() == null ? null : filter.status().name();
    return query(
        "count failures",
        c -> {
          if (!logExists(c)) {
            return 0L;
          }
          try (PreparedStatement ps = c.prepareStatement(PostgresDialect.countFailures(schema))) {
            ps.setString(1, service);
            ps.setString(2, status);
            ps.setString(3, status);
            ps.setString(4, filter.topic());
            ps.setString(5, filter.topic());
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getLong(1);
            }
          }
        });
  }

  /**
   * One entry of this service, or empty when there is none with that id (an entry of another
   * service logged in the same schema is not shown).
   */
  public Optional<FailureEntry> show(long id) {
    return query(
        "show failure " + id,
        c -> {
          if (!logExists(c)) {
            return Optional.<FailureEntry>empty();
          }
          try (PreparedStatement ps = c.prepareStatement(PostgresDialect.showFailure(schema))) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next()
                  ? Optional.of(entry(rs)).filter(e -> e.service().equals(service))
                  : Optional.<FailureEntry>empty();
            }
          }
        });
  }

  /**
   * Retries one entry unless it is older than {@code tombstone-retention}: {@link #retry(long,
   * boolean)} without forcing.
   */
  public RetryOutcome retry(long id) {
    return retry(id, false);
  }

  /**
   * Retries one entry: re-reads the record at its topic, partition and offset and writes it.
   *
   * <p>An entry that first failed longer ago than {@code tombstone-retention} is refused unless
   * {@code forceOlderThanTombstones}: a delete of its key newer than the record may have been
   * applied since, and its tombstone, which is what stops an older upsert, may already be
   * collected, so writing the record could bring a deleted row back. The age is measured from the
   * first failure (by the database's clock), since every failed retry moves {@code last_seen}.
   *
   * @param forceOlderThanTombstones retry even an entry older than {@code tombstone-retention}
   * @return the outcome; an entry that fails again stays open with the new error and one more
   *     attempt; a refused entry stays open, unchanged ({@link RetryOutcome#refused()})
   * @throws IllegalArgumentException when there is no entry with that id for this service
   */
  public RetryOutcome retry(long id, boolean forceOlderThanTombstones) {
    FailureEntry e =
        show(id)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "No failure with id " + id + " for service '" + service + "'"));
    return retry(plan(e, databaseNow(), forceOlderThanTombstones));
  }

  private RetryOutcome retry(PlannedRetry plan) {
    FailureEntry e = plan.entry();
    long id = e.id();
    if (e.status() == FailureStatus.RESOLVED) {
      return new RetryOutcome(id, true, "already resolved");
    }
    if (!plan.wouldRetry()) {
      return new RetryOutcome(id, false, plan.refusal(), true);
    }
    Optional<ConsumerRecord<byte[], byte[]>> record = read(e);
    if (record.isEmpty()) {
      return new RetryOutcome(
          id,
          false,
          "Record "
              + e.topic()
              + "/"
              + e.partition()
              + "@"
              + e.offset()
              + " is no longer in the topic (compacted or expired); purge the entry");
    }
    SinkEngine.Result result = process(record.get());
    if (!result.deadLetters().isEmpty()) {
      return new RetryOutcome(id, false, result.deadLetters().get(0).reason());
    }
    query(
        "resolve failure " + id,
        c -> {
          try (PreparedStatement ps = c.prepareStatement(PostgresDialect.resolveFailure(schema))) {
            ps.setLong(1, id);
            ps.executeUpdate();
          }
          return null;
        });
    return new RetryOutcome(id, true, "written");
  }

  /**
   * Retries the open entries the filter selects, at most {@link FailureFilter#limit()}, oldest
   * first, without forcing; {@link #retryEveryOpen} retries all of them.
   */
  public List<RetryOutcome> retryAll(FailureFilter filter) {
    return retryAll(filter, false);
  }

  /**
   * Retries the open entries the filter selects, at most {@link FailureFilter#limit()}, oldest
   * first; entries older than {@code tombstone-retention} are refused (each with its own outcome)
   * unless {@code forceOlderThanTombstones} (see {@link #retry(long, boolean)}). {@link
   * #retryEveryOpen} retries all of them.
   */
  public List<RetryOutcome> retryAll(FailureFilter filter, boolean forceOlderThanTombstones) {
    List<RetryOutcome> out = new ArrayList<>();
    for (PlannedRetry p : planRetry(filter, forceOlderThanTombstones)) {
      out.add(retry(p));
    }
    return out;
  }

  /**
   * The dry run of {@link #retryAll(FailureFilter, boolean)}: the open entries the filter selects,
   * at most {@link FailureFilter#limit()}, oldest first, with their age and whether they would be
   * retried; writes nothing. {@link #planEveryOpen} plans all of them.
   */
  public List<PlannedRetry> planRetry(FailureFilter filter, boolean forceOlderThanTombstones) {
    Instant now = databaseNow();
    List<PlannedRetry> out = new ArrayList<>();
    for (FailureEntry e : list(filter)) {
      if (e.status() == FailureStatus.OPEN) {
        out.add(plan(e, now, forceOlderThanTombstones));
      }
    }
    return out;
  }

  /**
   * Retries every open entry of this service, oldest first, reading {@code pageSize} of them at a
   * time, and hands each outcome to {@code each} as soon as it is known. Each retry is {@link
   * #retry(long, boolean)}'s: refused when older than {@code tombstone-retention} unless {@code
   * forceOlderThanTombstones}, one more attempt when it fails again. A page starts after the last
   * id of the one before, so entries that stay open (refused, failed again) are retried once and do
   * not hold up the ones after them. An entry that fails for the first time while this runs has a
   * newer id than all before it: it is retried too unless the run has ended.
   *
   * @param pageSize entries per page, at least 1 ({@link #PAGE_SIZE} unless a test wants small
   *     pages)
   * @param each receives every outcome, in id order; never null
   * @return how many entries were retried or refused
   * @throws IllegalStateException when the database cannot be read or written; the outcomes handed
   *     to {@code each} before stand
   */
  public long retryEveryOpen(
      boolean forceOlderThanTombstones, int pageSize, Consumer<? super RetryOutcome> each) {
    Objects.requireNonNull(each, "each");
    return forEachOpenPage(
        pageSize,
        page -> {
          // The clock is read per page: a run over many pages may take hours.
          Instant now = databaseNow();
          for (FailureEntry e : page) {
            each.accept(retry(plan(e, now, forceOlderThanTombstones)));
          }
        });
  }

  /**
   * The dry run of {@link #retryEveryOpen}: every open entry of this service, oldest first, read
   * {@code pageSize} at a time, with its age and whether it would be retried; writes nothing.
   *
   * @param pageSize entries per page, at least 1
   * @param each receives every plan, in id order; never null
   * @return how many entries were planned
   */
  public long planEveryOpen(
      boolean forceOlderThanTombstones, int pageSize, Consumer<? super PlannedRetry> each) {
    Objects.requireNonNull(each, "each");
    Instant now = databaseNow();
    return forEachOpenPage(
        pageSize,
        page -> {
          for (FailureEntry e : page) {
            each.accept(plan(e, now, forceOlderThanTombstones));
          }
        });
  }

  /** Hands the open entries to {@code page} a page at a time; returns how many there were. */
  private long forEachOpenPage(int pageSize, Consumer<List<FailureEntry>> page) {
    if (pageSize < 1) {
      throw new IllegalArgumentException("pageSize must be at least 1, was " + pageSize);
    }
    FailureFilter filter = new FailureFilter(FailureStatus.OPEN, null, pageSize);
    long afterId = 0;
    long seen = 0;
    while (true) {
      List<FailureEntry> entries = list(filter, afterId);
      if (entries.isEmpty()) {
        return seen;
      }
      page.accept(entries);
      seen += entries.size();
      afterId = entries.get(entries.size() - 1).id();
      if (entries.size() < pageSize) {
        return seen;
      }
    }
  }

  /**
   * The dry run of {@link #retry(long, boolean)} for one entry; empty when there is no entry with
   * that id for this service.
   */
  public Optional<PlannedRetry> planRetry(long id, boolean forceOlderThanTombstones) {
    Instant now = databaseNow();
    return show(id).map(e -> plan(e, now, forceOlderThanTombstones));
  }

  private PlannedRetry plan(FailureEntry e, Instant now, boolean force) {
    Duration age = Duration.between(e.firstSeen(), now);
    if (age.isNegative()) {
      age = Duration.ZERO;
    }
    if (force || e.status() != FailureStatus.OPEN || age.compareTo(tombstoneRetention) <= 0) {
      return new PlannedRetry(e, age, null);
    }
    return new PlannedRetry(
        e,
        age,
        "Not retried: failure "
            + e.id()
            + " of service '"
            + service
            + "' ("
            + e.topic()
            + "/"
            + e.partition()
            + "@"
            + e.offset()
            + ") first failed "
            + describe(age)
            + " ago, longer than "
            + SinkOptions.TOMBSTONE_RETENTION.key()
            + " ("
            + describe(tombstoneRetention)
            + "; "
            + SinkOptions.FAILURE_RETENTION.key()
            + " is "
            + describe(failureRetention)
            + "): the tombstone of a newer delete of its key may already be collected, so"
            + " writing it could bring a deleted row back. Check the key's current state first,"
            + " then force the retry (carve dlq retry --force-older-than-tombstones)");
  }

  /**
   * A duration for messages, in its two largest units: {@code 8d 3h}, {@code 7d}, {@code 45s}.
   *
   * @param d the duration; never null
   */
  public static String describe(Duration d) {
    long[] values = {d.toDaysPart(), d.toHoursPart(), d.toMinutesPart(), d.toSecondsPart()};
    String[] units = {"d", "h", "m", "s"};
    StringBuilder out = new StringBuilder();
    int shown = 0;
    for (int i = 0; i < values.length && shown < 2; i++) {
      if (values[i] != 0) {
        out.append(out.length() == 0 ? "" : " ").append(values[i]).append(units[i]);
        shown++;
      } else if (shown > 0) {
        break;
      }
    }
    return out.length() == 0 ? d.toMillis() + "ms" : out.toString();
  }

  private Instant databaseNow() {
    return query(
        "read the database clock",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(PostgresDialect.now());
              ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getTimestamp(1).toInstant();
          }
        });
  }

  /**
   * Deletes entries.
   *
   * @param olderThan only entries last seen longer ago than this; null for any age
   * @param status only entries in this state; null for any
   * @return how many entries were deleted
   */
  public int purge(Duration olderThan, FailureStatus status) {
    return query(
        "purge failures",
        c -> {
          if (!logExists(c)) {
            return 0;
          }
          try (PreparedStatement ps = c.prepareStatement(PostgresDialect.purgeFailures(schema))) {
            bindPurgeable(ps, olderThan, status);
            return ps.executeUpdate();
          }
        });
  }

  /**
   * Counts the entries {@link #purge} would delete with the same arguments, deleting nothing (for a
   * dry run; the same condition, evaluated by the database's clock).
   *
   * @param olderThan only entries last seen longer ago than this; null for any age
   * @param status only entries in this state; null for any
   */
  public long countPurgeable(Duration olderThan, FailureStatus status) {
    return query(
        "count purgeable failures",
        c -> {
          if (!logExists(c)) {
            return 0L;
          }
          try (PreparedStatement ps =
              c.prepareStatement(PostgresDialect.countPurgeableFailures(schema))) {
            bindPurgeable(ps, olderThan, status);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getLong(1);
            }
          }
        });
  }

  private void bindPurgeable(PreparedStatement ps, Duration olderThan, FailureStatus status)
      throws SQLException {
    ps.setString(1, service);
    if (olderThan == null) {
      ps.setNull(2, Types.BIGINT);
      ps.setNull(3, Types.BIGINT);
    } else {
      ps.setLong(2, olderThan.toMillis());
      ps.setLong(3, olderThan.toMillis());
    }
    ps.setString(4, status == null ? null : status.name());
    ps.setString(5, status == null ? null : status.name());
  }

  private SinkEngine.Result process(ConsumerRecord<byte[], byte[]> record) {
    try {
      return engine.process(List.of(record));
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "Interrupted while retrying a failure of '" + service + "'", ex);
    } catch (RetriesExhaustedException ex) {
      throw new IllegalStateException(
          "Cannot retry a failure of service '" + service + "': " + ex.getMessage(), ex);
    }
  }

  private Optional<ConsumerRecord<byte[], byte[]>> read(FailureEntry e) {
    TopicPartition tp = new TopicPartition(e.topic(), e.partition());
    try (KafkaConsumer<byte[], byte[]> consumer = tools.consumer("dlq-retry")) {
      consumer.assign(List.of(tp));
      consumer.seek(tp, e.offset());
      long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          return r.offset() == e.offset() ? Optional.of(r) : Optional.empty();
        }
        if (consumer.position(tp) > e.offset()) {
          return Optional.empty();
        }
      }
      return Optional.empty();
    }
  }

  private interface Query<T> {
    T run(Connection c) throws Exception;
  }

  private <T> T query(String what, Query<T> q) {
    try {
      return engine.inTransaction(what + " of service '" + service + "'", q::run);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted: " + what + " of service '" + service + "'", ex);
    } catch (RetriesExhaustedException ex) {
      throw new IllegalStateException(ex.getMessage(), ex.getCause());
    }
  }

  private boolean logExists(Connection c) throws SQLException {
    return SinkTools.tableExists(c, schema, PostgresDialect.FAILURES);
  }

  private static FailureEntry entry(ResultSet rs) throws SQLException {
    return new FailureEntry(
        rs.getLong(1),
        rs.getString(2),
        rs.getString(3),
        rs.getInt(4),
        rs.getLong(5),
        rs.getString(6),
        rs.getString(7),
        rs.getInt(8),
        rs.getTimestamp(9).toInstant(),
        rs.getTimestamp(10).toInstant(),
        FailureStatus.valueOf(rs.getString(11)));
  }

  @Override
  public void close() {
    engine.close();
  }
}
