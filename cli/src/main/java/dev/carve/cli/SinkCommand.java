package dev.carve.cli;

import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.runtime.ServiceRuntime;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code carve sink <service>}: the idempotent writer of one service. */
@Command(
    name = "sink",
    mixinStandardHelpOptions = true,
    description =
        "Runs the sink of one service (consumer group carve-sink-<service>) into its database.")
public final class SinkCommand implements Callable<Integer> {
  @CommandLine.Mixin ConfigMixin config;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "SERVICE",
      description = "The service, as named in carve.yaml.")
  String service;

  @Override
  public Integer call() throws Exception {
    CarveConfig c = config.load();
    CarveConfig.ServiceSettings s = c.service(service);
    ServiceRuntime runtime =
        ServiceRuntime.create(
            s, c, c.kafka().bootstrapServers(), c.registryUrl(), Home.dir().resolve(".carve"));
    return RunUntilStopped.run(List.of(runtime.parts().get(1)), spec.commandLine().getOut());
  }
}
