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

/** {@code carve transform <service>}: the Kafka Streams application of one service. */
@Command(
    name = "transform",
    mixinStandardHelpOptions = true,
    description =
        "Runs the Kafka Streams application of one service (application id carve-<service>).")
public final class TransformCommand implements Callable<Integer> {
  @CommandLine.Mixin ServiceArgs args;
  @CommandLine.Mixin MetricsMixin metrics;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin StateDirOption stateDir;

  @Override
  public Integer call() throws Exception {
    CarveConfig c = args.config();
    ServiceRuntime runtime =
        ServiceRuntime.create(
            args.settings(), c, c.kafka().bootstrapServers(), c.registryUrl(), stateDir.resolve());
    Optional<MetricsServer> server = metrics.start(MetricsMixin.OFF);
    server.ifPresent(s -> s.add(ComponentMetrics.transformer(runtime)));
    return RunUntilStopped.run(
        List.of(runtime.parts().get(0)), spec.commandLine().getOut(), server);
  }
}
