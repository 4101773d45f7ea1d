package dev.carve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.capture.ConnectorConfig;
import dev.carve.cli.config.CarveConfig;
import dev.carve.core.config.Substitution;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml cannot run here (no Docker engine), so this test keeps it consistent with the
 * code: every Carve container runs a real command for a configured service, and with that
 * container's environment, carve.yaml and the connector config point at compose services that
 * exist, on the ports they listen on, with the databases they create.
 */
class DockerComposeTest {
  private static final Path HOME = dev.carve.cli.TestHome.dir();

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> services() throws Exception {
    Map<String, Object> compose =
        new Yaml().load(Files.readString(HOME.resolve("docker-compose.yml")));
    return (Map<String, Map<String, Object>>) compose.get("services");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> env(Map<String, Object> service) {
    Map<String, Object> raw = (Map<String, Object>) service.getOrDefault("environment", Map.of());
    Map<String, String> env = new java.util.HashMap<>();
    // Compose substitutes ${VAR:-default} from the user's shell; with nothing exported, the
    // default.
    raw.forEach(
        (k, v) -> env.put(k, String.valueOf(v).replaceAll("\\$\\{[A-Z_]+:-([^}]*)}", "$1")));
    return env;
  }

  private static List<Map.Entry<String, Map<String, Object>>> carveContainers() throws Exception {
    List<Map.Entry<String, Map<String, Object>>> out = new ArrayList<>();
    for (Map.Entry<String, Map<String, Object>> e : services().entrySet()) {
      if (".".equals(e.getValue().get("build"))) {
        out.add(e);
      }
    }
    return out;
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyServiceOfCarveYamlHasATransformerAndASinkRunningRealCommands() throws Exception {
    CarveConfig config = CarveConfig.load(HOME.resolve("carve.yaml"), new Substitution(n -> null));
    Map<String, Map<String, Object>> services = services();
    for (String service : config.services().keySet()) {
      assertThat(services).containsKeys("transform-" + service, "sink-" + service);
      assertThat((List<String>) services.get("transform-" + service).get("command"))
          .containsExactly("transform", service);
      assertThat((List<String>) services.get("sink-" + service).get("command"))
          .containsExactly("sink", service);
    }
    var subcommands = Carve.commandLine().getSubcommands();
    for (var c : carveContainers()) {
      List<String> command = (List<String>) c.getValue().get("command");
      assertThat(subcommands).as("command of " + c.getKey()).containsKey(command.get(0));
      // picocli accepts the arguments as the container passes them
      assertThat(Carve.commandLine().parseArgs(command.toArray(String[]::new)).errors())
          .as("arguments of " + c.getKey())
          .isEmpty();
    }
  }

  @Test
  void carveContainersReachKafkaTheRegistryAndEachServiceDatabase() throws Exception {
    Map<String, Map<String, Object>> services = services();
    for (var c : carveContainers()) {
      Map<String, String> env = env(c.getValue());
      CarveConfig config = CarveConfig.load(HOME.resolve("carve.yaml"), new Substitution(env::get));
      String[] kafka = config.kafka().bootstrapServers().split(":");
      assertThat(services).as(c.getKey() + ": Kafka host").containsKey(kafka[0]);
      assertThat(env(services.get(kafka[0])).get("KAFKA_LISTENERS"))
          .as(c.getKey() + ": Kafka port")
          .contains(":" + kafka[1]);
      URI registry = URI.create(config.registryUrl());
      assertThat(services).as(c.getKey() + ": registry host").containsKey(registry.getHost());
      assertThat(env(services.get(registry.getHost())).get("SCHEMA_REGISTRY_LISTENERS"))
          .endsWith(":" + registry.getPort());
      for (CarveConfig.ServiceSettings s : config.services().values()) {
        assertPostgres(
            services, c.getKey() + " → " + s.name(), s.target().jdbcUrl(), s.target().password());
      }
      assertPostgres(
          services,
          c.getKey() + " → monolith",
          config.source().jdbcUrl(),
          config.source().password());
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void connectorConfigDeployedByComposeCapturesTheMonolithWithLogicalDecoding() throws Exception {
    Map<String, Map<String, Object>> services = services();
    Map<String, String> env = env(services.get("deploy-connector"));
    ConnectorConfig connector =
        ConnectorConfig.load(
            HOME.resolve("cdc-connector-config/connectors/legacy-shop.json"),
            new Substitution(env::get));
    Map<String, Object> monolith = services.get(connector.databaseHost());
    assertThat(monolith).as("database.hostname names a compose service").isNotNull();
    assertThat((List<String>) monolith.get("command")).contains("wal_level=logical");
    assertThat(env(monolith).get("POSTGRES_DB")).isEqualTo(connector.databaseName());
    assertThat(env(monolith).get("POSTGRES_PASSWORD")).isEqualTo(connector.databasePassword());
    assertThat(connector.databasePort()).isEqualTo(5432);
    for (String volume : (List<String>) monolith.get("volumes")) {
      assertThat(HOME.resolve(volume.split(":")[0])).as("mounted file").exists();
    }
    // The worker's Debezium plugin is the version the embedded engine runs.
    assertThat((String) services.get("connect").get("image"))
        .endsWith(":" + pomProperty("debezium.version"));
    assertThat((List<String>) services.get("deploy-connector").get("command"))
        .contains("http://connect:8083");
  }

  @Test
  void imagesRunTheVersionsTheBuildPins() throws Exception {
    assertThat((String) services().get("kafka").get("image"))
        .isEqualTo("apache/kafka:" + pomProperty("kafka.version"));
    assertThat((String) services().get("schema-registry").get("image"))
        .startsWith("confluentinc/cp-schema-registry:");
  }

  private static void assertPostgres(
      Map<String, Map<String, Object>> services, String what, String jdbcUrl, String password) {
    Matcher m = Pattern.compile("jdbc:postgresql://([^:/]+):(\\d+)/(\\w+)").matcher(jdbcUrl);
    assertThat(m.matches()).as(what + ": " + jdbcUrl).isTrue();
    Map<String, Object> db = services.get(m.group(1));
    assertThat(db).as(what + ": host " + m.group(1) + " is a compose service").isNotNull();
    assertThat((String) db.get("image")).as(what).startsWith("postgres:");
    assertThat(m.group(2)).as(what + ": container port").isEqualTo("5432");
    assertThat(env(db).get("POSTGRES_DB")).as(what + ": database").isEqualTo(m.group(3));
    assertThat(env(db).get("POSTGRES_PASSWORD")).as(what + ": password").isEqualTo(password);
  }

  private static String pomProperty(String name) throws Exception {
    Matcher m =
        Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</")
            .matcher(Files.readString(HOME.resolve("pom.xml")));
    assertThat(m.find()).as("pom property " + name).isTrue();
    return m.group(1);
  }

  /** Regression: the README's command passed no password, which the compose monolith requires. */
  @Test
  void readmesDemoDataCommandReachesTheComposeMonolithWithItsPassword() throws Exception {
    String line =
        Files.readString(HOME.resolve("README.md"))
            .lines()
            .filter(l -> l.contains("dev.carve.examples.GenerateMain"))
            .findFirst()
            .orElseThrow();
    java.util.regex.Matcher command =
        java.util.regex.Pattern.compile(
                "`(\\w+)=\\$\\{\\1:-([^}]*)} java .*\\.GenerateMain --jdbc-url"
                    + " jdbc:postgresql://localhost:(\\d+)/(\\w+) --user (\\w+) --password-env"
                    + " (\\w+) ")
            .matcher(line);
    assertThat(command.find()).as(line).isTrue();
    Map<String, Object> monolith = services().get("monolith");
    Map<String, String> env = env(monolith);
    assertThat(command.group(6))
        .as("--password-env names the variable set")
        .isEqualTo(command.group(1));
    assertThat(command.group(2)).as("its default").isEqualTo(env.get("POSTGRES_PASSWORD"));
    assertThat(String.valueOf(monolith.get("environment")))
        .as("the compose monolith's password comes from the same variable")
        .contains("${" + command.group(1) + ":-");
    assertThat(String.valueOf(monolith.get("ports"))).contains(command.group(3) + ":5432");
    assertThat(command.group(4)).isEqualTo(env.get("POSTGRES_DB"));
    assertThat(command.group(5)).isEqualTo(env.get("POSTGRES_USER"));
  }
}
