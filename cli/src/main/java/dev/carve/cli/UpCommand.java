package dev.carve.cli;

import dev.carve.cli.metrics.MetricsMixin;
import dev.carve.cli.metrics.MetricsServer;
import dev.carve.cli.metrics.PipelineMetrics;
import dev.carve.cli.runtime.EmbeddedPipeline;
import dev.carve.cli.runtime.PipelineStatus;
import dev.carve.cli.runtime.StatusPrinter;
import dev.carve.cli.runtime.SyncCheck;
import dev.carve.examples.DataGenerator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code carve up}: the whole pipeline on this machine, on embedded infrastructure. */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    header = "Runs the whole pipeline on embedded infrastructure.",
    description = {
      "Runs the whole pipeline on this machine: embedded PostgreSQL (the demo monolith and one",
      "database per service), a KRaft Kafka broker, the embedded schema registry, Debezium's",
      "embedded engine, and per service a Kafka Streams application and a sink.",
      "State lives under .carve/, so a restart resumes without a new snapshot."
    })
public final class UpCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Mixin MetricsMixin metrics;

  @Option(
      names = "--load",
      paramLabel = "RATE",
      description = "Run the load generator at RATE changes/s (default: none).")
  double load;

  @Option(
      names = "--load-for",
      paramLabel = "DURATION",
      description = "Stop the load generator after DURATION (e.g. 60s, 5m).")
  String loadFor;

  @Option(
      names = "--until-synced",
      description = "Exit 0 once every service's tables equal the mapped source.")
  boolean untilSynced;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "30m",
      description = "With --until-synced: give up after DURATION (default: ${DEFAULT-VALUE}).")
  String timeout;

  @Option(
      names = "--fresh",
      description = "Forget all state under the state directory and start over.")
  boolean fresh;

  @Option(
      names = "--customers",
      defaultValue = "2000",
      description = "Demo data size when the monolith is empty (default: ${DEFAULT-VALUE}).")
  int customers;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Seed of the data and load generators (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--kafka-port",
      defaultValue = "19092",
      description =
          "Kafka broker port; the controller uses the next one (default: ${DEFAULT-VALUE}).")
  int kafkaPort;

  @Option(
      names = "--postgres-port",
      defaultValue = "15432",
      description = "Embedded PostgreSQL port (default: ${DEFAULT-VALUE}).")
  int postgresPort;

  @Option(
      names = "--registry-port",
      defaultValue = "18081",
      description = "Embedded schema registry port (default: ${DEFAULT-VALUE}).")
  int registryPort;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description = "Where state lives (default: <carve home>/.carve).")
  Path stateDir;

  @Option(
      names = "--interval",
      paramLabel = "DURATION",
      defaultValue = "2s",
      description = "How often the progress lines refresh (default: ${DEFAULT-VALUE}).")
  String interval;

  @Override
  public Integer call() throws Exception {
    Duration timeoutD = CliDurations.parse(spec, "--timeout", timeout);
    Duration intervalD = CliDurations.parse(spec, "--interval", interval);
    Duration loadForD = loadFor == null ? null : CliDurations.parse(spec, "--load-for", loadFor);
    if (load < 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--load must be 0 or more changes/s, was " + load);
    }
    if (customers < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--customers must be at least 1, was " + customers);
    }
    if (untilSynced && load > 0 && loadForD == null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--until-synced with --load needs --load-for DURATION: the source must stop changing to be"
              + " compared (e.g. --load 200 --load-for 60s)");
    }
    for (int port : new int[] {kafkaPort, postgresPort, registryPort}) {
      if (port < 1 || port > 65534) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "ports must be between 1 and 65534, was " + port);
      }
    }
    metrics.port(MetricsMixin.UP_DEFAULT_PORT);
    PrintWriter out = spec.commandLine().getOut();
    Path home = Home.dir();
    Path state = stateDir == null ? home.resolve(".carve") : stateDir.toAbsolutePath();
    EmbeddedPipeline.Options options =
        new EmbeddedPipeline.Options(
            state,
            home,
            kafkaPort,
            postgresPort,
            registryPort,
            DataGenerator.Sizes.forCustomers(customers),
            seed,
            load,
            fresh);

    long started = System.nanoTime();
    out.println("carve up — state in " + state + ", log in " + Logs.file());
    out.flush();
    // Bound first, so a port in use fails before anything starts.
    Optional<MetricsServer> server = metrics.start(MetricsMixin.UP_DEFAULT_PORT);
    EmbeddedPipeline pipeline;
    try {
      pipeline =
          EmbeddedPipeline.start(
              options,
              line -> {
                out.println("  " + line);
                out.flush();
              });
    } catch (RuntimeException e) {
      server.ifPresent(MetricsServer::close);
      throw e;
    }
    server.ifPresent(
        s -> {
          PipelineMetrics.register(s, pipeline);
          out.println("  metrics    " + s.url() + "/metrics, health on " + s.url() + "/health");
          out.flush();
        });

    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean stopping = new AtomicBoolean();
    StatusPrinter printer = new StatusPrinter(out, System.console() != null);
    Thread hook =
        new Thread(
            () -> {
              if (stopping.compareAndSet(false, true)) {
                out.println();
                out.println(
                    "carve up: stopping (offsets are committed, in-flight batches finish)...");
                out.flush();
                pipeline.close();
                server.ifPresent(MetricsServer::close);
                out.println("carve up: stopped cleanly.");
                out.flush();
              }
              stopped.countDown();
            },
            "carve-up-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);

    SyncCheck sync = new SyncCheck(pipeline);
    PipelineStatus last = null;
    boolean loadStopped = false;
    try {
      while (!stopping.get()) {
        if (stopped.await(intervalD.toMillis(), TimeUnit.MILLISECONDS)) {
          return 0;
        }
        if (loadForD != null && !loadStopped && elapsed(started).compareTo(loadForD) >= 0) {
          pipeline.load().ifPresent(l -> l.stop(Duration.ofSeconds(10)));
          loadStopped = true;
          printer.note("load generator stopped after " + loadFor);
        }
        last = PipelineStatus.of(pipeline, elapsed(started));
        printer.print(last);
        if (pipeline.failure().isPresent()) {
          printer.summary(last, "FAILED: " + pipeline.failure().get());
          return Carve.EXIT_FAILURE;
        }
        if (untilSynced && (loadForD == null || loadStopped)) {
          SyncCheck.Result result = sync.check(last);
          if (result.synced()) {
            printer.summary(
                PipelineStatus.of(pipeline, elapsed(started)), "SYNCED: " + result.detail());
            return 0;
          }
          if (elapsed(started).compareTo(timeoutD) > 0) {
            printer.summary(last, "NOT SYNCED after " + timeout + ": " + result.detail());
            return Carve.EXIT_FAILURE;
          }
        }
      }
      stopped.await();
      return 0;
    } finally {
      if (stopping.compareAndSet(false, true)) {
        pipeline.close();
        server.ifPresent(MetricsServer::close);
        stopped.countDown();
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // The JVM is already shutting down; the hook runs and finds the pipeline closed.
        }
      }
      if (last != null) {
        printer.flush();
      }
    }
  }

  private static Duration elapsed(long startedNanos) {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }
}
