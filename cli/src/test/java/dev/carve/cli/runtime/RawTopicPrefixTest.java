package dev.carve.cli.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.cli.TestHome;
import dev.carve.cli.config.CarveConfig;
import dev.carve.core.config.Substitution;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression: a service's transformer read {@code legacy.<schema>.<table>} whatever {@code
 * topic.prefix} the pipeline's connector writes to. It now reads the connector's raw topics.
 */
class RawTopicPrefixTest {
  @Test
  void transformerReadsTheRawTopicsOfTheConfiguredConnector(@TempDir Path dir) throws Exception {
    Path home = TestHome.dir();
    Path connector = dir.resolve("shop.json");
    Files.writeString(
        connector,
        Files.readString(home.resolve("cdc-connector-config/connectors/legacy-shop.json"))
            .replace("\"topic.prefix\": \"legacy\"", "\"topic.prefix\": \"monolith\""));
    Path config = dir.resolve("carve.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "kafka: {bootstrap-servers: 'localhost:1'}",
            "schema-registry: {url: 'mock://raw-topic-prefix-test'}",
            "capture:",
            "  connector: " + connector,
            "services:",
            "  orders:",
            "    topology: " + home.resolve("stream-transformer/topologies/orders.yaml"),
            "    target: {jdbc-url: 'jdbc:postgresql://localhost:1/orders', username: app}",
            ""));
    CarveConfig c = CarveConfig.load(config, new Substitution(n -> null));

    ServiceRuntime runtime =
        ServiceRuntime.create(
            c.service("orders"), c, "localhost:1", c.registryUrl(), dir.resolve("state"));

    assertThat(runtime.rawTopics())
        .isNotEmpty()
        .allMatch(t -> t.startsWith("monolith.public."))
        .contains("monolith.public.orders");
  }
}
