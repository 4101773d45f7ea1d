package dev.carve.cli;

import dev.carve.capture.ConnectorConfig;
import dev.carve.capture.EmbeddedCapture;
import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.metrics.ComponentMetrics;
import dev.carve.cli.metrics.MetricsMixin;
import dev.carve.cli.metrics.MetricsServer;
import dev.carve.cli.runtime.Part;
import dev.carve.cli.runtime.Parts;
import dev.carve.cli.runtime.ServiceRuntime;
import dev.carve.core.config.Substitution;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code carve run}: every part of carve.yaml in one process against existing infrastructure — the
 * capture on Debezium's embedded engine, and per service its Kafka Streams application and its
 * sink. What {@code carve capture}, {@code transform} and {@code sink} run one by one.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    header = "Runs every part of carve.yaml in one process.",
    description = {
      "Runs the whole pipeline of carve.yaml in one process against existing Kafka, schema",
      "registry and databases: capture (embedded engine), then per service transformer and sink.",
      "Offsets live in Kafka, so a restart (or a kill) resumes where it stopped."
    })
public final class RunCommand implements Callable<Integer> {
  @CommandLine.Mixin ConfigMixin config;
  @CommandLine.Mixin MetricsMixin metrics;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(
      names = "--services",
      split = ",",
      paramLabel = "NAME",
      description = "Only these services (default: every service of carve.yaml).")
  List<String> services;

  @CommandLine.Option(
      names = "--no-capture",
      description = "Do not run the capture (Debezium runs on Kafka Connect).")
  boolean noCapture;

  @CommandLine.Mixin StateDirOption stateDir;

  @Override
  public Integer call() throws Exception {
    CarveConfig c = config.load();
    List<String> names = services == null ? List.copyOf(c.services().keySet()) : services;
    Path state = stateDir.resolve();
    // Build every part before starting any, so a bad service or config fails with nothing to undo.
    List<Part> parts = new ArrayList<>();
    List<ServiceRuntime> runtimes = new ArrayList<>();
    for (String name : names) {
      ServiceRuntime runtime =
          ServiceRuntime.create(
              c.service(name), c, c.kafka().bootstrapServers(), c.registryUrl(), state);
      runtimes.add(runtime);
      parts.addAll(runtime.parts());
    }
    Optional<MetricsServer> server = metrics.start(MetricsMixin.OFF);
    server.ifPresent(
        s ->
            runtimes.forEach(
                rt -> {
                  s.add(ComponentMetrics.transformer(rt));
                  s.add(ComponentMetrics.sink(rt.sink()));
                }));
    if (!noCapture) {
      ConnectorConfig connector =
          ConnectorConfig.load(c.capture().connector(), Substitution.fromEnvironment());
      EmbeddedCapture capture =
          EmbeddedCapture.create(
              connector,
              EmbeddedCapture.Options.of(c.kafka().bootstrapServers())
                  .withKafkaProperties(c.kafka().properties())
                  .withOffsetsTopic(c.capture().offsetsTopic())
                  .withOffsetsTopicReplicationFactor(c.capture().offsetsTopicReplicationFactor()));
      // Consumers first, capture last: data flows capture → transform → sink.
      parts.add(Parts.capture(capture));
      server.ifPresent(s -> s.add(ComponentMetrics.capture(capture)));
    }
    return RunUntilStopped.run(parts, spec.commandLine().getOut(), server);
  }
}
