package dev.carve.cli;

import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.runtime.ServiceRuntime;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code carve transform <service>}: the Kafka Streams application of one service. */
@Command(
    name = "transform",
    mixinStandardHelpOptions = true,
    description =
        "Runs the Kafka Streams application of one service (application id carve-<service>).")
public final class TransformCommand implements Callable<Integer> {
  @CommandLine.Mixin ConfigMixin config;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "SERVICE",
      description = "The service, as named in carve.yaml.")
  String service;

  @CommandLine.Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description = "Kafka Streams state directory (default: .carve/streams).")
  Path stateDir;

  @Override
  public Integer call() throws Exception {
    CarveConfig c = config.load();
    CarveConfig.ServiceSettings s = c.service(service);
    ServiceRuntime runtime =
        ServiceRuntime.create(
            s,
            c,
            c.kafka().bootstrapServers(),
            c.registryUrl(),
            stateDir == null
                ? Home.dir().resolve(".carve")
                : stateDir.toAbsolutePath().getParent());
    return RunUntilStopped.run(List.of(runtime.parts().get(0)), spec.commandLine().getOut());
  }
}
