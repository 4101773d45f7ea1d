package dev.carve.cli.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.cli.Carve;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --metrics-port}: checked before anything starts, named in every error. */
class MetricsMixinTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cmd = Carve.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  @Test
  void upWithTheMetricsPortInUseFailsNamingTheOptionBeforeStartingAnything(@TempDir Path state)
      throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();

      int code = run("up", "--state-dir", state.toString(), "--metrics-port", "" + port);

      assertThat(code).isEqualTo(Carve.EXIT_USAGE);
      assertThat(err.toString())
          .contains("Port " + port)
          .contains("metrics endpoint is already in use")
          .contains("--metrics-port")
          .doesNotContain("\tat ");
      assertThat(state.resolve("postgres")).doesNotExist();
      assertThat(state.resolve("kafka")).doesNotExist();
    }
  }

  @Test
  void outOfRangePortIsRejectedNamingTheOption(@TempDir Path state) {
    int code = run("up", "--state-dir", state.toString(), "--metrics-port", "70000");

    assertThat(code).isEqualTo(Carve.EXIT_USAGE);
    assertThat(err.toString()).contains("--metrics-port must be between 0 (off) and 65535");
  }

  @Test
  void everyPartCommandHasTheMetricsOptions() {
    CommandLine carve = Carve.commandLine();
    for (String command : new String[] {"up", "capture", "transform", "sink"}) {
      assertThat(carve.getSubcommands().get(command).getCommandSpec().findOption("--metrics-port"))
          .as(command)
          .isNotNull();
      assertThat(
              carve.getSubcommands().get(command).getCommandSpec().findOption("--metrics-address"))
          .as(command)
          .isNotNull();
    }
  }
}
