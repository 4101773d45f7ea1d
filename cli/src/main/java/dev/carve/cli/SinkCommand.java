package dev.carve.cli;

import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.metrics.ComponentMetrics;
import dev.carve.cli.metrics.MetricsMixin;
import dev.carve.cli.metrics.MetricsServer;
import dev.carve.cli.runtime.ServiceRuntime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code carve sink <service>}: the idempotent writer of one service. */
@Command(
    name = "sink",
    mixinStandardHelpOptions = true,
    header = "Runs the sink of one service into its database.",
    description =
        "Runs the sink of one service (consumer group carve-sink-<service>) into its database.")
public final class SinkCommand implements Callable<Integer> {
  @CommandLine.Mixin ServiceArgs args;
  @CommandLine.Mixin MetricsMixin metrics;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    CarveConfig c = args.config();
    ServiceRuntime runtime =
        ServiceRuntime.create(
            args.settings(),
            c,
            c.kafka().bootstrapServers(),
            c.registryUrl(),
            Home.dir().resolve(".carve"));
    Optional<MetricsServer> server = metrics.start(MetricsMixin.OFF);
    server.ifPresent(s -> s.add(ComponentMetrics.sink(runtime.sink())));
    return RunUntilStopped.run(
        List.of(runtime.parts().get(1)), spec.commandLine().getOut(), server);
  }
}
