package dev.carve.cli.runtime;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.carve.capture.ConnectorConfig;
import dev.carve.capture.EmbeddedCapture;
import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.embedded.EmbeddedKafkaBroker;
import dev.carve.cli.embedded.EmbeddedPostgresServer;
import dev.carve.cli.embedded.EmbeddedStartException;
import dev.carve.cli.embedded.Ports;
import dev.carve.core.config.Substitution;
import dev.carve.examples.DataGenerator;
import dev.carve.examples.LegacyShop;
import dev.carve.examples.LoadGenerator;
import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole pipeline on one machine, as {@code carve up} runs it: embedded PostgreSQL (the demo
 * monolith and one database per service), a KRaft broker, the embedded schema registry, Debezium's
 * embedded engine, and per service a Kafka Streams application and a sink. All state lives under
 * the state directory, so a restart resumes without a new snapshot.
 *
 * <p>Lifecycle: {@link #start} once, then {@link #close}. Parts start in data-flow order and stop
 * in the reverse order, each within a bound, so that every part commits what it has written.
 */
public final class EmbeddedPipeline implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPipeline.class);

  /** The monolith's database name. */
  public static final String MONOLITH_DB = "legacy_shop";

  /** The file under the state directory that {@link #configFile()} names. */
  public static final String CONFIG_FILE = "carve-up.yaml";

  /**
   * How to run.
   *
   * @param stateDir where all state lives ({@code .carve})
   * @param home the Carve checkout (connector config, topologies, carve.yaml)
   * @param kafkaPort broker client port; the controller uses the next port
   * @param postgresPort embedded PostgreSQL port
   * @param registryPort embedded schema registry port
   * @param sizes demo data sizes, used only when the monolith is empty
   * @param seed seed of the data and load generators
   * @param loadRate changes per second of the load generator; 0 for none
   * @param fresh forget all state first
   */
  public record Options(
      Path stateDir,
      Path home,
      int kafkaPort,
      int postgresPort,
      int registryPort,
      DataGenerator.Sizes sizes,
      long seed,
      double loadRate,
      boolean fresh) {
    /** Validates the options. */
    public Options {
      Objects.requireNonNull(stateDir, "stateDir");
      Objects.requireNonNull(home, "home");
      Objects.requireNonNull(sizes, "sizes");
      if (loadRate < 0) {
        throw new IllegalArgumentException("--load must not be negative, was " + loadRate);
      }
    }
  }

  /** The lifecycle of the pipeline. */
  public enum State {
    /** Created, not started. */
    CREATED,
    /** Starting infrastructure and parts. */
    STARTING,
    /** Every part runs. */
    RUNNING,
    /** Stopping parts and infrastructure. */
    STOPPING,
    /** Stopped. */
    STOPPED
  }

  private final Options options;
  private final Consumer<String> say;
  // Read by the metrics endpoint's thread while parts start and stop.
  private final List<Part> parts = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<AutoCloseable> infrastructure = new ArrayList<>();
  private volatile State state = State.CREATED;
  private EmbeddedPostgresServer postgres;
  private EmbeddedKafkaBroker broker;
  private EmbeddedSchemaRegistry registry;
  private EmbeddedCapture capture;
  private LoadGenerator load;
  private CarveConfig config;
  private Map<String, Object> effectiveConfig;
  private org.apache.kafka.clients.admin.Admin admin;
  private final Map<String, ServiceRuntime> services = new LinkedHashMap<>();

  private EmbeddedPipeline(Options options, Consumer<String> say) {
    this.options = options;
    this.say = say;
  }

  /**
   * Starts everything; on failure stops what was started and rethrows.
   *
   * @param say receives one line per step, for the person watching
   */
  public static EmbeddedPipeline start(Options options, Consumer<String> say) {
    EmbeddedPipeline pipeline = new EmbeddedPipeline(options, say);
    try {
      pipeline.startAll();
      return pipeline;
    } catch (RuntimeException e) {
      pipeline.close();
      throw e;
    }
  }

  private void startAll() {
    state = State.STARTING;
    // Check every port before starting anything, so a clash fails fast with nothing to undo.
    Ports.requireFree(options.postgresPort(), "embedded PostgreSQL", "--postgres-port");
    Ports.requireFree(options.kafkaPort(), "Kafka broker", "--kafka-port");
    Ports.requireFree(
        options.kafkaPort() + 1,
        "Kafka controller",
        "--kafka-port (the controller uses the next port)");
    Ports.requireFree(options.registryPort(), "schema registry", "--registry-port");
    // Validate all configuration before any I/O: carve.yaml, then the connector file.
    config = serviceConfig();
    ConnectorConfig connector = connectorConfig();
    if (options.fresh()) {
      forgetState();
    }
    Path kafkaDir = options.stateDir().resolve("kafka");
    Path pgDir = options.stateDir().resolve("postgres");

    long t0 = System.nanoTime();
    postgres = EmbeddedPostgresServer.start(pgDir, options.postgresPort());
    infrastructure.add(postgres);
    say.accept("postgres   ready on port " + postgres.port() + " (" + ms(t0) + ")");

    prepareDatabases();

    t0 = System.nanoTime();
    broker = EmbeddedKafkaBroker.start(kafkaDir, options.kafkaPort(), options.kafkaPort() + 1);
    infrastructure.add(broker);
    say.accept("kafka      ready on " + broker.bootstrapServers() + " (" + ms(t0) + ")");

    registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.kafka(broker.bootstrapServers())
                .withAddress("127.0.0.1", options.registryPort()));
    infrastructure.add(registry);
    say.accept("registry   ready on " + registry.url());
    writeEffectiveConfig();

    // Data flows capture → transform → sink; start consumers first so nothing waits on them.
    for (CarveConfig.ServiceSettings service : config.services().values()) {
      ServiceRuntime runtime =
          ServiceRuntime.create(
              service, config, broker.bootstrapServers(), registry.url(), options.stateDir());
      services.put(service.name(), runtime);
      for (Part part : runtime.parts()) {
        startPart(part);
      }
    }

    capture =
        EmbeddedCapture.create(
            connector,
            EmbeddedCapture.Options.of(broker.bootstrapServers())
                .withOffsetsTopicReplicationFactor(1));
    startPart(Parts.capture(capture));

    if (options.loadRate() > 0) {
      load =
          LoadGenerator.create(
              () -> postgres.connect(MONOLITH_DB),
              LoadGenerator.Options.of(options.loadRate(), options.seed()));
      startPart(Parts.load(load));
      say.accept("load       " + (long) options.loadRate() + " changes/s on " + MONOLITH_DB);
    }
    state = State.RUNNING;
  }

  private void startPart(Part part) {
    long t0 = System.nanoTime();
    part.start();
    parts.add(part);
    LOG.info("Started {} in {}", part.name(), ms(t0));
  }

  private void prepareDatabases() {
    try {
      postgres.ensureDatabase(MONOLITH_DB);
      try (Connection c = postgres.connect(MONOLITH_DB)) {
        if (!LegacyShop.schemaExists(c)) {
          LegacyShop.createSchema(c);
        }
        LegacyShop.ensureHeartbeatTable(c);
        if (LegacyShop.isEmpty(c)) {
          DataGenerator generator = DataGenerator.create(options.sizes(), options.seed());
          long t0 = System.nanoTime();
          Map<String, Long> lastShown = new HashMap<>();
          DataGenerator.Result result =
              generator.generate(
                  c,
                  (table, done, total) -> {
                    if (done == total && lastShown.put(table, done) == null) {
                      say.accept(
                          String.format(
                              java.util.Locale.ROOT, "demo data  %-10s %,d rows", table, done));
                    }
                  });
          say.accept(
              String.format(
                  java.util.Locale.ROOT,
                  "demo data  loaded %,d rows into %s (%s)",
                  result.totalRows(),
                  MONOLITH_DB,
                  ms(t0)));
        }
      }
      for (String service : config.services().keySet()) {
        postgres.ensureDatabase(service);
      }
    } catch (SQLException e) {
      throw new EmbeddedStartException(
          "Could not prepare the embedded databases: " + e.getMessage(), e);
    }
  }

  /**
   * The services of {@code carve.yaml}, with targets and endpoints replaced by the embedded ones.
   */
  private CarveConfig serviceConfig() {
    Path file = options.home().resolve("carve.yaml");
    // Endpoints come from the embedded runtime, never from the caller's environment, so that
    // 'carve up' cannot write to a production cluster named in an exported variable.
    Map<String, String> embedded = new HashMap<>();
    Substitution lenient = new Substitution(name -> embedded.getOrDefault(name, ""));
    Map<String, Object> raw = dev.carve.core.config.YamlConfig.load(file, lenient);
    raw.put("kafka", Map.of("bootstrap-servers", "localhost:" + options.kafkaPort()));
    raw.put("schema-registry", Map.of("url", "http://127.0.0.1:" + options.registryPort()));
    raw.put(
        "source",
        Map.of(
            "jdbc-url",
            jdbcUrl(MONOLITH_DB),
            "username",
            EmbeddedPostgresServer.USER,
            "password",
            ""));
    Object servicesRaw = raw.get("services");
    if (servicesRaw instanceof Map<?, ?> servicesMap) {
      Map<String, Object> rewritten = new LinkedHashMap<>();
      servicesMap.forEach(
          (name, section) -> {
            Map<String, Object> s = new LinkedHashMap<>();
            if (section instanceof Map<?, ?> m) {
              m.forEach((k, v) -> s.put(String.valueOf(k), v));
            }
            s.put(
                "target",
                Map.of(
                    "jdbc-url",
                    jdbcUrl(String.valueOf(name)),
                    "username",
                    EmbeddedPostgresServer.USER,
                    "password",
                    ""));
            rewritten.put(String.valueOf(name), s);
          });
      raw.put("services", rewritten);
    }
    CarveConfig parsed = CarveConfig.fromMap(raw, options.home(), file.toString());
    effectiveConfig = absolutePaths(raw, parsed);
    return parsed;
  }

  /**
   * The configuration other commands need to reach this pipeline ({@code carve status}, {@code
   * verify}, {@code dlq}, ...): carve.yaml with the embedded endpoints, paths made absolute so the
   * file works from anywhere. Holds no secret: the embedded databases take no password.
   */
  public Path configFile() {
    return options.stateDir().resolve(CONFIG_FILE);
  }

  private void writeEffectiveConfig() {
    Path file = configFile();
    try {
      Files.createDirectories(file.getParent());
      String header =
          "# Written by 'carve up' at every start: the endpoints of its embedded pipeline, for other\n"
              + "# commands while it runs, e.g. ./carve status --config "
              + options.home().relativize(file.toAbsolutePath())
              + "\n";
      Files.writeString(
          file, header + dev.carve.core.config.YamlConfig.write(effectiveConfig), UTF_8);
    } catch (IOException e) {
      throw new EmbeddedStartException(
          "Could not write the configuration of the embedded pipeline to " + file, e);
    }
    say.accept(
        "config     "
            + options.home().relativize(file.toAbsolutePath())
            + " (for carve status, verify, dlq: --config "
            + options.home().relativize(file.toAbsolutePath())
            + ")");
  }

  /** A copy of {@code raw} whose file paths (connector, YAML topologies) are absolute. */
  private Map<String, Object> absolutePaths(Map<String, Object> raw, CarveConfig parsed) {
    Map<String, Object> copy = new LinkedHashMap<>(raw);
    Map<String, Object> capture = new LinkedHashMap<>();
    if (raw.get("capture") instanceof Map<?, ?> m) {
      m.forEach((k, v) -> capture.put(String.valueOf(k), v));
    }
    capture.put("connector", parsed.capture().connector().toAbsolutePath().toString());
    copy.put("capture", capture);
    if (raw.get("services") instanceof Map<?, ?> services) {
      Map<String, Object> rewritten = new LinkedHashMap<>();
      services.forEach(
          (name, section) -> {
            Map<String, Object> s = new LinkedHashMap<>();
            ((Map<?, ?>) section).forEach((k, v) -> s.put(String.valueOf(k), v));
            if (s.get("topology") instanceof String t
                && (t.endsWith(".yaml") || t.endsWith(".yml"))) {
              s.put("topology", options.home().resolve(t).toAbsolutePath().toString());
            }
            rewritten.put(String.valueOf(name), s);
          });
      copy.put("services", rewritten);
    }
    return copy;
  }

  private ConnectorConfig connectorConfig() {
    Map<String, String> env = new HashMap<>();
    env.put("MONOLITH_HOST", "localhost");
    env.put("MONOLITH_PORT", String.valueOf(options.postgresPort()));
    env.put("MONOLITH_USER", EmbeddedPostgresServer.USER);
    env.put("MONOLITH_PASSWORD", "");
    env.put("MONOLITH_DB", MONOLITH_DB);
    return ConnectorConfig.load(config.capture().connector(), new Substitution(env::get));
  }

  private String jdbcUrl(String database) {
    return "jdbc:postgresql://localhost:" + options.postgresPort() + "/" + database;
  }

  private void forgetState() {
    for (String dir : List.of("kafka", "postgres", "streams")) {
      dev.carve.core.FileTrees.deleteTree(options.stateDir().resolve(dir), "the embedded state");
    }
    say.accept("fresh      forgot the state under " + options.stateDir());
  }

  /** The lifecycle state. */
  public State state() {
    return state;
  }

  /** The effective configuration (embedded endpoints). */
  public CarveConfig config() {
    return config;
  }

  /** The embedded PostgreSQL server. */
  public EmbeddedPostgresServer postgres() {
    return postgres;
  }

  /** The broker's bootstrap servers. */
  public String bootstrapServers() {
    return broker.bootstrapServers();
  }

  /** An admin client on the embedded broker, shared for the pipeline's life. */
  public synchronized org.apache.kafka.clients.admin.Admin admin() {
    if (admin == null) {
      admin =
          org.apache.kafka.clients.admin.Admin.create(
              Map.of(
                  org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                  broker.bootstrapServers()));
    }
    return admin;
  }

  /** The registry URL. */
  public String registryUrl() {
    return registry.url();
  }

  /** The capture engine. */
  public EmbeddedCapture capture() {
    return capture;
  }

  /** The load generator, when running. */
  public Optional<LoadGenerator> load() {
    return Optional.ofNullable(load);
  }

  /** The services, by name. */
  public Map<String, ServiceRuntime> services() {
    return services;
  }

  /** The parts started so far, in start order (empty once closed). */
  public List<Part> parts() {
    return List.copyOf(parts);
  }

  /** The first failure of a part that stopped on its own, with the part's name. */
  public Optional<String> failure() {
    for (Part p : parts) {
      Optional<Throwable> f = p.failure();
      if (f.isPresent()) {
        return Optional.of(p.name() + " failed: " + f.get().getMessage());
      }
    }
    return Optional.empty();
  }

  /**
   * Stops the load generator first, then capture, transformers and sinks, then the infrastructure;
   * each part within a bound. Safe to call twice.
   */
  @Override
  public synchronized void close() {
    if (state == State.STOPPED) {
      return;
    }
    state = State.STOPPING;
    List<Part> reverse = new ArrayList<>(parts);
    java.util.Collections.reverse(reverse);
    // Stop the producers of data before its consumers, so consumers can drain what was written.
    reverse.sort(Comparator.comparingInt(EmbeddedPipeline::stopOrder));
    for (Part p : reverse) {
      long t0 = System.nanoTime();
      boolean clean = false;
      try {
        clean = p.stop(Duration.ofSeconds(30));
      } catch (RuntimeException e) {
        LOG.warn("Stopping {} failed: {}", p.name(), e.toString(), e);
      }
      LOG.info("Stopped {} in {}{}", p.name(), ms(t0), clean ? "" : " (not clean)");
    }
    parts.clear();
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
      admin = null;
    }
    for (int i = infrastructure.size() - 1; i >= 0; i--) {
      try {
        infrastructure.get(i).close();
      } catch (Exception e) {
        LOG.warn(
            "Stopping {} failed: {}",
            infrastructure.get(i).getClass().getSimpleName(),
            e.toString(),
            e);
      }
    }
    infrastructure.clear();
    state = State.STOPPED;
  }

  private static int stopOrder(Part p) {
    String n = p.name();
    if (n.startsWith("load")) {
      return 0;
    }
    if (n.startsWith("capture")) {
      return 1;
    }
    if (n.startsWith("transform")) {
      return 2;
    }
    return 3;
  }

  private static String ms(long t0) {
    long ms = (System.nanoTime() - t0) / 1_000_000;
    return ms < 10_000 ? ms + " ms" : String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
  }
}
