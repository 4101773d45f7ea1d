package dev.carve.chaos;

import dev.carve.chaos.ChaosReport.FaultResult;
import dev.carve.chaos.ChaosReport.ServiceResult;
import dev.carve.chaos.internal.BadInput;
import dev.carve.chaos.internal.BrokerMain;
import dev.carve.chaos.internal.ChildJvm;
import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.embedded.EmbeddedPostgresServer;
import dev.carve.cli.runtime.LagProbe;
import dev.carve.cli.runtime.ServiceRuntime;
import dev.carve.cli.runtime.SlotLag;
import dev.carve.cli.verify.ReconcileReport;
import dev.carve.core.SqlIdentifiers;
import dev.carve.core.config.Substitution;
import dev.carve.examples.DataGenerator;
import dev.carve.examples.LegacyShop;
import dev.carve.examples.LoadGenerator;
import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the demo pipeline under load while injecting faults, then proves nothing was lost.
 *
 * <p>The monolith and the service databases are two embedded PostgreSQL servers, the Kafka broker
 * is a process of its own, the schema registry runs in this JVM, and the pipeline ({@code carve
 * run}: capture, transformers, sinks) is a process of its own, restarted like a supervisor would
 * when it exits. The load generator writes to the monolith the whole time. At random moments (fixed
 * seed) the harness kills or pauses the pipeline, or restarts the broker, the service databases or
 * the monolith; after each fault it measures the time until a change made after the fault is
 * visible in a service database. Bad input is fed near the end. When the load stops it waits for
 * catch-up and reconciles every service against the monolith with the service's own mapping code.
 */
public final class ChaosHarness {
  private static final Logger LOG = LoggerFactory.getLogger(ChaosHarness.class);
  private static final String MONOLITH_DB = "legacy_shop";

  /**
   * How a run goes.
   *
   * @param workDir where all state and logs of the run live (emptied first)
   * @param home the Carve checkout (carve.yaml, connector config, topologies)
   * @param duration how long the load runs while faults are injected (at least one fault of each
   *     kind is injected even when this is shorter)
   * @param seed seed of the data, the load and the fault schedule
   * @param loadRate changes per second of the load generator
   * @param faultEvery mean time between faults (jittered by a quarter either way)
   * @param pauseFor how long a paused pipeline stays paused
   * @param bulkEvery after how many changes the load applies one large transaction; 0 for none
   * @param bulkRows rows of a large transaction
   * @param sizes demo data loaded before the pipeline starts
   * @param badInput whether to feed malformed events, hostile values and schema drift
   * @param recoveryTimeout how long a fault may take to recover before it counts as not recovered
   * @param catchUpTimeout how long the pipeline may take to catch up after the load stops
   */
  public record Options(
      Path workDir,
      Path home,
      Duration duration,
      long seed,
      double loadRate,
      Duration faultEvery,
      Duration pauseFor,
      int bulkEvery,
      int bulkRows,
      DataGenerator.Sizes sizes,
      boolean badInput,
      Duration recoveryTimeout,
      Duration catchUpTimeout) {
    /** Checks the options. */
    public Options {
      Objects.requireNonNull(workDir, "workDir");
      Objects.requireNonNull(home, "home");
      Objects.requireNonNull(sizes, "sizes");
      if (duration.isNegative() || faultEvery.isNegative() || faultEvery.isZero()) {
        throw new IllegalArgumentException(
            "duration must not be negative and faultEvery must be positive");
      }
      if (!(loadRate > 0)) {
        throw new IllegalArgumentException("loadRate must be positive, was " + loadRate);
      }
    }
  }

  private final Options options;
  private final Consumer<String> say;
  private final Object pipelineLock = new Object();
  private final List<String> unplannedExits = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger loadRestarts = new AtomicInteger();
  private final AtomicLong maxRecordLag = new AtomicLong();
  private final AtomicLong maxCaptureLag = new AtomicLong();
  private final Map<LoadGenerator.Kind, Long> finishedLoadCounts =
      new EnumMap<>(LoadGenerator.Kind.class);
  private final AtomicInteger probes = new AtomicInteger();

  private int monolithPort;
  private int servicesPort;
  private int kafkaPort;
  private int registryPort;
  private volatile EmbeddedPostgresServer monolith;
  private volatile EmbeddedPostgresServer servicesDb;
  private volatile ChildJvm broker;
  private volatile ChildJvm pipeline;
  private int pipelineStarts;
  private EmbeddedSchemaRegistry registry;
  private volatile LoadGenerator load;
  private volatile boolean loadWanted;
  private volatile boolean running = true;
  private Map<String, String> env;
  private CarveConfig config;
  private final Map<String, ServiceRuntime> services = new LinkedHashMap<>();
  private long loadStartedNanos;

  private ChaosHarness(Options options, Consumer<String> say) {
    this.options = options;
    this.say = say;
  }

  /**
   * Runs the harness; every process and server it started is stopped when it returns.
   *
   * @param say receives a line per step, for the person watching
   */
  public static ChaosReport run(Options options, Consumer<String> say) throws Exception {
    return new ChaosHarness(options, say).run();
  }

  private ChaosReport run() throws Exception {
    long t0 = System.nanoTime();
    List<Thread> watchers = new ArrayList<>();
    try {
      startInfrastructure();
      startPipeline();
      Duration snapshot = awaitProbe(Duration.ofMinutes(10));
      if (snapshot == null) {
        throw new IllegalStateException(
            "The pipeline did not deliver its first change within 10 min; see "
                + options.workDir().resolve("logs"));
      }
      say.accept("synced     snapshot done, first probe visible after " + seconds(snapshot));
      watchers.add(daemon("chaos-supervisor", this::supervise));
      watchers.add(daemon("chaos-lag", this::sampleLag));
      loadWanted = true;
      startLoad();
      loadStartedNanos = System.nanoTime();
      List<FaultResult> faults = injectFaults();
      BadInput bad = new BadInput();
      if (options.badInput()) {
        feedBadInput(bad);
      }
      stopLoad();
      loadWanted = false;
      say.accept("load       stopped: " + changesApplied());
      Duration catchUp = awaitProbe(options.catchUpTimeout());
      if (catchUp != null) {
        awaitNoLag(options.catchUpTimeout());
      }
      say.accept(
          catchUp == null
              ? "caught up  NOT: a probe was not visible within "
                  + seconds(options.catchUpTimeout())
              : "caught up  in " + seconds(catchUp) + ", lag 0 on every consumer group");
      if (catchUp == null) {
        throw new IllegalStateException(
            "The pipeline did not catch up within "
                + seconds(options.catchUpTimeout())
                + " after the load stopped; see "
                + options.workDir().resolve("logs"));
      }
      running = false;
      List<ServiceResult> results = reconcile(bad);
      // Lag 0 is not yet the end: a row whose joined row has not come (an order of a customer
      // without a billing address) waits in the join, up to its catch-up wait (orders.yaml: 2 min,
      // ended after a tenth of it once the joined side is quiet), and then goes out without it.
      // Only what is still missing after that is lost.
      long settleDeadline = System.nanoTime() + JOIN_SETTLE.toNanos();
      while (!results.stream().allMatch(ServiceResult::ok) && System.nanoTime() < settleDeadline) {
        say.accept(
            "verify     not equal yet; again in "
                + seconds(JOIN_SETTLE_STEP)
                + " (a row may still wait in a join for its joined row)");
        Thread.sleep(JOIN_SETTLE_STEP.toMillis());
        results = reconcile(bad);
      }
      boolean reconciled = results.stream().allMatch(ServiceResult::ok);
      List<ChaosReport.BadInputResult> badResults =
          options.badInput()
              ? bad.check(bootstrapServers(), this::mappedInTarget, reconciled)
              : List.of();
      return new ChaosReport(
          Duration.ofNanos(System.nanoTime() - t0),
          changesApplied(),
          faults,
          List.copyOf(unplannedExits),
          loadRestarts.get(),
          maxRecordLag.get(),
          maxCaptureLag.get(),
          results,
          badResults);
    } finally {
      running = false;
      for (Thread w : watchers) {
        w.interrupt();
        w.join(10_000);
      }
      stopAll();
    }
  }

  // ---------------------------------------------------------------- infrastructure

  private void startInfrastructure() throws Exception {
    dev.carve.core.FileTrees.deleteTree(options.workDir(), "the previous chaos run's state");
    Files.createDirectories(options.workDir().resolve("logs"));
    monolithPort = freePort();
    servicesPort = freePort();
    kafkaPort = freePort();
    registryPort = freePort();
    monolith = EmbeddedPostgresServer.start(options.workDir().resolve("monolith"), monolithPort);
    monolith.ensureDatabase(MONOLITH_DB);
    try (Connection c = monolith.connect(MONOLITH_DB)) {
      LegacyShop.createSchema(c);
      DataGenerator.Result data =
          DataGenerator.create(options.sizes(), options.seed())
              .generate(c, DataGenerator.Progress.NONE);
      say.accept(
          String.format(
              Locale.ROOT,
              "monolith   port %d, %,d rows of demo data",
              monolithPort,
              data.totalRows()));
    }
    servicesDb = EmbeddedPostgresServer.start(options.workDir().resolve("services"), servicesPort);
    startBroker();
    say.accept("kafka      broker process on localhost:" + kafkaPort);
    registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.kafka(bootstrapServers())
                .withAddress("127.0.0.1", registryPort));
    env = pipelineEnvironment();
    config = CarveConfig.load(options.home().resolve("carve.yaml"), new Substitution(env::get));
    for (String service : config.services().keySet()) {
      servicesDb.ensureDatabase(service);
      services.put(
          service,
          ServiceRuntime.create(
              config.service(service),
              config,
              bootstrapServers(),
              registryUrl(),
              options.workDir().resolve("harness-streams")));
    }
    say.accept("services   " + String.join(", ", services.keySet()) + " on port " + servicesPort);
  }

  private Map<String, String> pipelineEnvironment() {
    Map<String, String> e = new HashMap<>();
    e.put("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers());
    e.put("SCHEMA_REGISTRY_URL", registryUrl());
    e.put("MONOLITH_HOST", "localhost");
    e.put("MONOLITH_PORT", String.valueOf(monolithPort));
    e.put("MONOLITH_DB", MONOLITH_DB);
    e.put("MONOLITH_USER", EmbeddedPostgresServer.USER);
    e.put("MONOLITH_PASSWORD", "postgres");
    for (String service : List.of("customers", "orders", "billing")) {
      String prefix = service.toUpperCase(Locale.ROOT);
      e.put(prefix + "_DB_HOST", "localhost");
      e.put(prefix + "_DB_PORT", String.valueOf(servicesPort));
      e.put(prefix + "_DB_USER", EmbeddedPostgresServer.USER);
      e.put(prefix + "_DB_PASSWORD", "postgres");
    }
    return e;
  }

  private void startBroker() throws Exception {
    broker =
        ChildJvm.start(
            "kafka broker",
            BrokerMain.class.getName(),
            List.of("-Xmx768m", "-XX:+UseParallelGC"),
            List.of(
                options.workDir().resolve("kafka").toString(),
                String.valueOf(kafkaPort),
                String.valueOf(kafkaPort + 1)),
            Map.of(),
            options.workDir().resolve("logs").resolve("broker.out"));
    awaitBroker(Duration.ofSeconds(90));
  }

  private void awaitBroker(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, Object> config = new HashMap<>();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
    try (Admin admin = Admin.create(config)) {
      while (System.nanoTime() < deadline) {
        if (!broker.alive()) {
          throw new IllegalStateException(
              "The Kafka broker process exited with code "
                  + broker.exitCode()
                  + "; see "
                  + broker.log());
        }
        try {
          if (!admin.describeCluster().nodes().get().isEmpty()) {
            return;
          }
        } catch (java.util.concurrent.ExecutionException e) {
          LOG.debug("Broker not ready yet: {}", e.getMessage());
        }
        Thread.sleep(500);
      }
    }
    throw new IllegalStateException(
        "The Kafka broker did not answer within " + seconds(timeout) + "; see " + broker.log());
  }

  private void startPipeline() throws IOException {
    synchronized (pipelineLock) {
      pipelineStarts++;
      pipeline =
          ChildJvm.start(
              "pipeline",
              "dev.carve.cli.Carve",
              List.of(
                  "-Xmx1g",
                  "-XX:+UseParallelGC",
                  "-Dcarve.home=" + options.home(),
                  "-Dcarve.log.dir=" + options.workDir().resolve("logs").resolve("pipeline")),
              List.of("run", "--state-dir", options.workDir().resolve("pipeline").toString()),
              env,
              options.workDir().resolve("logs").resolve("pipeline.out"));
      LOG.info("Started the pipeline ({}), start #{}", pipeline, pipelineStarts);
    }
  }

  private void restartPostgres(boolean isMonolith) throws IOException {
    EmbeddedPostgresServer server = isMonolith ? monolith : servicesDb;
    server.close();
    sleep(Duration.ofSeconds(2));
    Path dir = options.workDir().resolve(isMonolith ? "monolith" : "services");
    int port = isMonolith ? monolithPort : servicesPort;
    EmbeddedPostgresServer started = null;
    for (int attempt = 1; started == null; attempt++) {
      try {
        started = EmbeddedPostgresServer.start(dir, port);
      } catch (RuntimeException e) {
        if (attempt == 10) {
          throw e;
        }
        LOG.warn("PostgreSQL did not restart on port {} yet: {}", port, e.getMessage());
        sleep(Duration.ofSeconds(2));
      }
    }
    if (isMonolith) {
      monolith = started;
    } else {
      servicesDb = started;
    }
  }

  private void stopAll() {
    stopLoad();
    ChildJvm p = pipeline;
    if (p != null) {
      try {
        p.resume();
      } catch (Exception e) {
        LOG.debug("Could not resume the pipeline before stopping it: {}", e.toString());
      }
      try {
        p.stop(Duration.ofSeconds(45));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (registry != null) {
      registry.close();
    }
    if (broker != null) {
      try {
        broker.stop(Duration.ofSeconds(60));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (EmbeddedPostgresServer pg : new EmbeddedPostgresServer[] {servicesDb, monolith}) {
      if (pg != null) {
        try {
          pg.close();
        } catch (IOException e) {
          LOG.warn("Could not stop PostgreSQL: {}", e.toString());
        }
      }
    }
  }

  // ---------------------------------------------------------------- load

  private void startLoad() {
    LoadGenerator.Options o = LoadGenerator.Options.of(options.loadRate(), options.seed());
    if (options.bulkEvery() > 0) {
      o = o.withBulk(options.bulkEvery(), options.bulkRows());
    }
    LoadGenerator g = LoadGenerator.create(() -> monolith.connect(MONOLITH_DB), o);
    g.start();
    load = g;
  }

  private synchronized void stopLoad() {
    LoadGenerator g = load;
    if (g != null) {
      g.stop(Duration.ofSeconds(60));
      addCounts(g);
      load = null;
    }
  }

  private synchronized void restartLoadIfFailed() {
    LoadGenerator g = load;
    if (!loadWanted || g == null || g.state() != LoadGenerator.State.FAILED) {
      return;
    }
    addCounts(g);
    load = null;
    LOG.info(
        "Load generator stopped ({}); starting a new one",
        g.failure().map(Throwable::getMessage).orElse("?"));
    loadRestarts.incrementAndGet();
    startLoad();
  }

  private void addCounts(LoadGenerator g) {
    synchronized (finishedLoadCounts) {
      g.counts().forEach((k, v) -> finishedLoadCounts.merge(k, v, Long::sum));
    }
  }

  private Map<String, Long> changesApplied() {
    Map<String, Long> out = new LinkedHashMap<>();
    synchronized (finishedLoadCounts) {
      finishedLoadCounts.forEach((k, v) -> out.put(k.name().toLowerCase(Locale.ROOT), v));
    }
    LoadGenerator g = load;
    if (g != null) {
      g.counts().forEach((k, v) -> out.merge(k.name().toLowerCase(Locale.ROOT), v, Long::sum));
    }
    return out;
  }

  // ---------------------------------------------------------------- faults

  private List<FaultResult> injectFaults() throws Exception {
    Random random = new Random(options.seed());
    List<Fault> cycle = new ArrayList<>();
    List<FaultResult> results = new ArrayList<>();
    long end = loadStartedNanos + options.duration().toNanos();
    Map<Fault, Integer> injected = new EnumMap<>(Fault.class);
    while (System.nanoTime() < end || injected.size() < Fault.values().length) {
      long mean = options.faultEvery().toMillis();
      sleep(Duration.ofMillis(mean * 3 / 4 + (long) (random.nextDouble() * mean / 2)));
      if (cycle.isEmpty()) {
        cycle.addAll(List.of(Fault.values()));
        Collections.shuffle(cycle, random);
      }
      Fault fault = cycle.remove(0);
      long at = (System.nanoTime() - loadStartedNanos) / 1_000_000_000L;
      say.accept(String.format(Locale.ROOT, "fault      t+%ds %s", at, fault.description()));
      long f0 = System.nanoTime();
      inject(fault);
      Duration recovery = awaitProbe(options.recoveryTimeout());
      Duration total = recovery == null ? null : Duration.ofNanos(System.nanoTime() - f0);
      results.add(new FaultResult(fault, at, total));
      injected.merge(fault, 1, Integer::sum);
      say.accept(
          String.format(
              Locale.ROOT,
              "recovered  %s in %s (%s)",
              fault,
              total == null ? "NOT within " + seconds(options.recoveryTimeout()) : seconds(total),
              changesApplied().values().stream().mapToLong(Long::longValue).sum()
                  + " changes so far"));
      if (total == null) {
        break;
      }
    }
    return results;
  }

  private void inject(Fault fault) throws Exception {
    switch (fault) {
      case PIPELINE_KILL -> {
        synchronized (pipelineLock) {
          pipeline.kill();
          sleep(Duration.ofSeconds(1));
          startPipeline();
        }
      }
      case PIPELINE_PAUSE -> {
        synchronized (pipelineLock) {
          pipeline.pause();
        }
        sleep(options.pauseFor());
        synchronized (pipelineLock) {
          pipeline.resume();
        }
      }
      case BROKER_RESTART -> {
        broker.stop(Duration.ofSeconds(60));
        sleep(Duration.ofSeconds(2));
        startBroker();
      }
      case SERVICE_DB_RESTART -> restartPostgres(false);
      case MONOLITH_RESTART -> restartPostgres(true);
    }
  }

  private void feedBadInput(BadInput bad) throws Exception {
    BadInput.Monolith connect = () -> monolith.connect(MONOLITH_DB);
    bad.feedSchemaDrift(
        connect,
        () -> {
          loadWanted = false;
          stopLoad();
        },
        () -> {
          loadWanted = true;
          startLoad();
        });
    say.accept(
        "bad input  schema drift: column added, column retyped, column dropped and restored");
    bad.feedHostileValues(connect);
    say.accept("bad input  hostile values: huge text, invalid date, extreme decimals");
    bad.feedMalformedEvents(bootstrapServers());
    say.accept(
        "bad input  malformed events: invalid JSON, no 'after', unknown op, wrong types, NUL");
    sleep(Duration.ofSeconds(10));
  }

  // ---------------------------------------------------------------- watchers

  private void supervise() {
    while (running) {
      try {
        synchronized (pipelineLock) {
          ChildJvm p = pipeline;
          if (running && p != null && !p.alive()) {
            String exit =
                String.format(
                    Locale.ROOT,
                    "t+%ds exit %d",
                    (System.nanoTime() - loadStartedNanos) / 1_000_000_000L,
                    p.exitCode());
            unplannedExits.add(exit);
            say.accept("pipeline   exited by itself (" + exit + "); restarting it");
            startPipeline();
          }
        }
        restartLoadIfFailed();
        Thread.sleep(1_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        LOG.warn("Supervisor: {}", e.toString());
      }
    }
  }

  private void sampleLag() {
    Map<String, Object> config = new HashMap<>();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
    try (Admin admin = Admin.create(config)) {
      LagProbe probe = new LagProbe(admin);
      while (running) {
        try {
          maxRecordLag.accumulateAndGet(recordLag(probe), Math::max);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (RuntimeException e) {
          LOG.debug("Lag sample failed: {}", e.toString());
        }
        try {
          long bytes =
              SlotLag.bytes(
                  monolith.jdbcUrl(MONOLITH_DB),
                  EmbeddedPostgresServer.USER,
                  "",
                  "carve_legacy_shop");
          maxCaptureLag.accumulateAndGet(bytes, Math::max);
        } catch (SQLException | RuntimeException e) {
          LOG.debug("Slot lag sample failed: {}", e.toString());
        }
        try {
          Thread.sleep(2_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private long recordLag(LagProbe probe) throws InterruptedException {
    long lag = 0;
    for (ServiceRuntime s : services.values()) {
      // Raw topics plus the application's internal (repartition, subscription) topics.
      java.util.Set<String> topics = new java.util.HashSet<>(s.rawTopics());
      topics.addAll(probe.committedTopics(s.transformerGroup()));
      lag += probe.lag(s.transformerGroup(), topics);
      lag += probe.lag(s.sinkGroup(), s.domainTopics());
    }
    return lag;
  }

  private void awaitNoLag(Duration timeout) throws Exception {
    Map<String, Object> config = new HashMap<>();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(config)) {
      LagProbe probe = new LagProbe(admin);
      int zeroes = 0;
      while (zeroes < 2) {
        long lag = recordLag(probe);
        zeroes = lag == 0 ? zeroes + 1 : 0;
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "The pipeline did not catch up within " + seconds(timeout) + ": lag " + lag);
        }
        Thread.sleep(1_000);
      }
    }
  }

  // ---------------------------------------------------------------- probes

  /**
   * Inserts a new customer into the monolith (retrying while the monolith is away) and waits until
   * the customers service holds it.
   *
   * @return the time until it was visible, or null when not within the timeout
   */
  private Duration awaitProbe(Duration timeout) throws InterruptedException {
    long t0 = System.nanoTime();
    long deadline = t0 + timeout.toNanos();
    // No trailing digits: the load generator numbers its customers after the highest trailing
    // number it finds at start, so a probe key must neither collide with nor move its numbering.
    String custNo = String.format(Locale.ROOT, "PRB%06dX", probes.incrementAndGet());
    boolean inserted = false;
    while (System.nanoTime() < deadline) {
      try {
        if (!inserted) {
          insertProbe(custNo);
          inserted = true;
        }
        if (mappedInTarget(custNo)) {
          return Duration.ofNanos(System.nanoTime() - t0);
        }
      } catch (SQLException e) {
        LOG.debug("Probe {} not done yet: {}", custNo, e.getMessage());
      }
      Thread.sleep(250);
    }
    return null;
  }

  private void insertProbe(String custNo) throws SQLException {
    try (Connection c = monolith.connect(MONOLITH_DB);
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO customers (cust_no, full_name, email, vip_flag, status, created_on,"
                    + " deleted_flag, updated_at) VALUES (?, 'Probe Customer', NULL, 'N', 'A',"
                    + " '01.01.2025', 'N', ?)")) {
      ps.setString(1, custNo);
      ps.setTimestamp(2, Timestamp.valueOf(LocalDateTime.of(2025, 1, 1, 0, 0)));
      ps.executeUpdate();
    }
  }

  /** Whether the customers or orders service holds a row of this legacy key. */
  private boolean mappedInTarget(String legacyKey) {
    String sql =
        legacyKey.startsWith("ORD-")
            ? "SELECT 1 FROM "
                + SqlIdentifiers.qualified("public", "order")
                + " WHERE order_ref = ?"
            : "SELECT 1 FROM "
                + SqlIdentifiers.qualified("public", "customer")
                + " WHERE legacy_ref = ?";
    String db = legacyKey.startsWith("ORD-") ? "orders" : "customers";
    try (Connection c =
            DriverManager.getConnection(
                servicesDb.jdbcUrl(db), EmbeddedPostgresServer.USER, "postgres");
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, legacyKey);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    } catch (SQLException e) {
      LOG.debug("Target check of {} failed: {}", legacyKey, e.getMessage());
      return false;
    }
  }

  // ---------------------------------------------------------------- verdict

  private List<ServiceResult> reconcile(BadInput bad) throws Exception {
    List<ServiceResult> results = new ArrayList<>();
    for (ServiceRuntime s : services.values()) {
      ReconcileReport report = s.reconciler(config.source()).run(line -> LOG.debug("{}", line));
      long missing = 0;
      long extra = 0;
      long different = 0;
      long rows = 0;
      for (ReconcileReport.EntityResult e : report.entities()) {
        missing += e.missingCount();
        extra += e.extraCount();
        different += e.differentCount();
        rows += e.actualRows();
      }
      long unexpected =
          report.unmappable().stream()
                  .filter(u -> bad.unmappableTokens().stream().noneMatch(u.key()::contains))
                  .count()
              + Math.max(0, report.unmappableCount() - report.unmappable().size());
      ServiceResult r =
          new ServiceResult(
              s.name(),
              rows,
              missing,
              extra,
              different,
              report.unmappableCount(),
              unexpected,
              report.render());
      results.add(r);
      say.accept("verify     " + s.name() + ": " + report.brief());
    }
    return results;
  }

  // ---------------------------------------------------------------- helpers

  private String bootstrapServers() {
    return "localhost:" + kafkaPort;
  }

  private String registryUrl() {
    return "http://127.0.0.1:" + registryPort;
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** How long the verdict waits for rows still waiting in a join: orders.yaml's catch-up wait. */
  private static final Duration JOIN_SETTLE = Duration.ofSeconds(150);

  private static final Duration JOIN_SETTLE_STEP = Duration.ofSeconds(5);

  private final java.util.Set<Integer> taken = new java.util.HashSet<>();

  private int freePort() throws IOException {
    // The controller uses the next port, so find two in a row, apart from those already chosen.
    for (int attempt = 0; attempt < 50; attempt++) {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      if (taken.contains(port) || taken.contains(port + 1) || taken.contains(port - 1)) {
        continue;
      }
      try (ServerSocket next = new ServerSocket(port + 1)) {
        taken.add(port);
        taken.add(port + 1);
        return port;
      } catch (IOException e) {
        LOG.debug("Port {} is taken, trying another pair", port + 1);
      }
    }
    throw new IOException("Found no two free ports in a row");
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted", e);
    }
  }

  private static String seconds(Duration d) {
    return ChaosReport.format(d);
  }
}
