package dev.carve.cli;

import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.metrics.ComponentMetrics;
import dev.carve.cli.metrics.MetricsMixin;
import dev.carve.cli.metrics.MetricsServer;
import dev.carve.cli.runtime.ServiceRuntime;
import dev.carve.sink.ServiceSink;
import dev.carve.transform.TransformerReset;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code carve transform <service>}: the Kafka Streams application of one service. */
@Command(
    name = "transform",
    mixinStandardHelpOptions = true,
    header = "Runs (or resets) the Streams application of one service.",
    description = {
      "Runs the Kafka Streams application of one service (application id carve-<service>).",
      "--reset instead makes its next run map every raw change again, from the earliest offset,",
      "with the mapping as it is now (after changing a mapping, or adding a join): it deletes the",
      "application's committed offsets, internal topics and local state and the service's domain",
      "topics; raw topics, the dead-letter topic and schemas stay. The service's transformer and",
      "sink must be stopped. Then run the transformer again and rebuild the store from the new",
      "records: carve replay <service>."
    })
public final class TransformCommand implements Callable<Integer> {
  @CommandLine.Mixin ServiceArgs args;
  @CommandLine.Mixin MetricsMixin metrics;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin StateDirOption stateDir;

  @Option(
      names = "--reset",
      description = "Reset the application so that its next run re-maps every raw change.")
  boolean reset;

  @Option(
      names = "--dry-run",
      description = "With --reset: say what would be deleted; delete nothing.")
  boolean dryRun;

  @Override
  public Integer call() throws Exception {
    CarveConfig c = args.config();
    if (dryRun && !reset) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--dry-run goes with --reset");
    }
    if (reset) {
      return reset(c);
    }
    ServiceRuntime runtime =
        ServiceRuntime.create(
            args.settings(), c, c.kafka().bootstrapServers(), c.registryUrl(), stateDir.resolve());
    Optional<MetricsServer> server = metrics.start(MetricsMixin.OFF);
    server.ifPresent(s -> s.add(ComponentMetrics.transformer(runtime)));
    return RunUntilStopped.run(
        List.of(runtime.parts().get(0)), spec.commandLine().getOut(), server);
  }

  private int reset(CarveConfig c) throws InterruptedException {
    String service = args.service;
    TransformerReset job =
        ServiceRuntime.transformerReset(
            args.settings(), c, c.kafka().bootstrapServers(), c.registryUrl(), stateDir.resolve());
    List<String> sinkGroup = List.of(ServiceSink.groupId(service));
    PrintWriter out = spec.commandLine().getOut();
    TransformerReset.Plan plan = job.plan(sinkGroup);
    if (dryRun) {
      out.println("reset of the transformer of '" + service + "' would delete (dry run):");
      out.print(plan.describe());
      if (!plan.idle()) {
        out.println("it would refuse now: stop the service's transformer and sink first");
      }
      out.flush();
      return 0;
    }
    if (!plan.idle()) {
      throw new UserFacingException(
          "Cannot reset the transformer of '"
              + service
              + "': still connected: "
              + String.join(", ", plan.members())
              + ". Stop the service's transformer and sink (a stopped Kafka Streams member stays"
              + " in its group until its session times out), then run the reset again.");
    }
    TransformerReset.Plan done = job.run(sinkGroup, Duration.ofSeconds(60));
    out.println("reset the transformer of '" + service + "'; deleted:");
    out.print(done.describe());
    out.println(
        "next: start the transformer (carve transform "
            + service
            + ", or carve up / carve run): it maps every raw change again into new domain topics;"
            + " then rebuild the store from them: carve replay "
            + service);
    out.flush();
    return 0;
  }
}
