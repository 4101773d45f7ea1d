package dev.carve.cli.metrics;

import java.net.InetSocketAddress;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The {@code --metrics-port} and {@code --metrics-address} options of every command that runs parts
 * of the pipeline. Add it to a command with {@code @CommandLine.Mixin MetricsMixin metrics;}, then
 * call {@link #start(int)} before starting the parts, so a port in use fails before anything runs.
 */
public final class MetricsMixin {
  /** The port of {@code carve up}'s endpoint unless {@code --metrics-port} says otherwise. */
  public static final int UP_DEFAULT_PORT = 9464;

  /** The default for a single part ({@code carve capture | transform | sink}): no endpoint. */
  public static final int OFF = 0;

  /** The option that sets the port, for messages. */
  public static final String PORT_OPTION = "--metrics-port";

  @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
  CommandLine.Model.CommandSpec spec;

  @Option(
      names = PORT_OPTION,
      paramLabel = "PORT",
      description = {
        "Serve Prometheus metrics on PORT at /metrics and health at /health; 0 turns them off.",
        "Default: " + UP_DEFAULT_PORT + " for 'carve up', off for a single part."
      })
  Integer port;

  @Option(
      names = "--metrics-address",
      paramLabel = "HOST",
      defaultValue = "127.0.0.1",
      description =
          "The address the metrics endpoint binds to (default: ${DEFAULT-VALUE}; 0.0.0.0 for"
              + " every interface, e.g. in a container).")
  String address;

  /**
   * The port to serve on: {@code --metrics-port} when given, else {@code defaultPort}.
   *
   * @return 0 when the endpoint is off
   * @throws CommandLine.ParameterException naming {@code --metrics-port} when out of range
   */
  public int port(int defaultPort) {
    int p = port == null ? defaultPort : port;
    if (p < 0 || p > 65535) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), PORT_OPTION + " must be between 0 (off) and 65535, was " + p);
    }
    return p;
  }

  /**
   * Binds the endpoint when it is on.
   *
   * @param defaultPort the command's default: {@link #UP_DEFAULT_PORT} or {@link #OFF}
   * @return the running server, or empty when the endpoint is off
   * @throws CommandLine.ParameterException naming the option when the port or address is invalid
   * @throws dev.carve.cli.UserFacingException naming {@code --metrics-port} when the port is in use
   */
  public Optional<MetricsServer> start(int defaultPort) {
    int p = port(defaultPort);
    if (p == 0) {
      return Optional.empty();
    }
    InetSocketAddress bind = new InetSocketAddress(address, p);
    if (bind.isUnresolved()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--metrics-address: unknown host '" + address + "'");
    }
    return Optional.of(MetricsServer.start(bind, PORT_OPTION));
  }
}
