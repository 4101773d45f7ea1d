package dev.carve.sink;

import dev.carve.core.retry.Retrier;
import dev.carve.core.retry.RetriesExhaustedException;
import dev.carve.sink.internal.JdbcTarget;
import dev.carve.sink.internal.KafkaClients;
import dev.carve.sink.internal.RecordDecoder;
import dev.carve.sink.internal.Serdes;
import dev.carve.sink.internal.SinkCounters;
import dev.carve.sink.internal.SinkEngine;
import dev.carve.sink.internal.TargetTables;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink of one service: consumes the service's domain topics ({@code <service>.<entity>}) in the
 * consumer group {@code carve-sink-<service>} and writes them into the service's PostgreSQL with
 * the ordering guard, so the target equals the result of applying every change once, in order,
 * whatever Kafka redelivers or a repartition reorders.
 *
 * <p>One poll is one batch and one database transaction; the offsets of exactly that batch are
 * committed with {@code commitSync} after the transaction committed. A crash between the two only
 * redelivers the batch, which the guard turns into no-ops.
 *
 * <pre>{@code
 * SinkOptions options = SinkOptions.parse(Map.of(
 *     "bootstrap-servers", "localhost:9092",
 *     "jdbc-url", "jdbc:postgresql://localhost:5432/orders",
 *     "username", "postgres", "password", secret,
 *     "entities", List.of("order", "order_line")));
 * ServiceSink sink = ServiceSink.create("orders", options, keyDeserializer, valueDeserializer);
 * sink.start();
 * ...
 * sink.close(Duration.ofSeconds(30));
 * }</pre>
 */
public final class ServiceSink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceSink.class);
  private static final Duration GC_INTERVAL = Duration.ofHours(1);

  private final String service;
  private final SinkOptions options;
  private final Map<String, String> tablesByTopic;
  private final Deserializer<GenericRecord> keyDeserializer;
  private final Deserializer<GenericRecord> valueDeserializer;
  private final SinkCounters counters = new SinkCounters();
  private final AtomicReference<SinkState> state = new AtomicReference<>(SinkState.CREATED);
  private final Retrier kafkaRetrier;
  private volatile boolean stopRequested;
  private volatile Throwable failure;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private volatile JdbcTarget target;
  private Thread thread;
  private SinkState endState = SinkState.STOPPED;

  private ServiceSink(
      String service,
      SinkOptions options,
      Deserializer<GenericRecord> keyDeserializer,
      Deserializer<GenericRecord> valueDeserializer) {
    this.service = service;
    this.options = options;
    this.kafkaRetrier =
        new Retrier(
            Integer.MAX_VALUE,
            options.retryBackoff(),
            options.retryMaxBackoff(),
            e -> !stopRequested && e instanceof TimeoutException);
    this.tablesByTopic = KafkaClients.tablesByTopic(service, options.entities());
    this.keyDeserializer = keyDeserializer;
    this.valueDeserializer = valueDeserializer;
  }

  /**
   * Creates the sink of a service; no I/O happens before {@link #start()}.
   *
   * @param service the service name ({@code orders}); never null
   * @param options the validated options; never null
   * @param keyDeserializer deserializer of the Avro keys (already configured as a key
   *     deserializer); never null
   * @param valueDeserializer deserializer of the Avro values; never null
   * @throws dev.carve.core.config.ConfigException when an entity name is invalid
   */
  public static ServiceSink create(
      String service,
      SinkOptions options,
      Deserializer<GenericRecord> keyDeserializer,
      Deserializer<GenericRecord> valueDeserializer) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(keyDeserializer, "keyDeserializer");
    Objects.requireNonNull(valueDeserializer, "valueDeserializer");
    return new ServiceSink(service, options, keyDeserializer, valueDeserializer);
  }

  /**
   * Creates the sink of a service with Carve's Avro deserializers for the configured {@code
   * schema-registry-url} (Confluent wire format); no I/O happens before {@link #start()}.
   *
   * @throws dev.carve.core.config.ConfigException when {@code schema-registry-url} is missing or an
   *     entity name is invalid
   */
  public static ServiceSink create(String service, SinkOptions options) {
    return create(
        service,
        options,
        Serdes.deserializer(service, options, true),
        Serdes.deserializer(service, options, false));
  }

  /** The consumer group of a service's sink: {@code carve-sink-<service>}. */
  public static String groupId(String service) {
    return "carve-sink-" + service;
  }

  /** The service. */
  public String service() {
    return service;
  }

  /** The domain topics the sink subscribes to. */
  public List<String> topics() {
    return List.copyOf(tablesByTopic.keySet());
  }

  /** The current state. */
  public SinkState state() {
    return state.get();
  }

  /** The error that stopped the sink, or null unless the state is {@link SinkState#FAILED}. */
  public Throwable failure() {
    return failure;
  }

  /** A snapshot of the counters; cheap, callable from any thread. */
  public SinkMetrics metrics() {
    return new SinkMetrics(
        service,
        state.get(),
        counters.tables(),
        counters.batches(),
        counters.records(),
        counters.deadLetteredCount(),
        counters.lag(),
        counters.waiting(),
        counters.lastError(),
        counters.lastCommit());
  }

  /** Batches written, their time and database retries so far; cheap, callable from any thread. */
  public SinkBatchStats batchStats() {
    return new SinkBatchStats(
        counters.writtenBatches(), Duration.ofNanos(counters.batchNanos()), counters.retries());
  }

  /**
   * The metrics of the sink's Kafka consumer ({@code KafkaConsumer#metrics()}), for export; empty
   * before the consumer was created. Read-only; callable from any thread.
   */
  public Map<MetricName, ? extends Metric> kafkaMetrics() {
    KafkaConsumer<byte[], byte[]> c = consumer;
    return c == null ? Map.of() : c.metrics();
  }

  /**
   * Starts consuming on a thread of its own ({@code carve-sink-<service>}). Connection problems do
   * not fail this call: the sink waits for the database; a configuration it cannot work with (ddl:
   * validate and a missing table, say) moves it to {@link SinkState#FAILED}.
   *
   * @throws IllegalStateException when already started
   */
  public synchronized void start() {
    if (!state.compareAndSet(SinkState.CREATED, SinkState.RUNNING)) {
      throw new IllegalStateException(
          "The sink for '"
              + service
              + "' is "
              + state.get()
              + "; a sink starts once: create a new ServiceSink to start again");
    }
    LOG.info("Starting the sink for '{}' on {} with {}", service, topics(), options);
    thread = new Thread(this::run, "carve-sink-" + service);
    thread.start();
  }

  /**
   * Stops polling, finishes or rolls back the in-flight batch, commits the offsets of what was
   * written and closes the clients, waiting at most {@code timeout}. A batch still running after
   * half of it (waiting for a lock, or on a connection whose peer is gone) is rolled back by
   * aborting its database connection.
   *
   * @return true when the sink stopped within the timeout
   */
  public boolean close(Duration timeout) {
    Thread t;
    synchronized (this) {
      if (state.compareAndSet(SinkState.CREATED, SinkState.STOPPED)) {
        return true;
      }
      state.compareAndSet(SinkState.RUNNING, SinkState.STOPPING);
      stopRequested = true;
      t = thread;
    }
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      t.join(Math.max(1, timeout.toMillis() / 2));
      if (t.isAlive()) {
        // Waiting between retries: interrupt the sleep so the batch is rolled back now. Blocked in
        // the database (a lock, a half-open connection), which ignores interrupts: abort the
        // connection, so the statement fails and the server rolls the batch back.
        t.interrupt();
        JdbcTarget db = target;
        if (db != null) {
          db.abort();
        }
        t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    if (t.isAlive()) {
      LOG.warn("The sink for '{}' did not stop within {}", service, timeout);
      return false;
    }
    return true;
  }

  /** {@link #close(Duration)} with 30 seconds. */
  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  private void run() {
    JdbcTarget target = new JdbcTarget(options.jdbcUrl(), options.username(), options.password());
    this.target = target;
    KafkaProducer<byte[], byte[]> dlq = null;
    SinkEngine engine = null;
    try {
      if (options.dlqEnabled()) {
        dlq = KafkaClients.deadLetterProducer(options, "carve-sink-" + service + "-dlq");
      }
      engine =
          new SinkEngine(
              new SinkEngine.Settings(
                  service,
                  options.onError(),
                  options.maxRetries(),
                  options.retryBackoff(),
                  options.retryMaxBackoff()),
              new RecordDecoder(tablesByTopic, keyDeserializer, valueDeserializer),
              target,
              new TargetTables(options.schema(), options.ddl()),
              dlq,
              () -> stopRequested,
              counters);
      engine.prepare(List.copyOf(tablesByTopic.values()), options.ddl() == DdlMode.VALIDATE);
      consumer = KafkaClients.consumer(options, groupId(service), "carve-sink-" + service);
      consumer.subscribe(tablesByTopic.keySet());
      loop(engine);
      finish(SinkState.STOPPED, null);
    } catch (WakeupException e) {
      finish(SinkState.STOPPED, null);
    } catch (InterruptedException | InterruptException e) {
      Thread.currentThread().interrupt();
      finish(stopRequested ? SinkState.STOPPED : SinkState.FAILED, stopRequested ? null : e);
    } catch (RetriesExhaustedException e) {
      if (stopRequested) {
        LOG.info("The sink for '{}' stopped while waiting; the batch was rolled back", service);
        finish(SinkState.STOPPED, null);
      } else {
        finish(SinkState.FAILED, e.getCause() == null ? e : e.getCause());
      }
    } catch (RuntimeException e) {
      finish(SinkState.FAILED, e);
    } finally {
      Thread.interrupted();
      KafkaConsumer<byte[], byte[]> c = consumer;
      if (c != null) {
        try {
          c.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
          LOG.warn("Closing the consumer of the sink for '{}' failed: {}", service, e.toString());
        }
      }
      if (dlq != null) {
        dlq.close(Duration.ofSeconds(5));
      }
      if (engine != null) {
        engine.close();
      } else {
        target.close();
      }
      state.set(endState);
    }
  }

  private void finish(SinkState end, Throwable error) {
    if (error != null) {
      failure = error;
      counters.error(error.getMessage());
      LOG.error("The sink for '{}' failed and stopped: {}", service, error.getMessage(), error);
    } else {
      LOG.info("The sink for '{}' stopped", service);
    }
    endState = end;
  }

  private void loop(SinkEngine engine) throws InterruptedException {
    Instant nextGc = Instant.now();
    while (!stopRequested) {
      if (!Instant.now().isBefore(nextGc)) {
        int removed =
            engine.collectGarbage(
                tablesByTopic.values(), options.tombstoneRetention(), options.failureRetention());
        if (removed > 0) {
          LOG.info("The sink for '{}' removed {} expired tombstone(s)", service, removed);
        }
        nextGc = Instant.now().plus(GC_INTERVAL);
      }
      ConsumerRecords<byte[], byte[]> polled = consumer.poll(options.pollTimeout());
      updateLag();
      if (polled.isEmpty()) {
        commitSkippedMarkers();
        continue;
      }
      List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>(polled.count());
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : polled) {
        batch.add(r);
        offsets.put(
            new TopicPartition(r.topic(), r.partition()),
            new OffsetAndMetadata(r.offset() + 1, r.leaderEpoch(), ""));
      }
      long batchStarted = System.nanoTime();
      engine.process(batch);
      // Every record the poll returned is written, so the consumer's position is safe to commit.
      // It lies past the transaction markers exactly-once producers leave after the last record,
      // which the record offsets alone never reach (the group would show a lag of one forever).
      for (TopicPartition tp : polled.partitions()) {
        long position = consumer.position(tp);
        if (position > offsets.get(tp).offset()) {
          offsets.put(tp, new OffsetAndMetadata(position, offsets.get(tp).leaderEpoch(), ""));
        }
      }
      commit(offsets, batch.size());
      counters.batchWritten(System.nanoTime() - batchStarted);
      offsets.forEach((tp, o) -> committedPositions.put(tp, o.offset()));
    }
  }

  /**
   * Commits positions that moved without records: the consumer skipped transaction markers at the
   * end of a partition. Nothing unwritten lies before such a position.
   */
  private void commitSkippedMarkers() throws InterruptedException {
    Map<TopicPartition, OffsetAndMetadata> moved = new HashMap<>();
    for (TopicPartition tp : consumer.assignment()) {
      long position = consumer.position(tp);
      Long committed = committedPositions.get(tp);
      if (committed == null) {
        Map<TopicPartition, OffsetAndMetadata> read =
            whileKafkaTimesOut(
                "read the committed offset of " + tp, () -> consumer.committed(Set.of(tp)));
        if (read == null) {
          return;
        }
        OffsetAndMetadata c = read.get(tp);
        committed = c == null ? -1L : c.offset();
        committedPositions.put(tp, committed);
      }
      if (position > committed) {
        moved.put(tp, new OffsetAndMetadata(position));
      }
    }
    if (!moved.isEmpty()) {
      commit(moved, 0);
      moved.forEach((tp, o) -> committedPositions.put(tp, o.offset()));
    }
  }

  /** Offsets this sink committed last, per partition; only touched by the sink thread. */
  private final Map<TopicPartition, Long> committedPositions = new HashMap<>();

  private void commit(Map<TopicPartition, OffsetAndMetadata> offsets, int records)
      throws InterruptedException {
    Boolean committed =
        whileKafkaTimesOut(
            "commit offsets " + offsets,
            () -> {
              try {
                try {
                  consumer.commitSync(offsets);
                } catch (WakeupException e) {
                  // close() woke the consumer up while the batch was written: the commit is still
                  // owed.
                  consumer.commitSync(offsets);
                }
                return true;
              } catch (CommitFailedException | RebalanceInProgressException e) {
                // The rows are committed in the database; whoever owns the partitions now
                // redelivers them, and the guard makes that a no-op.
                LOG.warn(
                    "The sink for '{}' could not commit offsets {} after a rebalance; they will be"
                        + " redelivered and skipped: {}",
                    service,
                    offsets,
                    e.toString());
                return false;
              }
            });
    if (Boolean.TRUE.equals(committed)) {
      counters.committed(records);
    }
  }

  /**
   * Runs a call to the group coordinator, retrying a Kafka {@link TimeoutException} (the broker is
   * away longer than {@code default.api.timeout.ms}) with the sink's backoff, up to {@code
   * retry-max-backoff} apart, for as long as it lasts, reporting it as {@code lastError}: the batch
   * is in the database already, and the guard makes a redelivery harmless, so there is nothing to
   * gain by stopping the sink. Any other error is thrown as it is.
   *
   * @return the call's result, or null when the sink is stopping while the broker is away (the
   *     offsets are left uncommitted; the records are redelivered and skipped)
   */
  private <T> T whileKafkaTimesOut(String what, Retrier.Action<T> call)
      throws InterruptedException {
    boolean[] failed = {false};
    Retrier.Action<T> reporting =
        () -> {
          try {
            T result = call.run();
            if (failed[0]) {
              LOG.info("The sink for '{}' could {} again", service, what);
            }
            return result;
          } catch (TimeoutException e) {
            failed[0] = true;
            counters.error(
                "Service '"
                    + service
                    + "': could not "
                    + what
                    + " (Kafka: "
                    + e.getMessage()
                    + "); the rows are written, retrying until the broker answers");
            throw e;
          }
        };
    try {
      return kafkaRetrier.call(what + " of the sink for '" + service + "'", reporting);
    } catch (RetriesExhaustedException e) {
      if (e.getCause() instanceof TimeoutException && stopRequested) {
        LOG.warn(
            "The sink for '{}' stops without being able to {}; those records will be redelivered"
                + " and skipped: {}",
            service,
            what,
            e.getCause().toString());
        return null;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  private void updateLag() {
    long total = 0;
    for (TopicPartition tp : consumer.assignment()) {
      OptionalLong lag = consumer.currentLag(tp);
      if (lag.isEmpty()) {
        counters.lag(-1);
        return;
      }
      total += lag.getAsLong();
    }
    counters.lag(total);
  }
}
