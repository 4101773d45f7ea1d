package dev.carve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PreflightCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cmd = Carve.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  @Test
  void badWalThresholdIsRejectedNamingTheOption() {
    assertThat(run("preflight", "--wal-warn-bytes", "12XB")).isEqualTo(2);
    assertThat(err.toString()).contains("--wal-warn-bytes");
  }

  @Test
  void unreachableMonolithIsOneBlockerNamingHostAndPort(@TempDir Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String connector =
        Files.readString(TestHome.dir().resolve("cdc-connector-config/connectors/legacy-shop.json"))
            .replace("${MONOLITH_PORT:-5432}", String.valueOf(port));
    Path file = dir.resolve("c.json");
    Files.writeString(file, connector);
    assertThat(run("preflight", "--connector", file.toString())).isEqualTo(1);
    assertThat(out.toString())
        .contains("BLOCKER")
        .contains("localhost:" + port)
        .doesNotContain("\tat ");
  }
}
