package dev.carve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CarveCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cmd = Carve.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  @Test
  void helpListsEveryPart() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("up", "run", "capture", "transform", "sink");
  }

  /** Regression: the list showed the first line of each description, cut mid-sentence. */
  @Test
  void helpListsEachCommandWithAWholeSentence() {
    assertThat(run("--help")).isZero();
    List<String> commands =
        out.toString()
            .lines()
            .dropWhile(l -> !l.startsWith("Commands:"))
            .skip(1)
            .filter(l -> l.matches("  [a-z]+ .*"))
            .toList();
    assertThat(commands).hasSizeGreaterThanOrEqualTo(12);
    for (String line : commands) {
      assertThat(line.strip()).as(line).endsWith(".");
    }
  }

  /** Regression: at picocli's 80 columns every description line longer than that broke in two. */
  @Test
  void everyCommandsHelpShowsItsDescriptionLinesWhole() {
    List<CommandLine> all = new java.util.ArrayList<>();
    java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>();
    todo.add(Carve.commandLine());
    while (!todo.isEmpty()) {
      CommandLine c = todo.poll();
      all.add(c);
      todo.addAll(c.getSubcommands().values());
    }
    assertThat(all).hasSizeGreaterThanOrEqualTo(15);
    for (CommandLine c : all) {
      String usage = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
      for (String line : c.getCommandSpec().usageMessage().description()) {
        if (line.length() > Carve.USAGE_WIDTH) {
          continue; // a paragraph in one string, reflowed
        }
        // Description lines are format strings (picocli's own help command has %n).
        String shown = String.format(java.util.Locale.ROOT, line).strip();
        assertThat(usage).as(c.getCommandName() + ": " + line).contains(shown);
      }
      assertThat(usage.lines())
          .as(c.getCommandName())
          .allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(Carve.USAGE_WIDTH));
    }
  }

  @Test
  void negativeLoadIsRejectedNamingTheOption() {
    assertThat(run("up", "--load", "-5")).isEqualTo(2);
    assertThat(err.toString()).contains("--load must be 0 or more changes/s, was -5.0");
  }

  @Test
  void badDurationIsRejectedNamingTheOption() {
    assertThat(run("up", "--timeout", "soon")).isEqualTo(2);
    assertThat(err.toString())
        .contains("--timeout takes a positive duration such as 500ms, 30s, 5m or 2h, not 'soon'");
  }

  @Test
  void untilSyncedWithEndlessLoadIsRejected() {
    assertThat(run("up", "--until-synced", "--load", "100")).isEqualTo(2);
    assertThat(err.toString()).contains("--until-synced with --load needs --load-for");
  }

  @Test
  void missingConfigFileNamesTheFile(@TempDir Path dir) {
    Path missing = dir.resolve("nope.yaml");
    assertThat(run("sink", "orders", "--config", missing.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--config: no such file '" + missing + "'");
  }

  @Test
  void invalidConfigListsEveryProblemWithoutAStackTrace(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("carve.yaml");
    Files.writeString(
        file,
        """
        kafka:
          bootstrap-servers: localhost:9092
          colour: blue
        schema-registry:
          url: localhost:8081
        services:
          orders:
            topology: stream-transformer/topologies/orders.yaml
            on-error: ignore
            target:
              jdbc-url: jdbc:mysql://db/orders
              username: app
        """);
    assertThat(run("sink", "orders", "--config", file.toString())).isEqualTo(2);
    String e = err.toString();
    assertThat(e)
        .contains("unknown key 'kafka.colour'")
        .contains(
            "key 'schema-registry.url' has value 'localhost:8081': must start with http:// or https://")
        .contains(
            "key 'services.orders.on-error' has value 'ignore': expected one of dead-letter, fail")
        .contains(
            "key 'services.orders.target.jdbc-url' has value 'jdbc:mysql://db/orders': must be a PostgreSQL JDBC URL")
        .doesNotContain("\tat ");
  }

  @Test
  void unknownServiceListsTheKnownOnes() {
    Path config = dev.carve.cli.TestHome.dir().resolve("carve.yaml");
    assertThat(run("sink", "invoices", "--config", config.toString())).isEqualTo(2);
    assertThat(err.toString())
        .contains(
            "Unknown service 'invoices'; services in the configuration: customers, orders, billing");
  }

  @Test
  void runWithAnUnknownServiceListsTheKnownOnesBeforeStartingAnything() {
    Path config = dev.carve.cli.TestHome.dir().resolve("carve.yaml");
    assertThat(run("run", "--services", "orders,invoices", "--config", config.toString()))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains(
            "Unknown service 'invoices'; services in the configuration: customers, orders, billing");
    assertThat(out.toString()).doesNotContain("running");
  }

  /** Regression: a misspelt connector key was deployed without a word (Connect ignores it). */
  @Test
  void connectorsDeployWarnsOfAKeyNobodyKnowsBeforeContactingConnect(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("typo.json");
    String config =
        Files.readString(Home.dir().resolve("cdc-connector-config/connectors/legacy-shop.json"))
            .replace("\"decimal.handling.mode\"", "\"decimal.handeling.mode\"");
    assertThat(config).contains("decimal.handeling.mode");
    Files.writeString(file, config);

    int exit =
        run(
            "connectors",
            "deploy",
            "--connect-url",
            "http://127.0.0.1:9",
            "--connector",
            file.toString());

    assertThat(exit).as("nothing listens on port 9").isNotZero();
    assertThat(out.toString())
        .contains(
            "WARNING: neither Debezium's PostgreSQL connector nor Kafka Connect knows"
                + " 'decimal.handeling.mode' (did you mean 'decimal.handling.mode'?)");
  }
}
