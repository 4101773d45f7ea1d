package dev.carve.cli;

import dev.carve.cli.embedded.EmbeddedStartException;
import dev.carve.core.config.ConfigException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code carve} command: the entry point of every part of the pipeline. */
@Command(
    name = "carve",
    mixinStandardHelpOptions = true,
    version = "carve 0.1.0",
    description =
        "Carves a monolith's PostgreSQL into the databases of the services that replace it.",
    subcommands = {
      UpCommand.class,
      RunCommand.class,
      CaptureCommand.class,
      TransformCommand.class,
      SinkCommand.class,
      VerifyCommand.class,
      StatusCommand.class,
      ConnectorsCommand.class,
      SchemasCommand.class,
      ReplayCommand.class,
      DlqCommand.class,
      KeysCommand.class,
      PreflightCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Carve implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(Carve.class);

  /** Exit code for a problem the user can fix (configuration, ports, unreachable database). */
  public static final int EXIT_USAGE = 2;

  /** Columns of the usage help: the descriptions are written for it. */
  static final int USAGE_WIDTH = 100;

  /** Exit code for a failure while running. */
  public static final int EXIT_FAILURE = 1;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /** Builds the command line with Carve's error handling (one clear message, no stack trace). */
  public static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new Carve());
    cmd.setExecutionExceptionHandler(Carve::handle);
    // The descriptions are written in lines of up to 100 columns; at picocli's default of 80 each
    // of them would wrap in the middle.
    cmd.setUsageHelpWidth(USAGE_WIDTH);
    return cmd;
  }

  private static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parseResult) {
    PrintWriter err = cmd.getErr();
    if (e instanceof ConfigException
        || e instanceof EmbeddedStartException
        || e instanceof UserFacingException
        || e instanceof IllegalArgumentException) {
      // A refusal the user can act on: the message says it all, a stack trace would bury it.
      LOG.warn("carve {} refused: {}", cmd.getCommandName(), e.getMessage());
      err.println(
          cmd.getColorScheme().errorText("carve " + cmd.getCommandName() + ": " + e.getMessage()));
      return EXIT_USAGE;
    }
    LOG.error("carve {} failed", cmd.getCommandName(), e);
    err.println(
        cmd.getColorScheme()
            .errorText("carve " + cmd.getCommandName() + " failed: " + describe(e)));
    err.println("(details in " + Logs.file() + ")");
    return EXIT_FAILURE;
  }

  private static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
    Throwable cause = e.getCause();
    while (cause != null && cause != e) {
      if (cause.getMessage() != null && !sb.toString().contains(cause.getMessage())) {
        sb.append(": ").append(cause.getMessage());
      }
      e = cause;
      cause = cause.getCause();
    }
    return sb.toString();
  }

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    Logs.init();
    System.exit(commandLine().execute(args));
  }
}
