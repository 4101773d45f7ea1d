package dev.carve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code carve up} fails fast, with one message naming the problem and the fix, before starting
 * anything.
 */
class UpCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @AfterEach
  void restoreHome() {
    System.clearProperty("carve.home");
  }

  private int run(String... args) {
    CommandLine cmd = Carve.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  @Test
  void portInUseFailsNamingThePortAndTheOption(@TempDir Path state) throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      int port = taken.getLocalPort();
      int code =
          run(
              "up",
              "--state-dir",
              state.toString(),
              "--postgres-port",
              String.valueOf(port),
              "--kafka-port",
              String.valueOf(TestPorts.freePair()),
              "--registry-port",
              String.valueOf(TestPorts.free()));
      assertThat(code).isEqualTo(2);
      assertThat(err.toString())
          .contains("Port " + port + " for the embedded PostgreSQL is already in use")
          .contains("--postgres-port")
          .doesNotContain("\tat ");
      assertThat(state.resolve("postgres")).doesNotExist();
    }
  }

  @Test
  void invalidConnectorConfigFailsListingEveryKeyBeforeStartingAnything(@TempDir Path home)
      throws Exception {
    Files.writeString(
        home.resolve("carve.yaml"),
        """
        kafka: {bootstrap-servers: "localhost:9092"}
        schema-registry: {url: "http://localhost:8081"}
        capture: {connector: bad.json}
        services:
          orders:
            topology: orders.yaml
            target: {jdbc-url: "jdbc:postgresql://localhost/orders", username: app}
        """);
    Files.writeString(
        home.resolve("bad.json"),
        """
        {"name": "legacy-shop", "config": {
          "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
          "plugin.name": "decoderbufs",
          "database.hostname": "localhost",
          "database.port": "five",
          "database.user": "postgres",
          "topic.prefix": "legacy",
          "table.include.list": "public.orders",
          "key.converter": "org.apache.kafka.connect.json.JsonConverter",
          "value.converter": "org.apache.kafka.connect.json.JsonConverter"
        }}
        """);
    System.setProperty("carve.home", home.toString());
    int code =
        run(
            "up",
            "--state-dir",
            home.resolve("state").toString(),
            "--postgres-port",
            String.valueOf(TestPorts.free()),
            "--kafka-port",
            String.valueOf(TestPorts.freePair()),
            "--registry-port",
            String.valueOf(TestPorts.free()));
    assertThat(code).as(err.toString()).isEqualTo(2);
    assertThat(err.toString())
        .contains("bad.json")
        .contains("database.dbname")
        .contains("database.port")
        .contains("plugin.name")
        .doesNotContain("\tat ");
    assertThat(home.resolve("state").resolve("postgres")).doesNotExist();
  }
}
