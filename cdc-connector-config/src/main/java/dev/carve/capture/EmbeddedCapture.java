package dev.carve.capture;

import dev.carve.capture.internal.ConnectConverters;
import dev.carve.capture.internal.ConnectorKeys;
import dev.carve.capture.internal.MetricsRecorder;
import dev.carve.capture.internal.TlsFailure;
import dev.carve.capture.internal.TopicCreator;
import dev.carve.core.config.Config;
import dev.carve.core.config.ConfigDef;
import dev.carve.core.config.ConfigOption;
import dev.carve.core.config.Substitution;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.KafkaOffsetBackingStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link ConnectorConfig} on Debezium's embedded engine and writes to Kafka exactly the
 * bytes Kafka Connect would: the connector's key, value and header converters (with their {@code
 * key.converter.*}, {@code value.converter.*} and {@code header.converter.*} properties) are
 * applied to each record, which goes to the record's topic through an idempotent producer ({@code
 * acks=all}); missing topics are created first from {@code topic.creation.*}. Records are marked
 * processed only after Kafka acknowledged them, so Debezium commits offsets only for records that
 * are in Kafka. Offsets live in a Kafka topic ({@link Options#offsetsTopic()}), so a new instance
 * with the same connector name and offsets topic resumes where the last one stopped, without a new
 * snapshot.
 *
 * <p>Lifecycle: {@link #create} → {@link #start()} → {@link #close(Duration)}; see {@link State}.
 */
public final class EmbeddedCapture implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedCapture.class);

  /** The lifecycle of a capture. */
  public enum State {
    /** Created; {@link #start()} not called yet. */
    CREATED,
    /** {@link #start()} is checking the database and Kafka and starting the connector. */
    STARTING,
    /** The connector task runs: snapshotting or streaming. */
    RUNNING,
    /** {@link #close(Duration)} is stopping the engine. */
    STOPPING,
    /** Stopped cleanly; offsets of every record written are committed. */
    STOPPED,
    /** Stopped by an error; see {@link #failure()} and {@link CaptureMetrics#lastError()}. */
    FAILED
  }

  /** {@code bootstrap-servers}: the Kafka cluster records and offsets go to. */
  public static final ConfigOption<String> BOOTSTRAP_SERVERS =
      ConfigOption.string("bootstrap-servers")
          .doc("Kafka bootstrap servers, host:port[,host:port]")
          .validator(v -> v.isBlank() ? "must not be empty" : null)
          .build();

  /** {@code kafka-properties}: extra client properties (security.protocol, sasl.*, ssl.*). */
  public static final ConfigOption<Map<String, String>> KAFKA_PROPERTIES =
      ConfigOption.map("kafka-properties")
          .defaultValue(Map.of())
          .doc("extra Kafka client properties for the producer, admin and offset store")
          .build();

  /** {@code offsets-topic}: the compacted topic Debezium's offsets are stored in. */
  public static final ConfigOption<String> OFFSETS_TOPIC =
      ConfigOption.string("offsets-topic")
          .defaultValue("carve-capture-offsets")
          .doc("topic holding the connector's source offsets")
          .validator(v -> v.isBlank() ? "must not be empty" : null)
          .build();

  /** {@code offsets-topic-partitions}: partitions of the offsets topic when it is created. */
  public static final ConfigOption<Integer> OFFSETS_TOPIC_PARTITIONS =
      ConfigOption.integer("offsets-topic-partitions")
          .defaultValue(1)
          .validator(v -> v >= 1 ? null : "must be at least 1")
          .doc("partitions of the offsets topic when it is created")
          .build();

  /** {@code offsets-topic-replication-factor}: replication of the offsets topic when created. */
  public static final ConfigOption<Integer> OFFSETS_TOPIC_REPLICATION_FACTOR =
      ConfigOption.integer("offsets-topic-replication-factor")
          .defaultValue(-1)
          .validator(
              v ->
                  v == -1 || (v >= 1 && v <= Short.MAX_VALUE)
                      ? null
                      : "must be at least 1, or -1 for the broker default")
          .doc(
              "replication factor of the offsets topic when it is created; -1 (the default) takes"
                  + " the broker's default.replication.factor, as losing this topic means a new"
                  + " snapshot")
          .build();

  /** {@code offset-flush-interval}: how often offsets of written records are committed. */
  public static final ConfigOption<Duration> OFFSET_FLUSH_INTERVAL =
      ConfigOption.duration("offset-flush-interval")
          .defaultValue(Duration.ofSeconds(5))
          .validator(v -> v.isZero() || v.isNegative() ? "must be positive" : null)
          .doc("how often the offsets of records written to Kafka are committed")
          .build();

  /** {@code database-check-timeout}: how long the start-up check waits for PostgreSQL. */
  public static final ConfigOption<Duration> DATABASE_CHECK_TIMEOUT =
      ConfigOption.duration("database-check-timeout")
          .defaultValue(Duration.ofSeconds(10))
          .validator(v -> v.toSeconds() >= 1 ? null : "must be at least 1s")
          .doc("how long start() waits to connect to the database and to Kafka before failing")
          .build();

  /** {@code start-timeout}: how long {@link #start()} waits for the connector task to run. */
  public static final ConfigOption<Duration> START_TIMEOUT =
      ConfigOption.duration("start-timeout")
          .defaultValue(Duration.ofMinutes(2))
          .validator(v -> v.toSeconds() >= 1 ? null : "must be at least 1s")
          .doc("how long start() waits for the connector task to start")
          .build();

  /** The options of an embedded capture, as a section of {@code carve.yaml}. */
  public static final ConfigDef OPTIONS =
      new ConfigDef(
          BOOTSTRAP_SERVERS,
          KAFKA_PROPERTIES,
          OFFSETS_TOPIC,
          OFFSETS_TOPIC_PARTITIONS,
          OFFSETS_TOPIC_REPLICATION_FACTOR,
          OFFSET_FLUSH_INTERVAL,
          DATABASE_CHECK_TIMEOUT,
          START_TIMEOUT);

  /**
   * How the embedded engine runs; build with {@link #of(String)} or {@link #parse}.
   *
   * @param bootstrapServers Kafka bootstrap servers, never null
   * @param kafkaProperties extra Kafka client properties (security), never null
   * @param offsetsTopic the offsets topic, default {@code carve-capture-offsets}
   * @param offsetsTopicPartitions partitions of the offsets topic when created, default 1
   * @param offsetsTopicReplicationFactor replication factor of the offsets topic when created,
   *     default 1; -1 = broker default
   * @param offsetFlushInterval how often offsets are committed, default 5 s
   * @param databaseCheckTimeout how long the start-up checks wait, default 10 s
   * @param startTimeout how long {@link #start()} waits for the task, default 2 min
   */
  public record Options(
      String bootstrapServers,
      Map<String, String> kafkaProperties,
      String offsetsTopic,
      int offsetsTopicPartitions,
      int offsetsTopicReplicationFactor,
      Duration offsetFlushInterval,
      Duration databaseCheckTimeout,
      Duration startTimeout) {

    /** Validates through {@link #OPTIONS} and copies the map. */
    public Options {
      Map<String, Object> raw = new LinkedHashMap<>();
      raw.put(BOOTSTRAP_SERVERS.key(), bootstrapServers);
      raw.put(KAFKA_PROPERTIES.key(), kafkaProperties);
      raw.put(OFFSETS_TOPIC.key(), offsetsTopic);
      raw.put(OFFSETS_TOPIC_PARTITIONS.key(), offsetsTopicPartitions);
      raw.put(OFFSETS_TOPIC_REPLICATION_FACTOR.key(), offsetsTopicReplicationFactor);
      raw.put(
          OFFSET_FLUSH_INTERVAL.key(),
          offsetFlushInterval == null ? null : offsetFlushInterval.toMillis());
      raw.put(
          DATABASE_CHECK_TIMEOUT.key(),
          databaseCheckTimeout == null ? null : databaseCheckTimeout.toMillis());
      raw.put(START_TIMEOUT.key(), startTimeout == null ? null : startTimeout.toMillis());
      raw.values().removeIf(Objects::isNull);
      OPTIONS.parse(raw, "capture", "embedded capture options");
      kafkaProperties = kafkaProperties == null ? Map.of() : Map.copyOf(kafkaProperties);
    }

    /** The defaults, with the given bootstrap servers. */
    public static Options of(String bootstrapServers) {
      return from(
          OPTIONS.parse(
              Map.of(BOOTSTRAP_SERVERS.key(), bootstrapServers),
              "capture",
              "embedded capture options"));
    }

    /**
     * Parses the options of a configuration section (keys as in {@link #OPTIONS}).
     *
     * @param raw the section, e.g. from {@code carve.yaml}; null means empty
     * @param source the file, for messages
     * @throws dev.carve.core.config.ConfigException listing every problem
     */
    public static Options parse(Map<String, ?> raw, String source) {
      return from(OPTIONS.parse(raw, "capture", source));
    }

    private static Options from(Config c) {
      return new Options(
          c.get(BOOTSTRAP_SERVERS),
          c.get(KAFKA_PROPERTIES),
          c.get(OFFSETS_TOPIC),
          c.get(OFFSETS_TOPIC_PARTITIONS),
          c.get(OFFSETS_TOPIC_REPLICATION_FACTOR),
          c.get(OFFSET_FLUSH_INTERVAL),
          c.get(DATABASE_CHECK_TIMEOUT),
          c.get(START_TIMEOUT));
    }

    /** A copy with another offsets topic. */
    public Options withOffsetsTopic(String topic) {
      return new Options(
          bootstrapServers,
          kafkaProperties,
          topic,
          offsetsTopicPartitions,
          offsetsTopicReplicationFactor,
          offsetFlushInterval,
          databaseCheckTimeout,
          startTimeout);
    }

    /** A copy with other extra Kafka client properties. */
    public Options withKafkaProperties(Map<String, String> properties) {
      return new Options(
          bootstrapServers,
          properties,
          offsetsTopic,
          offsetsTopicPartitions,
          offsetsTopicReplicationFactor,
          offsetFlushInterval,
          databaseCheckTimeout,
          startTimeout);
    }

    /** A copy with another offset flush interval. */
    public Options withOffsetFlushInterval(Duration interval) {
      return new Options(
          bootstrapServers,
          kafkaProperties,
          offsetsTopic,
          offsetsTopicPartitions,
          offsetsTopicReplicationFactor,
          interval,
          databaseCheckTimeout,
          startTimeout);
    }

    /** A copy with another replication factor for the offsets topic. */
    public Options withOffsetsTopicReplicationFactor(int replicationFactor) {
      return new Options(
          bootstrapServers,
          kafkaProperties,
          offsetsTopic,
          offsetsTopicPartitions,
          replicationFactor,
          offsetFlushInterval,
          databaseCheckTimeout,
          startTimeout);
    }

    /** A copy with another database check timeout. */
    public Options withDatabaseCheckTimeout(Duration timeout) {
      return new Options(
          bootstrapServers,
          kafkaProperties,
          offsetsTopic,
          offsetsTopicPartitions,
          offsetsTopicReplicationFactor,
          offsetFlushInterval,
          timeout,
          startTimeout);
    }
  }

  private final ConnectorConfig connector;
  private final Options options;
  private final MetricsRecorder metrics;
  private final Object lock = new Object();
  private final CountDownLatch started = new CountDownLatch(1);
  private final CountDownLatch completed = new CountDownLatch(1);
  private State state = State.CREATED;
  private volatile Throwable failure;
  private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
  private ExecutorService executor;
  private Admin admin;
  private volatile KafkaProducer<byte[], byte[]> producer;
  private ConnectConverters converters;
  private TopicCreator topicCreator;

  private EmbeddedCapture(ConnectorConfig connector, Options options) {
    this.connector = Objects.requireNonNull(connector, "connector");
    this.options = Objects.requireNonNull(options, "options");
    this.metrics = new MetricsRecorder(connector.topicPrefix());
  }

  /**
   * A capture of a connector; nothing runs until {@link #start()}.
   *
   * @param connector the validated connector config, never null
   * @param options where to write and keep offsets, never null
   * @throws CaptureException when a value is a Kafka Connect config provider reference
   */
  public static EmbeddedCapture create(ConnectorConfig connector, Options options) {
    // The embedded engine has no Connect worker to resolve config providers: such a reference
    // would reach the database as a literal password.
    connector
        .config()
        .forEach(
            (key, value) -> {
              if (value != null && Substitution.PROVIDER_REF.matcher(value).find()) {
                throw new CaptureException(
                    "'"
                        + key
                        + "' of connector '"
                        + connector.name()
                        + "' ("
                        + connector.source()
                        + ") is a Kafka Connect config provider reference, which only a Connect"
                        + " worker resolves; for the embedded engine use ${NAME} (environment) or"
                        + " ${file:/path} (the whole file) instead");
              }
            });
    return new EmbeddedCapture(connector, options);
  }

  /**
   * Checks that the database and Kafka are reachable, then starts the connector on a thread of its
   * own and waits until its task runs (the snapshot or streaming then proceeds in the background).
   *
   * @throws IllegalStateException when already started; create a new capture to start again
   * @throws CaptureException when the database or Kafka is unreachable (naming host:port and the
   *     fix), or the connector fails to start; the capture is then {@link State#FAILED}
   */
  public void start() {
    synchronized (lock) {
      if (state != State.CREATED) {
        throw new IllegalStateException(
            "Cannot start the capture of connector '"
                + connector.name()
                + "': it is "
                + state
                + "; create a new EmbeddedCapture to start again");
      }
      state = State.STARTING;
    }
    List<String> unknownKeys = ConnectorKeys.unknown(connector.config());
    if (!unknownKeys.isEmpty()) {
      LOG.warn(
          "Connector '{}' ({}) has keys neither Debezium nor Kafka Connect knows, ignored by both:"
              + " {}",
          connector.name(),
          connector.source(),
          String.join(", ", unknownKeys));
    }
    LOG.info(
        "Starting capture of connector '{}' with {} and options {}",
        connector.name(),
        connector.masked(),
        maskedOptions());
    try {
      checkDatabase();
      admin = Admin.create(clientProperties("admin"));
      checkKafka();
      converters = ConnectConverters.fromConnectorConfig(connector.config());
      topicCreator = new TopicCreator(admin, connector.name(), connector.config());
      if (!topicCreator.enabled()) {
        LOG.warn(
            "Connector '{}' has no topic.creation.default.* settings; topics must exist or be auto-created",
            connector.name());
      }
      producer = new KafkaProducer<>(producerProperties());
      engine =
          DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
              .using(engineProperties())
              .using(new Callbacks())
              .using(this::completed)
              .notifying(this::handleBatch)
              .build();
      executor =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "carve-capture-" + connector.name());
                t.setDaemon(true);
                return t;
              });
      executor.execute(engine);
      awaitStart();
    } catch (RuntimeException e) {
      fail(e);
      releaseResources(Duration.ofSeconds(10));
      throw e instanceof CaptureException ce
          ? ce
          : new CaptureException(
              "Capture of connector '" + connector.name() + "' failed to start: " + e.getMessage(),
              e);
    }
  }

  private void awaitStart() {
    try {
      if (!started.await(options.startTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        throw new CaptureException(
            "Connector '"
                + connector.name()
                + "' did not start within "
                + options.startTimeout()
                + "; see the log of thread carve-capture-"
                + connector.name());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CaptureException(
          "Interrupted while starting connector '" + connector.name() + "'", e);
    }
    Throwable f = failure;
    if (completed.getCount() == 0 || f != null) {
      throw new CaptureException(
          "Connector '"
              + connector.name()
              + "' stopped while starting: "
              + (f == null ? "see the log" : f.getMessage()),
          f);
    }
    synchronized (lock) {
      if (state == State.STARTING) {
        state = State.RUNNING;
      }
    }
    LOG.info("Capture of connector '{}' is running", connector.name());
  }

  private void checkDatabase() {
    String where = connector.databaseHost() + ":" + connector.databasePort();
    // The connector's own user, password and TLS settings, so this check connects as Debezium will.
    Properties p = connector.jdbcProperties();
    int seconds = (int) Math.max(1, options.databaseCheckTimeout().toSeconds());
    p.setProperty("connectTimeout", Integer.toString(seconds));
    p.setProperty("loginTimeout", Integer.toString(seconds));
    p.setProperty("socketTimeout", Integer.toString(seconds));
    p.setProperty("ApplicationName", "carve-capture-check");
    try (Connection c = DriverManager.getConnection(connector.jdbcUrl(), p);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW wal_level")) {
      rs.next();
      String walLevel = rs.getString(1);
      if (!"logical".equals(walLevel)) {
        throw new CaptureException(
            "PostgreSQL at "
                + where
                + " (database '"
                + connector.databaseName()
                + "', connector '"
                + connector.name()
                + "') has wal_level="
                + walLevel
                + "; Debezium needs wal_level=logical: run ALTER SYSTEM SET wal_level = logical and restart PostgreSQL");
      }
    } catch (SQLException e) {
      boolean tls = TlsFailure.is(e);
      throw new CaptureException(
          "Cannot connect to database '"
              + connector.databaseName()
              + "' at "
              + where
              + " as user '"
              + connector.databaseUser()
              + "' for connector '"
              + connector.name()
              + "'"
              + (tls ? " with " + connector.jdbcTlsSettings() : "")
              + ": "
              + String.valueOf(e.getMessage()).replaceAll("[.\\s]+$", "")
              + (tls
                  ? ". Let the server accept TLS (ssl = on, with a certificate the root certificate"
                      + " trusts), or fix "
                      + TlsFailure.KEYS
                      + " in "
                      + connector.source()
                  : ". Check that PostgreSQL runs and accepts connections there, or fix"
                      + " database.hostname, database.port, database.user, database.password and"
                      + " database.dbname in "
                      + connector.source()),
          e);
    }
  }

  private void checkKafka() {
    try {
      admin
          .describeCluster()
          .clusterId()
          .get(options.databaseCheckTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new CaptureException(
          "Cannot reach Kafka at "
              + options.bootstrapServers()
              + " for connector '"
              + connector.name()
              + "': "
              + e
              + ". Check that the brokers run, or fix bootstrap-servers",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CaptureException(
          "Interrupted while checking Kafka for connector '" + connector.name() + "'", e);
    }
  }

  private Properties engineProperties() {
    Properties p = new Properties();
    options.kafkaProperties().forEach(p::setProperty);
    connector.config().forEach(p::setProperty);
    p.setProperty("name", connector.name());
    p.setProperty("offset.storage", KafkaOffsetBackingStore.class.getName());
    p.setProperty("offset.storage.topic", options.offsetsTopic());
    p.setProperty("offset.storage.partitions", Integer.toString(options.offsetsTopicPartitions()));
    p.setProperty(
        "offset.storage.replication.factor",
        Integer.toString(options.offsetsTopicReplicationFactor()));
    p.setProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    p.setProperty(
        "offset.flush.interval.ms", Long.toString(options.offsetFlushInterval().toMillis()));
    return p;
  }

  private Map<String, Object> clientProperties(String role) {
    Map<String, Object> p = new LinkedHashMap<>(options.kafkaProperties());
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    p.put(CommonClientConfigs.CLIENT_ID_CONFIG, "carve-capture-" + connector.name() + "-" + role);
    return p;
  }

  private Map<String, Object> producerProperties() {
    Map<String, Object> p = clientProperties("producer");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.putIfAbsent(
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Duration.ofMinutes(5).toMillis());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  private void handleBatch(
      List<RecordChangeEvent<SourceRecord>> batch,
      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
      throws InterruptedException {
    Set<String> topics = new HashSet<>();
    for (RecordChangeEvent<SourceRecord> event : batch) {
      topics.add(event.record().topic());
    }
    try {
      topicCreator.ensure(topics);
    } catch (IllegalStateException e) {
      throw failBatch(e.getMessage(), e);
    }
    List<Future<RecordMetadata>> sent = new ArrayList<>(batch.size());
    for (RecordChangeEvent<SourceRecord> event : batch) {
      SourceRecord record = event.record();
      ProducerRecord<byte[], byte[]> converted;
      try {
        converted = converters.toProducerRecord(record);
      } catch (RuntimeException e) {
        throw failBatch(
            "Connector '"
                + connector.name()
                + "' cannot convert a record for topic '"
                + record.topic()
                + "' with key "
                + record.key()
                + ": "
                + e.getMessage(),
            e);
      }
      sent.add(producer.send(converted));
    }
    producer.flush();
    for (int i = 0; i < batch.size(); i++) {
      SourceRecord record = batch.get(i).record();
      try {
        sent.get(i).get();
      } catch (ExecutionException e) {
        throw failBatch(
            "Connector '"
                + connector.name()
                + "' could not write a record to topic '"
                + record.topic()
                + "' (key "
                + record.key()
                + "); offsets stay at the last record written: "
                + e.getCause(),
            e.getCause());
      }
      committer.markProcessed(batch.get(i));
      metrics.written(record);
    }
    committer.markBatchFinished();
  }

  private ConnectException failBatch(String message, Throwable cause) {
    metrics.error(message);
    LOG.error("{}", message, cause);
    return new ConnectException(message, cause);
  }

  private void completed(boolean success, String message, Throwable error) {
    if (!success || error != null) {
      String text =
          "Connector '"
              + connector.name()
              + "' stopped with an error: "
              + (error != null ? error.getMessage() : message);
      failure = new CaptureException(text, error);
      metrics.error(text);
      synchronized (lock) {
        if (state != State.STOPPING) {
          state = State.FAILED;
        }
      }
      LOG.error("{}", text, error);
    } else {
      LOG.info("Engine of connector '{}' finished: {}", connector.name(), message);
    }
    completed.countDown();
    started.countDown();
  }

  private final class Callbacks implements DebeziumEngine.ConnectorCallback {
    @Override
    public void taskStarted() {
      started.countDown();
    }
  }

  private void fail(Throwable e) {
    failure = failure == null ? e : failure;
    metrics.error(e.getMessage());
    synchronized (lock) {
      state = State.FAILED;
    }
  }

  /**
   * Stops the engine cleanly: it stops polling, Kafka acknowledges every record sent, offsets of
   * the records written are committed to the offsets topic, and the clients are closed. Does
   * nothing when already stopped; may be called after a failure to release resources.
   *
   * @param timeout how long to wait for the engine to stop
   */
  public void close(Duration timeout) {
    synchronized (lock) {
      if (state == State.CREATED) {
        state = State.STOPPED;
        return;
      }
      if (state == State.STOPPED || state == State.STOPPING) {
        return;
      }
      if (state != State.FAILED) {
        state = State.STOPPING;
      }
    }
    LOG.info("Stopping capture of connector '{}'", connector.name());
    releaseResources(timeout);
    synchronized (lock) {
      if (state == State.STOPPING) {
        state = failure == null ? State.STOPPED : State.FAILED;
      }
    }
    LOG.info("Capture of connector '{}' stopped ({}): {}", connector.name(), state(), metrics());
  }

  /** Stops the engine, waiting up to 30 seconds. */
  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  // Idempotent: called by a failed start() and again by close().
  private synchronized void releaseResources(Duration timeout) {
    if (engine != null) {
      try {
        engine.close();
      } catch (IOException | RuntimeException e) {
        metrics.error("closing the engine failed: " + e.getMessage());
        LOG.warn("Closing the engine of connector '{}' failed: {}", connector.name(), e.toString());
      }
      engine = null;
    }
    if (executor != null) {
      executor.shutdown();
      try {
        if (!executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          LOG.warn(
              "Engine thread of connector '{}' did not stop within {}", connector.name(), timeout);
          executor.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        executor.shutdownNow();
      }
      executor = null;
    }
    if (producer != null) {
      producer.close(timeout);
      producer = null;
    }
    if (admin != null) {
      admin.close(timeout);
      admin = null;
    }
    if (converters != null) {
      converters.close();
      converters = null;
    }
  }

  /** The current state. */
  public State state() {
    synchronized (lock) {
      return state;
    }
  }

  /** The error that stopped the capture; empty unless it failed. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  /** Records per table, snapshot status, last source position and errors, at this moment. */
  public CaptureMetrics metrics() {
    return metrics.snapshot(state());
  }

  /**
   * The metrics of the capture's Kafka producer ({@code KafkaProducer#metrics()}), for export;
   * empty before {@link #start()} and after the producer was closed. Read-only; callable from any
   * thread.
   */
  public Map<MetricName, ? extends Metric> kafkaMetrics() {
    KafkaProducer<byte[], byte[]> p = producer;
    return p == null ? Map.of() : p.metrics();
  }

  /** The connector this capture runs. */
  public ConnectorConfig connector() {
    return connector;
  }

  /** The options this capture runs with. */
  public Options options() {
    return options;
  }

  private Map<String, Object> maskedOptions() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(BOOTSTRAP_SERVERS.key(), options.bootstrapServers());
    Map<String, String> props = new LinkedHashMap<>();
    options
        .kafkaProperties()
        .forEach((k, v) -> props.put(k, ConnectorConfig.isSecretKey(k) ? "****" : v));
    m.put(KAFKA_PROPERTIES.key(), props);
    m.put(OFFSETS_TOPIC.key(), options.offsetsTopic());
    m.put(OFFSET_FLUSH_INTERVAL.key(), options.offsetFlushInterval());
    return m;
  }
}
