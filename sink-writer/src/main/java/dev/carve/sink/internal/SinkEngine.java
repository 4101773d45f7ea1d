package dev.carve.sink.internal;

import dev.carve.core.CarveHeaders;
import dev.carve.core.Topics;
import dev.carve.core.error.OnError;
import dev.carve.core.retry.Retrier;
import dev.carve.core.retry.RetriesExhaustedException;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write path shared by the live sink, replay and failure-log retries: decodes a batch of
 * records, writes it in one database transaction with retries, logs records that can never be
 * written in {@code carve_failures} (same transaction) and publishes them to the dead-letter topic.
 * The caller commits Kafka offsets after {@link #process} returned, so offsets never run ahead of
 * the database.
 *
 * <p>Transient database errors are retried with exponential backoff through {@link Retrier} up to
 * {@code max-retries}; then the engine keeps retrying every {@code retry-max-backoff} for as long
 * as the database stays unavailable (a sink that gave up would need a person to restart it, and
 * nothing is gained: the records wait in Kafka either way). The wait ends when the database is
 * back, or when the owner asks to stop ({@code stopping}), which rolls the batch back.
 *
 * <p>A record that cannot be decoded because the schema registry is unreachable is not a bad
 * record: the batch is decoded again with the same bounded backoff, and when the registry stays
 * away {@link #process} fails before anything is written, logged or published, so its offsets are
 * never committed.
 */
public final class SinkEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SinkEngine.class);

  private final String service;
  private final RecordDecoder decoder;
  private final JdbcTarget target;
  private final BatchWriter writer;
  private final OnError onError;
  private final Producer<byte[], byte[]> deadLetterProducer;
  private final Retrier retrier;
  private final Retrier patientRetrier;
  private final Retrier registryRetrier;
  private final BooleanSupplier stopping;
  private final SinkCounters counters;

  /**
   * A record the engine gave up on.
   *
   * @param source the original record
   * @param key a readable form of its key
   * @param error why
   */
  public record DeadLetter(ConsumerRecord<byte[], byte[]> source, String key, Exception error) {
    /** The error as logged and put into the header: class and message. */
    public String reason() {
      String m = error.getMessage();
      return error.getClass().getSimpleName() + ": " + (m == null ? "" : m);
    }
  }

  /**
   * What one batch did.
   *
   * @param outcome counts per table and write failures
   * @param deadLetters every record given up on (bad records and write failures)
   */
  public record Result(BatchWriter.Outcome outcome, List<DeadLetter> deadLetters) {}

  /** Settings of the engine. */
  public record Settings(
      String service,
      OnError onError,
      int maxRetries,
      Duration retryBackoff,
      Duration retryMaxBackoff) {}

  /**
   * Creates the engine.
   *
   * @param deadLetterProducer producer for {@code <service>.dlq}; null to log failures only
   * @param stopping true once the owner wants to stop: ends the wait for the database
   */
  public SinkEngine(
      Settings settings,
      RecordDecoder decoder,
      JdbcTarget target,
      TargetTables tables,
      Producer<byte[], byte[]> deadLetterProducer,
      BooleanSupplier stopping,
      SinkCounters counters) {
    this.service = settings.service();
    this.decoder = Objects.requireNonNull(decoder);
    this.target = Objects.requireNonNull(target);
    this.writer = new BatchWriter(tables);
    this.onError = settings.onError();
    this.deadLetterProducer = deadLetterProducer;
    this.stopping = Objects.requireNonNull(stopping);
    this.counters = Objects.requireNonNull(counters);
    this.retrier =
        new Retrier(
            settings.maxRetries() + 1,
            settings.retryBackoff(),
            settings.retryMaxBackoff(),
            this::retriable);
    this.patientRetrier =
        new Retrier(
            Integer.MAX_VALUE,
            settings.retryMaxBackoff(),
            settings.retryMaxBackoff(),
            this::retriable);
    this.registryRetrier =
        new Retrier(
            settings.maxRetries() + 1,
            settings.retryBackoff(),
            settings.retryMaxBackoff(),
            e -> !stopping.getAsBoolean() && e instanceof RegistryUnavailableException);
  }

  private boolean retriable(Throwable e) {
    return !stopping.getAsBoolean() && SqlErrors.isTransient(e);
  }

  /** The tables written by this engine. */
  public TargetTables tables() {
    return writer.tables();
  }

  /** The database connection holder. */
  public JdbcTarget target() {
    return target;
  }

  /**
   * Creates Carve's tables and, in validate mode, checks the target tables exist.
   *
   * @throws RetriesExhaustedException when it fails for good (the cause says why)
   * @throws InterruptedException when interrupted while waiting
   */
  public void prepare(List<String> tableNames, boolean validate) throws InterruptedException {
    inTransaction(
        "prepare schema '" + tables().schema() + "' of service '" + service + "'",
        c -> {
          tables().prepare(c);
          if (validate) {
            tables().validateExist(c, tableNames);
          }
          return null;
        });
  }

  /**
   * Decodes and writes a batch, logs and publishes what can never be written.
   *
   * @throws RetriesExhaustedException when the batch cannot be written (fatal error, on-error fail,
   *     the schema registry unreachable after the retries, or stop requested while waiting);
   *     nothing of the batch is committed then
   * @throws InterruptedException when interrupted while waiting
   */
  public Result process(List<ConsumerRecord<byte[], byte[]>> records) throws InterruptedException {
    Decoded batch = decode(records);
    List<ChangeRecord> decoded = batch.records();
    List<DeadLetter> bad = batch.bad();
    if (!bad.isEmpty() && onError == OnError.FAIL) {
      throw new RetriesExhaustedException(
          "Service '" + service + "': " + bad.get(0).reason() + " (on-error: fail)",
          bad.get(0).error(),
          1,
          false);
    }
    String what =
        "write a batch of "
            + records.size()
            + " records of service '"
            + service
            + "' to schema '"
            + tables().schema()
            + "'";
    List<DeadLetter> deadLetters = new ArrayList<>(bad);
    BatchWriter.Outcome outcome =
        inTransaction(
            what,
            c -> {
              BatchWriter.Outcome o;
              try {
                o = writer.write(c, decoded);
              } catch (BatchWriter.FatalWriteException e) {
                // Not the rows' fault: stop before committing rather than dead-letter them all.
                throw new BatchWriter.FatalWriteException(
                    "Service '" + service + "': " + e.getMessage(), e);
              }
              List<DeadLetter> all = new ArrayList<>(bad);
              for (BatchWriter.Failure f : o.failures()) {
                String reason =
                    "Cannot write "
                        + f.record().where()
                        + " key "
                        + f.record().key()
                        + " to table "
                        + PostgresDialect.qualified(tables().schema(), f.record().table())
                        + ": "
                        + f.error().getMessage();
                all.add(
                    new DeadLetter(
                        f.record().source(),
                        f.record().key().toString(),
                        new SQLException(reason, f.error())));
              }
              if (!o.failures().isEmpty() && onError == OnError.FAIL) {
                throw new PermanentFailure(
                    all.get(all.size() - 1).reason() + " (on-error: fail)", f0(o));
              }
              recordFailures(c, all);
              deadLetters.clear();
              deadLetters.addAll(all);
              return o;
            });
    publish(deadLetters);
    counters.add(outcome.counts());
    counters.deadLettered(deadLetters.size());
    return new Result(outcome, deadLetters);
  }

  /** A decoded batch: the records to write and those that can never be decoded. */
  private record Decoded(List<ChangeRecord> records, List<DeadLetter> bad) {}

  /**
   * Decodes a batch; while the schema registry is unreachable, decodes it again with backoff (a
   * record is dead-lettered only for what is wrong with the record itself).
   */
  private Decoded decode(List<ConsumerRecord<byte[], byte[]>> records) throws InterruptedException {
    try {
      return registryRetrier.call(
          "decode a batch of " + records.size() + " records of service '" + service + "'",
          () -> {
            List<ChangeRecord> decoded = new ArrayList<>(records.size());
            List<DeadLetter> bad = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : records) {
              try {
                decoded.add(decoder.decode(r));
              } catch (BadRecordException e) {
                bad.add(new DeadLetter(r, keyText(r), e));
              }
            }
            return new Decoded(decoded, bad);
          });
    } catch (RetriesExhaustedException e) {
      counters.error(e.getMessage());
      throw e;
    }
  }

  private static Exception f0(BatchWriter.Outcome o) {
    return o.failures().get(0).error();
  }

  /** A write failure under on-error: fail; not retried. */
  private static final class PermanentFailure extends Exception {
    private static final long serialVersionUID = 1L;

    PermanentFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Work inside a transaction. */
  @FunctionalInterface
  public interface TransactionWork<T> {
    /** Runs the work on the connection; the engine commits afterwards. */
    T run(Connection c) throws Exception;
  }

  /**
   * Runs work in one transaction with the engine's retries; rolls back (and forgets the checked
   * table shapes) on any failure.
   */
  public <T> T inTransaction(String what, TransactionWork<T> work) throws InterruptedException {
    int[] attempts = {0};
    Retrier.Action<T> action =
        () -> {
          if (attempts[0]++ > 0) {
            counters.retried();
          }
          return inTransactionOnce(work);
        };
    try {
      T result = retrier.call(what, action);
      counters.waiting(false);
      return result;
    } catch (RetriesExhaustedException e) {
      if (!e.retriable() || stopping.getAsBoolean()) {
        counters.error(e.getMessage());
        throw e;
      }
      counters.waiting(true);
      counters.error(e.getMessage());
      LOG.error(
          "Service '{}': the database at {} still fails with a transient error after {} attempts;"
              + " retrying every retry-max-backoff until it succeeds: {}",
          service,
          target.url(),
          e.attempts(),
          e.getCause() == null ? e.getMessage() : e.getCause().toString());
      T result = patientRetrier.call(what, action);
      counters.waiting(false);
      LOG.info("Service '{}': the database at {} accepts the work again", service, target.url());
      return result;
    }
  }

  /**
   * Runs work in one transaction, once, without the engine's retries (for a caller that bounds its
   * own attempts through a {@link Retrier}); rolls back (and forgets the checked table shapes) on
   * any failure and rethrows it as it is.
   */
  public <T> T inTransactionOnce(TransactionWork<T> work) throws Exception {
    Connection c = target.connection();
    try {
      T result = work.run(c);
      c.commit();
      return result;
    } catch (Exception e) {
      tables().invalidate();
      if (SqlErrors.isTransient(e)) {
        target.reset();
      } else {
        target.rollbackQuietly();
      }
      throw e;
    }
  }

  private void recordFailures(Connection c, List<DeadLetter> failures) throws SQLException {
    if (failures.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        c.prepareStatement(PostgresDialect.recordFailure(tables().schema()))) {
      for (DeadLetter d : failures) {
        ps.setString(1, service);
        ps.setString(2, d.source().topic());
        ps.setInt(3, d.source().partition());
        ps.setLong(4, d.source().offset());
        ps.setString(5, d.key());
        ps.setString(6, d.reason().replace('\0', ' '));
        ps.addBatch();
        LOG.warn(
            "Service '{}': giving up on record {}/{}@{} key {}: {}",
            service,
            d.source().topic(),
            d.source().partition(),
            d.source().offset(),
            d.key(),
            d.reason());
      }
      ps.executeBatch();
    }
  }

  private void publish(List<DeadLetter> deadLetters) throws InterruptedException {
    if (deadLetterProducer == null || deadLetters.isEmpty()) {
      return;
    }
    String topic = Topics.deadLetter(service);
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    for (DeadLetter d : deadLetters) {
      ConsumerRecord<byte[], byte[]> s = d.source();
      ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(topic, null, s.key(), s.value());
      for (Header h : s.headers()) {
        out.headers().add(h);
      }
      out.headers().add(CarveHeaders.DLQ_STAGE, utf8("sink"));
      out.headers().add(CarveHeaders.DLQ_SERVICE, utf8(service));
      out.headers().add(CarveHeaders.DLQ_ERROR, utf8(d.reason()));
      out.headers().add(CarveHeaders.DLQ_TOPIC, utf8(s.topic()));
      out.headers().add(CarveHeaders.DLQ_PARTITION, utf8(Integer.toString(s.partition())));
      out.headers().add(CarveHeaders.DLQ_OFFSET, utf8(Long.toString(s.offset())));
      out.headers()
          .add(CarveHeaders.DLQ_TIMESTAMP, utf8(Long.toString(System.currentTimeMillis())));
      sent.add(deadLetterProducer.send(out));
    }
    deadLetterProducer.flush();
    for (Future<RecordMetadata> f : sent) {
      try {
        f.get();
      } catch (ExecutionException e) {
        throw new RetriesExhaustedException(
            "Failed to publish a dead letter of service '"
                + service
                + "' to "
                + topic
                + ": "
                + e.getCause(),
            e.getCause(),
            1,
            false);
      }
    }
  }

  private String keyText(ConsumerRecord<byte[], byte[]> r) {
    if (r.key() == null) {
      return null;
    }
    try {
      return decoder.decodeKey(r).toString();
    } catch (RuntimeException e) {
      return "base64:" + Base64.getEncoder().encodeToString(r.key());
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Deletes the tombstones of the service's tables and the service's failure-log entries older than
   * their retention; other services writing into the schema keep theirs.
   *
   * @param tableNames the service's tables
   * @return tombstones removed
   */
  public int collectGarbage(
      Collection<String> tableNames, Duration tombstoneRetention, Duration failureRetention)
      throws InterruptedException {
    return inTransaction(
        "collect old tombstones of service '" + service + "'",
        c -> {
          int removed;
          try (PreparedStatement ps =
              c.prepareStatement(PostgresDialect.collectTombstones(tables().schema()))) {
            Array names = c.createArrayOf("text", tableNames.toArray(new String[0]));
            ps.setArray(1, names);
            ps.setLong(2, tombstoneRetention.toMillis());
            removed = ps.executeUpdate();
            names.free();
          }
          try (PreparedStatement ps =
              c.prepareStatement(PostgresDialect.purgeFailures(tables().schema()))) {
            ps.setString(1, service);
            ps.setLong(2, failureRetention.toMillis());
            ps.setLong(3, failureRetention.toMillis());
            ps.setString(4, null);
            ps.setString(5, null);
            ps.executeUpdate();
          }
          return removed;
        });
  }

  @Override
  public void close() {
    target.close();
  }
}
