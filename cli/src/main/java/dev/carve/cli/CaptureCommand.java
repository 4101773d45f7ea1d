package dev.carve.cli;

import dev.carve.capture.ConnectorConfig;
import dev.carve.capture.EmbeddedCapture;
import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.metrics.ComponentMetrics;
import dev.carve.cli.metrics.MetricsMixin;
import dev.carve.cli.metrics.MetricsServer;
import dev.carve.cli.runtime.Parts;
import dev.carve.core.config.Substitution;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code carve capture}: Debezium's embedded engine writing to Kafka, for sites without Kafka
 * Connect.
 */
@Command(
    name = "capture",
    mixinStandardHelpOptions = true,
    header = "Runs the connector config on Debezium's embedded engine.",
    description = {
      "Runs the connector config of carve.yaml (capture.connector) on Debezium's embedded engine,",
      "writing the same records to the same topics as Kafka Connect would. Offsets live in Kafka."
    })
public final class CaptureCommand implements Callable<Integer> {
  @CommandLine.Mixin ConfigMixin config;
  @CommandLine.Mixin MetricsMixin metrics;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    CarveConfig c = config.load();
    ConnectorConfig connector =
        ConnectorConfig.load(c.capture().connector(), Substitution.fromEnvironment());
    EmbeddedCapture.Options options =
        EmbeddedCapture.Options.of(c.kafka().bootstrapServers())
            .withKafkaProperties(c.kafka().properties())
            .withOffsetsTopic(c.capture().offsetsTopic())
            .withOffsetsTopicReplicationFactor(c.capture().offsetsTopicReplicationFactor());
    EmbeddedCapture capture = EmbeddedCapture.create(connector, options);
    Optional<MetricsServer> server = metrics.start(MetricsMixin.OFF);
    server.ifPresent(s -> s.add(ComponentMetrics.capture(capture)));
    return RunUntilStopped.run(
        List.of(Parts.capture(capture)), spec.commandLine().getOut(), server);
  }
}
