package dev.carve.cli;

import dev.carve.capture.ConnectClient;
import dev.carve.capture.ConnectorConfig;
import dev.carve.capture.ConnectorValidationException;
import dev.carve.core.config.Substitution;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code carve connectors ...}: the Debezium connector on Kafka Connect, through its REST API. */
@Command(
    name = "connectors",
    mixinStandardHelpOptions = true,
    header = "Deploys and operates the connector on Kafka Connect.",
    description = "Deploys and operates the connector config on Kafka Connect (REST API).",
    subcommands = {
      ConnectorsCommand.Deploy.class,
      ConnectorsCommand.Status.class,
      ConnectorsCommand.Restart.class,
      ConnectorsCommand.Pause.class,
      ConnectorsCommand.Resume.class,
      ConnectorsCommand.Diff.class
    })
public final class ConnectorsCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /** Options shared by the connector subcommands. */
  static final class ConnectOptions {
    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--connect-url",
        paramLabel = "URL",
        description = "Kafka Connect REST URL (default: $CONNECT_URL or http://localhost:8083).")
    String url;

    @Option(
        names = "--connector",
        paramLabel = "FILE",
        description =
            "Connector config file (default: cdc-connector-config/connectors/legacy-shop.json).")
    Path file;

    ConnectClient client() {
      String u =
          url != null ? url : System.getenv().getOrDefault("CONNECT_URL", "http://localhost:8083");
      if (!u.startsWith("http://") && !u.startsWith("https://")) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--connect-url must start with http:// or https://, not '" + u + "'");
      }
      return ConnectClient.create(URI.create(u));
    }

    ConnectorConfig connector() {
      Path f =
          file != null
              ? file.toAbsolutePath()
              : Home.dir().resolve("cdc-connector-config/connectors/legacy-shop.json");
      return ConnectorConfig.load(f, Substitution.fromEnvironment());
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }
  }

  /** Validates through Connect, then creates or updates the connector (idempotent). */
  @Command(
      name = "deploy",
      mixinStandardHelpOptions = true,
      description = "Validate the config with Connect, then PUT it (idempotent).")
  static final class Deploy implements Callable<Integer> {
    @CommandLine.Mixin ConnectOptions o;

    @Override
    public Integer call() {
      ConnectorConfig c = o.connector();
      // Connect's validation does not report a key nobody knows either; it would be ignored.
      for (String key : c.unknownKeys()) {
        o.out()
            .println(
                "WARNING: neither Debezium's PostgreSQL connector nor Kafka Connect knows "
                    + key
                    + ": both ignore it, so its setting stays at the default");
      }
      o.out().flush();
      try {
        ConnectClient.DeployResult r = o.client().deploy(c);
        o.out().println("connector '" + c.name() + "' " + r.name().toLowerCase(Locale.ROOT));
        return 0;
      } catch (ConnectorValidationException e) {
        o.out()
            .println("Kafka Connect rejected connector '" + c.name() + "'; nothing was changed:");
        e.validation().problems().forEach(p -> o.out().println("  - " + p));
        return Carve.EXIT_USAGE;
      }
    }
  }

  /** The connector's and its tasks' states. */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Show the connector and task states.")
  static final class Status implements Callable<Integer> {
    @CommandLine.Mixin ConnectOptions o;

    @Override
    public Integer call() {
      ConnectClient.ConnectorStatus s = o.client().status(o.connector().name());
      o.out().printf(Locale.ROOT, "connector %s: %s on %s%n", s.name(), s.state(), s.workerId());
      s.tasks()
          .forEach(
              t ->
                  o.out()
                      .printf(
                          Locale.ROOT,
                          "  task %d: %s on %s%s%n",
                          t.id(),
                          t.state(),
                          t.workerId(),
                          t.trace() == null
                              ? ""
                              : System.lineSeparator()
                                  + "    "
                                  + t.trace().lines().findFirst().orElse("")));
      return s.healthy() ? 0 : Carve.EXIT_FAILURE;
    }
  }

  /** Restarts the connector and (by default) its failed tasks. */
  @Command(
      name = "restart",
      mixinStandardHelpOptions = true,
      description = "Restart the connector and its tasks.")
  static final class Restart implements Callable<Integer> {
    @CommandLine.Mixin ConnectOptions o;

    @Option(names = "--all-tasks", description = "Restart every task, not only failed ones.")
    boolean allTasks;

    @Override
    public Integer call() {
      String name = o.connector().name();
      Optional<ConnectClient.ConnectorStatus> answer = o.client().restart(name, true, !allTasks);
      List<String> restarting =
          answer.map(ConnectClient.ConnectorStatus::restarting).orElse(List.of());
      if (answer.isPresent() && restarting.isEmpty()) {
        o.out()
            .println(
                "connector '"
                    + name
                    + "': nothing failed, so nothing was restarted"
                    + (allTasks ? "" : " (--all-tasks restarts every task)"));
      } else {
        o.out()
            .println(
                "connector '"
                    + name
                    + "': restarting "
                    + (restarting.isEmpty() ? "the connector" : String.join(", ", restarting)));
      }
      return 0;
    }
  }

  /** Pauses the connector. */
  @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pause the connector.")
  static final class Pause implements Callable<Integer> {
    @CommandLine.Mixin ConnectOptions o;

    @Override
    public Integer call() {
      String name = o.connector().name();
      o.client().pause(name);
      o.out().println("connector '" + name + "' paused");
      return 0;
    }
  }

  /** Resumes the connector. */
  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume the connector.")
  static final class Resume implements Callable<Integer> {
    @CommandLine.Mixin ConnectOptions o;

    @Override
    public Integer call() {
      String name = o.connector().name();
      o.client().resume(name);
      o.out().println("connector '" + name + "' resumed");
      return 0;
    }
  }

  /** Differences between the deployed config and the file; secret values are masked. */
  @Command(
      name = "diff",
      mixinStandardHelpOptions = true,
      description = "Show how the deployed config differs from the file (secrets masked).")
  static final class Diff implements Callable<Integer> {
    @CommandLine.Mixin ConnectOptions o;

    @Override
    public Integer call() {
      ConnectorConfig c = o.connector();
      ConnectClient.ConfigDiff d = o.client().diff(c);
      if (!d.deployed()) {
        o.out().println("connector '" + c.name() + "' is not deployed");
        return Carve.EXIT_FAILURE;
      }
      if (d.empty()) {
        o.out().println("connector '" + c.name() + "': deployed config equals the file");
        return 0;
      }
      d.added().forEach((k, v) -> o.out().println("+ " + k + "=" + mask(k, v)));
      d.removed().forEach((k, v) -> o.out().println("- " + k + "=" + mask(k, v)));
      d.changed()
          .forEach(
              (k, ch) ->
                  o.out()
                      .println(
                          "~ " + k + ": " + mask(k, ch.deployed()) + " -> " + mask(k, ch.file())));
      return Carve.EXIT_FAILURE;
    }

    private static String mask(String key, String value) {
      return ConnectorConfig.isSecretKey(key) ? "****" : value;
    }
  }
}
