package dev.carve.transform;

import dev.carve.core.retry.Retrier;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.api.SerdeFactory;
import dev.carve.transform.internal.CarveAvroSerdes;
import dev.carve.transform.internal.DefaultTopologyContext;
import dev.carve.transform.internal.RegistryUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one service's {@link DomainTopology} as a Kafka Streams application: {@code application.id}
 * {@code carve-<service>}, {@code processing.guarantee=exactly_once_v2}. {@link #start()} first
 * creates the topics the topology needs (compacted domain topics, the dead-letter topic, and the
 * raw change topics when the capture has not created them yet), then starts Streams.
 *
 * <pre>{@code
 * TransformerRuntime runtime =
 *     TransformerRuntime.create(MappingLoader.load(Path.of("topologies/orders.yaml")), options);
 * runtime.start();
 * ... runtime.metrics().progressLine() ...
 * runtime.close(Duration.ofSeconds(30));
 * }</pre>
 */
public final class TransformerRuntime implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TransformerRuntime.class);

  /** The lifecycle of a runtime. */
  public enum State {
    /** Created; {@link #start()} not called yet. */
    CREATED,
    /** Creating topics and starting Streams. */
    STARTING,
    /** Streams is assigning partitions (also after a restart of a member). */
    REBALANCING,
    /** Processing. */
    RUNNING,
    /** {@link #close} was called and Streams is shutting down. */
    STOPPING,
    /** Stopped by {@link #close}; terminal. */
    STOPPED,
    /** Stopped by an error (see {@link #failure()}); terminal: close it and create a new one. */
    FAILED
  }

  private final DomainTopology domainTopology;
  private final TransformerOptions options;
  private final TransformerMetrics metrics;
  private final DefaultTopologyContext context;
  private final Topology topology;
  private final CountDownLatch runningOnce = new CountDownLatch(1);
  private volatile State state = State.CREATED;
  private volatile Throwable failure;
  private volatile KafkaStreams streams;

  private TransformerRuntime(
      DomainTopology domainTopology, TransformerOptions options, SerdeFactory serdes) {
    this.domainTopology = Objects.requireNonNull(domainTopology, "domainTopology");
    this.options = Objects.requireNonNull(options, "options");
    this.metrics = new TransformerMetrics(domainTopology.service());
    this.context =
        new DefaultTopologyContext(
            domainTopology.service(),
            options.rawTopicPrefix(),
            options.onError(),
            serdes,
            metrics,
            options.storeType(),
            options.keyRegistryTopic());
    this.topology = domainTopology.build(context);
  }

  /**
   * A runtime using carve-schemas' Avro serde ({@code AvroSerdes.generic}) on the options' schema
   * registry. Builds the topology at once, so a topology error surfaces here, before any I/O.
   */
  public static TransformerRuntime create(DomainTopology topology, TransformerOptions options) {
    Map<String, Object> serdeConfig = new HashMap<>();
    serdeConfig.put("schema.registry.url", options.schemaRegistryUrl());
    String auth = options.kafkaProperties().get("basic.auth.user.info");
    if (auth != null) {
      serdeConfig.put("basic.auth.user.info", auth);
    }
    return new TransformerRuntime(topology, options, CarveAvroSerdes.factory(serdeConfig));
  }

  /** A runtime with the given serdes (tests, or another registry client). */
  public static TransformerRuntime create(
      DomainTopology topology, TransformerOptions options, SerdeFactory serdes) {
    return new TransformerRuntime(topology, options, Objects.requireNonNull(serdes, "serdes"));
  }

  /**
   * Loads a service's topology: a YAML mapping path (ending in {@code .yaml} or {@code .yml}) or
   * the name of a class implementing {@link DomainTopology} with a public no-argument constructor.
   *
   * @param topology the {@code services.<name>.topology} value of carve.yaml
   * @throws IllegalArgumentException naming the value when it cannot be loaded
   * @throws dev.carve.core.config.ConfigException when a YAML mapping is invalid
   */
  public static DomainTopology loadTopology(String topology) {
    Objects.requireNonNull(topology, "topology");
    if (topology.endsWith(".yaml") || topology.endsWith(".yml")) {
      return dev.carve.transform.mapping.MappingLoader.load(java.nio.file.Path.of(topology));
    }
    try {
      Class<?> type = Class.forName(topology);
      if (!DomainTopology.class.isAssignableFrom(type)) {
        throw new IllegalArgumentException(
            "Topology class '"
                + topology
                + "' does not implement "
                + DomainTopology.class.getName());
      }
      return (DomainTopology) type.getConstructor().newInstance();
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException(
          "Topology '"
              + topology
              + "' is neither a YAML mapping (*.yaml) nor a class on the classpath",
          e);
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException(
          "Cannot instantiate topology class '"
              + topology
              + "'; it needs a public no-argument constructor: "
              + e,
          e);
    }
  }

  /** The service. */
  public String service() {
    return domainTopology.service();
  }

  /** {@code carve-<service>}. */
  public String applicationId() {
    return "carve-" + service();
  }

  /** The current state. */
  public State state() {
    return state;
  }

  /** The error that stopped the runtime, or null. */
  public Throwable failure() {
    return failure;
  }

  /** The counters of this runtime. */
  public TransformerMetrics metrics() {
    return metrics;
  }

  /**
   * The metrics of the Kafka Streams client ({@code KafkaStreams#metrics()}: client, thread, task
   * and embedded consumer and producer metrics), for export; empty before {@link #start()}.
   * Read-only; callable from any thread.
   */
  public Map<MetricName, ? extends Metric> kafkaMetrics() {
    KafkaStreams s = streams;
    return s == null ? Map.of() : s.metrics();
  }

  /** The Streams topology, for {@code describe()} and tests. */
  public Topology topology() {
    return topology;
  }

  /** The domain topics and the dead-letter topic the runtime writes. */
  public List<String> outputTopics() {
    List<String> topics = new ArrayList<>(context.domainTopics());
    topics.add(context.deadLetterTopic());
    return topics;
  }

  Set<String> domainTopics() {
    return context.domainTopics();
  }

  Set<String> rawTopics() {
    return context.rawTopics();
  }

  String deadLetterTopic() {
    return context.deadLetterTopic();
  }

  /** The application's directory under the state directory (Kafka Streams' layout). */
  java.nio.file.Path localStateDir() {
    return options.stateDir().toAbsolutePath().resolve(applicationId());
  }

  /** Admin client settings: the Kafka properties of the options and the bootstrap servers. */
  Properties adminProperties() {
    Properties adminProps = new Properties();
    adminProps.putAll(options.kafkaProperties());
    adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    return adminProps;
  }

  /**
   * Creates the topics the topology needs and starts Streams; returns at once.
   *
   * @throws IllegalStateException when already started or closed
   * @throws org.apache.kafka.common.KafkaException when the topics cannot be created
   */
  public synchronized void start() {
    if (state != State.CREATED) {
      throw new IllegalStateException(
          "Cannot start the transformer of '"
              + service()
              + "' in state "
              + state
              + "; a runtime starts once: close it and create a new one");
    }
    state = State.STARTING;
    LOG.info("Starting transformer of '{}' with {}", service(), options);
    try {
      createTopics();
      streams = new KafkaStreams(topology, streamsProperties());
      streams.setStateListener((now, before) -> onStreamsState(now));
      streams.setGlobalStateRestoreListener(new RestoreProgress(service()));
      ThreadFailurePolicy policy = new ThreadFailurePolicy();
      streams.setUncaughtExceptionHandler(
          e -> {
            ThreadFailurePolicy.Decision decision = policy.decide(e, System.currentTimeMillis());
            if (decision.cause() == ThreadFailurePolicy.Cause.ABORTED_TRANSACTION) {
              LOG.warn(
                  "Transformer of '{}': the broker aborted a transaction of a stream thread that"
                      + " stalled past its transaction timeout ({}); replacing the thread, which"
                      + " resumes from the committed offsets (KAFKA-19690)",
                  service(),
                  e.toString());
            } else if (decision.cause() == ThreadFailurePolicy.Cause.REGISTRY_UNAVAILABLE) {
              LOG.warn(
                  "Transformer of '{}': the schema registry could not be used ({}); nothing was"
                      + " committed or dead-lettered. Replacing the stream thread in {} ms (attempt"
                      + " {} of {} in 10 minutes), which resumes from the committed offsets",
                  service(),
                  ThreadFailurePolicy.find(e, RegistryUnavailableException.class).getMessage(),
                  decision.pauseMs(),
                  decision.attempt(),
                  ThreadFailurePolicy.REGISTRY_REPLACEMENTS);
              try {
                Thread.sleep(decision.pauseMs());
              } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
              }
            } else {
              failure = e;
              LOG.error("Transformer of '{}' stopped by an error: {}", service(), e.toString(), e);
            }
            return decision.response();
          });
      streams.start();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = e;
      state = State.FAILED;
      throw new IllegalStateException(
          "Interrupted while starting the transformer of '" + service() + "'", e);
    } catch (RuntimeException e) {
      failure = e;
      state = State.FAILED;
      throw e;
    }
  }

  /**
   * Waits until Streams runs for the first time.
   *
   * @return true when running, false on timeout or when the runtime failed
   * @throws InterruptedException when interrupted (the flag is restored)
   */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    try {
      return runningOnce.await(timeout.toMillis(), TimeUnit.MILLISECONDS) && state != State.FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw e;
    }
  }

  private void onStreamsState(KafkaStreams.State now) {
    switch (now) {
      case RUNNING -> {
        state = State.RUNNING;
        runningOnce.countDown();
      }
      case REBALANCING -> state = State.REBALANCING;
      case PENDING_SHUTDOWN -> {
        if (state != State.FAILED) {
          state = State.STOPPING;
        }
      }
      case PENDING_ERROR, ERROR -> {
        state = State.FAILED;
        runningOnce.countDown();
      }
      case NOT_RUNNING -> {
        if (failure != null) {
          state = State.FAILED;
        }
        runningOnce.countDown();
      }
      default -> {
        // CREATED: nothing to report.
      }
    }
  }

  /**
   * Stops Streams, committing what was processed, and waits up to {@code timeout}. Idempotent; a
   * runtime never started goes straight to {@link State#STOPPED}.
   */
  public synchronized void close(Duration timeout) {
    if (state == State.STOPPED) {
      return;
    }
    boolean failed = state == State.FAILED;
    if (streams != null) {
      if (!failed) {
        state = State.STOPPING;
      }
      // Ask to leave the group (honoured with static membership), so a replacement need not wait
      // for the session timeout of this member.
      boolean closed =
          streams.close(new KafkaStreams.CloseOptions().timeout(timeout).leaveGroup(true));
      if (!closed) {
        LOG.warn(
            "Transformer of '{}' did not stop within {}; its threads end on their own",
            service(),
            timeout);
      }
    }
    state = failed || failure != null ? State.FAILED : State.STOPPED;
    runningOnce.countDown();
    LOG.info("Transformer of '{}' closed ({})", service(), metrics.progressLine());
  }

  /** {@link #close(Duration)} with 30 seconds. */
  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  private Properties streamsProperties() {
    Properties p = new Properties();
    p.putAll(options.kafkaProperties());
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG, options.stateDir().toAbsolutePath().toString());
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, options.replicationFactor());
    p.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    p.putAll(options.storeType().streamsConfig());
    return p;
  }

  /**
   * A join reads partition i of each of its raw topics in one task (co-partitioning): the topics of
   * one join must have the same number of partitions, or some rows would never meet.
   */
  private void checkCopartitioned(Admin admin) throws ExecutionException, InterruptedException {
    for (Set<String> topics : context.copartitionedRawTopics()) {
      Map<String, Integer> counts = new TreeMap<>();
      admin
          .describeTopics(topics)
          .allTopicNames()
          .get()
          .forEach((name, d) -> counts.put(name, d.partitions().size()));
      if (new HashSet<>(counts.values()).size() > 1) {
        throw new IllegalStateException(
            "Service '"
                + service()
                + "' joins raw topics with different numbers of partitions "
                + counts
                + ": a join reads partition i of each topic in one task, so they need the same"
                + " number. Create the capture's topics with one partition count (Debezium's"
                + " topic.creation.default.partitions); adding partitions to a topic moves keys"
                + " and breaks the order of their changes");
      }
    }
  }

  /**
   * Refuses a key registry topic that is not compacted: with {@code cleanup.policy=delete} its keys
   * would be deleted after {@code retention.ms}, and a key given to a legacy value that is not its
   * proposal (imported, or chosen after a collision) would be lost for every later replay.
   */
  private void checkKeyRegistry(Admin admin) throws ExecutionException, InterruptedException {
    String topic = context.keyRegistryTopic();
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    ConfigEntry policy =
        admin
            .describeConfigs(List.of(resource))
            .all()
            .get()
            .get(resource)
            .get(TopicConfig.CLEANUP_POLICY_CONFIG);
    String value = policy == null ? "" : policy.value();
    if (!value.contains(TopicConfig.CLEANUP_POLICY_COMPACT)
        || value.contains(TopicConfig.CLEANUP_POLICY_DELETE)) {
      throw new IllegalStateException(
          "The key registry topic '"
              + topic
              + "' of service '"
              + service()
              + "' has cleanup.policy="
              + value
              + ": its keys would be deleted after retention.ms, and a legacy value whose key is"
              + " not its proposal would get another key on a later replay. Set"
              + " cleanup.policy=compact on it (kafka-configs --alter --entity-type topics"
              + " --entity-name "
              + topic
              + " --add-config cleanup.policy=compact)");
    }
  }

  /**
   * Refuses to resume committed offsets with a join whose state stores are new (no changelog): the
   * topology changed since the application last ran (a join added, or its strategy changed), and
   * its new stores would start empty while the offsets resume after the rows that should fill them,
   * so earlier rows would stay without their joined values, silently.
   */
  private void checkJoinState(Admin admin) throws ExecutionException, InterruptedException {
    Set<String> stores = context.joinStateStores();
    if (stores.isEmpty()) {
      return;
    }
    Map<?, ?> committed =
        admin.listConsumerGroupOffsets(applicationId()).partitionsToOffsetAndMetadata().get();
    if (committed == null || committed.isEmpty()) {
      return; // a first start: every store starts with the offsets
    }
    Set<String> existing = admin.listTopics().names().get();
    List<String> missing =
        stores.stream()
            .filter(store -> !existing.contains(applicationId() + "-" + store + "-changelog"))
            .sorted()
            .toList();
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "Service '"
              + service()
              + "' has committed offsets (application "
              + applicationId()
              + ") but no state for the join stores "
              + missing
              + ": its topology changed since it last ran (a join added, or a join's strategy"
              + " changed), and these stores would start empty while the offsets resume, leaving"
              + " the rows mapped before without their joined values. Re-map the service: carve"
              + " transform "
              + service()
              + " --reset, then start it and run carve replay "
              + service());
    }
  }

  private void createTopics() throws InterruptedException {
    Map<String, Map<String, String>> wanted = new LinkedHashMap<>();
    Map<String, String> compact =
        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    context.domainTopics().forEach(t -> wanted.put(t, compact));
    // Dead letters keep their original (possibly null) keys: a compacted topic would reject them.
    wanted.put(
        context.deadLetterTopic(),
        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE));
    // Raw topics normally come from the capture; created here (compacted, as the connector would)
    // so the transformer may start first.
    context.rawTopics().forEach(t -> wanted.put(t, compact));
    // The key registry is shared by every service: whichever starts first creates it.
    wanted.put(context.keyRegistryTopic(), compact);
    Properties adminProps = adminProperties();
    Retrier retrier =
        new Retrier(
            5,
            Duration.ofMillis(200),
            Duration.ofSeconds(5),
            e -> e instanceof RetriableException || e.getCause() instanceof RetriableException);
    try (Admin admin = Admin.create(adminProps)) {
      retrier.call(
          "create the topics of service '" + service() + "' " + wanted.keySet(),
          () -> {
            Set<String> existing = admin.listTopics().names().get();
            for (Map.Entry<String, Map<String, String>> e : wanted.entrySet()) {
              if (existing.contains(e.getKey())) {
                continue;
              }
              NewTopic topic =
                  new NewTopic(
                          e.getKey(),
                          options.partitions() < 0
                              ? Optional.empty()
                              : Optional.of(options.partitions()),
                          options.replicationFactor() < 0
                              ? Optional.empty()
                              : Optional.of((short) options.replicationFactor()))
                      .configs(e.getValue());
              try {
                admin.createTopics(List.of(topic)).all().get();
                LOG.info("Created topic {} for service '{}'", e.getKey(), service());
              } catch (ExecutionException ex) {
                if (!(ex.getCause() instanceof TopicExistsException)) {
                  throw ex;
                }
              }
            }
            checkCopartitioned(admin);
            checkKeyRegistry(admin);
            checkJoinState(admin);
            return null;
          });
    }
  }
}
