package dev.carve.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.config.ConfigException;
import dev.carve.core.config.Substitution;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectorConfigTest {
  private static final Path LEGACY_SHOP = Path.of("connectors/legacy-shop.json");

  @Test
  void legacyShopFileLoadsWithDefaultsForUnsetVariables() {
    ConnectorConfig config = ConnectorConfig.load(LEGACY_SHOP, new Substitution(name -> null));

    assertThat(config.name()).isEqualTo("legacy-shop");
    assertThat(config.topicPrefix()).isEqualTo("legacy");
    assertThat(config.databaseHost()).isEqualTo("localhost");
    assertThat(config.databasePort()).isEqualTo(5432);
    assertThat(config.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost:5432/legacy_shop");
    assertThat(config.tables())
        .containsExactly(
            "public.customers",
            "public.addresses",
            "public.products",
            "public.orders",
            "public.payments",
            "public.shipments",
            "public.carve_heartbeat");
    assertThat(config.signalTable()).contains("public.carve_signal");
    assertThat(config.get("heartbeat.action.query")).contains("public.carve_heartbeat");
    assertThat(config.rawTopic("public.orders")).isEqualTo("legacy.public.orders");
    assertThat(config.rawTopic("orders")).isEqualTo("legacy.public.orders");
    assertThat(config.config()).containsEntry("plugin.name", "pgoutput");
  }

  @Test
  void environmentVariablesAndFilesAreSubstitutedInValues() {
    Map<String, String> env =
        Map.of("MONOLITH_HOST", "db.internal", "MONOLITH_PASSWORD", "s3cr\"et");
    ConnectorConfig config = ConnectorConfig.load(LEGACY_SHOP, new Substitution(env::get));

    assertThat(config.databaseHost()).isEqualTo("db.internal");
    assertThat(config.databasePassword()).isEqualTo("s3cr\"et");
  }

  @Test
  void toStringMasksPasswordsAndSecrets() {
    ConnectorConfig config =
        ConnectorConfig.load(
                LEGACY_SHOP, new Substitution(Map.of("MONOLITH_PASSWORD", "hunter2")::get))
            .withOverrides(Map.of("database.sslpassword", "p2", "vault.secret.key", "k3"));

    assertThat(config.toString())
        .contains("database.password=****", "database.sslpassword=****", "vault.secret.key=****")
        .contains("database.user=postgres")
        .doesNotContain("hunter2", "p2,", "k3");
    assertThat(config.masked()).containsEntry("database.password", "****");
  }

  /**
   * Regression: Carve's own connections to the monolith (preflight, the capture's start check, the
   * slot-lag metric) ignored database.sslmode and the other TLS settings, so pgjdbc used prefer.
   */
  @Test
  void jdbcPropertiesCarryTheTlsSettingsAsDebeziumPassesThemToPgjdbc() {
    ConnectorConfig config =
        ConnectorConfig.load(
                LEGACY_SHOP, new Substitution(Map.of("MONOLITH_PASSWORD", "hunter2")::get))
            .withOverrides(
                Map.of(
                    "database.sslmode", "verify-full",
                    "database.sslrootcert", "/etc/carve/root.crt",
                    "database.sslcert", "/etc/carve/client.crt",
                    "database.sslkey", "/etc/carve/client.pk8",
                    "database.sslpassword", "k3y-pw",
                    "driver.sslmode", "disable",
                    "driver.tcpKeepAlive", "true"));

    assertThat(config.jdbcProperties())
        .containsEntry("user", "postgres")
        .containsEntry("password", "hunter2")
        .as("database.* wins over driver.*, as Debezium merges them")
        .containsEntry("sslmode", "verify-full")
        .containsEntry("sslrootcert", "/etc/carve/root.crt")
        .containsEntry("sslcert", "/etc/carve/client.crt")
        .containsEntry("sslkey", "/etc/carve/client.pk8")
        .containsEntry("sslpassword", "k3y-pw")
        .containsEntry("tcpKeepAlive", "true")
        .doesNotContainKey("database.sslmode");
    assertThat(config.jdbcTlsSettings())
        .isEqualTo(
            "database.sslmode=verify-full, database.sslrootcert=/etc/carve/root.crt,"
                + " database.sslcert=/etc/carve/client.crt, database.sslkey=/etc/carve/client.pk8,"
                + " database.sslpassword=****")
        .doesNotContain("k3y-pw");

    ConnectorConfig plain = ConnectorConfig.load(LEGACY_SHOP, new Substitution(name -> null));
    assertThat(plain.jdbcProperties()).doesNotContainKey("sslmode");
    assertThat(plain.jdbcTlsSettings()).isEqualTo("database.sslmode not set: pgjdbc's prefer");
    assertThat(plain.withOverrides(Map.of("driver.sslmode", "require")).jdbcTlsSettings())
        .isEqualTo("driver.sslmode=require");
  }

  @Test
  void everyProblemIsListedOnceNamingItsKey() {
    String json =
        """
        {"config": {
          "connector.class": "io.debezium.connector.mysql.MySqlConnector",
          "database.port": "54x2",
          "plugin.name": "decoderbufs",
          "tasks.max": "2",
          "table.include.list": "public.orders,public\\\\..*",
          "database.password": "${UNSET_PASSWORD}"
        }}
        """;
    assertThatThrownBy(() -> ConnectorConfig.parse(json, "bad.json", new Substitution(n -> null)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bad.json")
        .hasMessageContaining("missing required key 'name'")
        .hasMessageContaining(
            "config.connector.class' is 'io.debezium.connector.mysql.MySqlConnector'")
        .hasMessageContaining("missing required key 'config.database.hostname'")
        .hasMessageContaining("missing required key 'config.database.user'")
        .hasMessageContaining("missing required key 'config.database.dbname'")
        .hasMessageContaining("missing required key 'config.topic.prefix'")
        .hasMessageContaining("missing required key 'config.key.converter'")
        .hasMessageContaining("missing required key 'config.value.converter'")
        .hasMessageContaining("'config.database.port' is '54x2'")
        .hasMessageContaining("'config.plugin.name' is 'decoderbufs'")
        .hasMessageContaining("'config.tasks.max' is '2'")
        .hasMessageContaining("without regular expressions")
        .hasMessageContaining("key 'config.database.password': ${UNSET_PASSWORD} is not set")
        .satisfies(e -> assertThat(((ConfigException) e).problems()).hasSize(13));
  }

  // Regression: a JSON null value was accepted, and EmbeddedCapture later called
  // Properties.setProperty(key, null): "failed to start: null" after the database and Kafka checks.
  @Test
  void nullValueIsRefusedNamingItsKey() {
    String json =
        """
        {"name": "orders", "config": {
          "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
          "database.hostname": "db",
          "database.port": "5432",
          "database.user": "carve",
          "database.dbname": "shop",
          "plugin.name": "pgoutput",
          "table.include.list": "public.orders",
          "topic.prefix": "legacy",
          "key.converter": "org.apache.kafka.connect.json.JsonConverter",
          "value.converter": "org.apache.kafka.connect.json.JsonConverter",
          "snapshot.mode": null
        }}
        """;
    assertThatThrownBy(() -> ConnectorConfig.parse(json, "null.json", new Substitution(n -> null)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("null.json")
        .hasMessageContaining("key 'config.snapshot.mode' must be a string, not null")
        .satisfies(e -> assertThat(((ConfigException) e).problems()).hasSize(1));
  }

  @Test
  void malformedJsonNamesTheLine() {
    assertThatThrownBy(
            () ->
                ConnectorConfig.parse(
                    "{\n\"name\": \"x\",\n\"config\": {\n}}}\n oops",
                    "broken.json",
                    new Substitution(n -> null)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("broken.json")
        .hasMessageContaining("line ");
  }

  @Test
  void overridesAreValidatedAgain() {
    ConnectorConfig config = ConnectorConfig.load(LEGACY_SHOP, new Substitution(name -> null));
    Map<String, String> overrides = new HashMap<>();
    overrides.put("slot.name", "test_slot");
    overrides.put("key.converter", null);

    assertThatThrownBy(() -> config.withOverrides(overrides))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("missing required key 'config.key.converter'");
    assertThat(config.withOverrides(Map.of("slot.name", "test_slot")).get("slot.name"))
        .isEqualTo("test_slot");
  }

  @Test
  void signalTableMustBeCaptured() {
    ConnectorConfig config = ConnectorConfig.load(LEGACY_SHOP, new Substitution(name -> null));

    assertThatThrownBy(() -> config.withOverrides(Map.of("table.include.list", "public.orders")))
        .hasMessageContaining("signal.data.collection' is 'public.carve_signal'");
  }

  @Test
  void topicPrefixIsReadWithoutTheConnectorsSecrets(@TempDir Path dir) throws Exception {
    assertThat(ConnectorConfig.topicPrefix(LEGACY_SHOP, new Substitution(name -> null)))
        .isEqualTo("legacy");

    Path file = dir.resolve("shop.json");
    Files.writeString(
        file,
        "{\"name\": \"shop\", \"config\": {\"topic.prefix\": \"${PREFIX}\","
            + " \"database.password\": \"${UNSET_SECRET}\"}}");
    assertThat(
            ConnectorConfig.topicPrefix(file, new Substitution(Map.of("PREFIX", "monolith")::get)))
        .isEqualTo("monolith");
    assertThatThrownBy(() -> ConnectorConfig.topicPrefix(file, new Substitution(name -> null)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("PREFIX");

    Files.writeString(file, "{\"name\": \"shop\", \"config\": {\"topic.prefix\": \"a b\"}}");
    assertThatThrownBy(() -> ConnectorConfig.topicPrefix(file, new Substitution(name -> null)))
        .hasMessageContaining("key 'config.topic.prefix' is 'a b'");

    Files.writeString(file, "{\"name\": \"shop\", \"config\": {}}");
    assertThatThrownBy(() -> ConnectorConfig.topicPrefix(file, new Substitution(name -> null)))
        .hasMessageContaining("missing required key 'config.topic.prefix'");
  }
}
