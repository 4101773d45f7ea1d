package dev.carve.cli.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.core.config.Substitution;
import dev.carve.core.error.OnError;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CarveConfigTest {
  private static final Path SHIPPED = dev.carve.cli.TestHome.dir().resolve("carve.yaml");

  @Test
  void shippedConfigIsValidWithDefaults() {
    CarveConfig c = CarveConfig.load(SHIPPED, new Substitution(name -> null));
    assertThat(c.kafka().bootstrapServers()).isEqualTo("localhost:9092");
    assertThat(c.kafka().keyRegistryTopic()).isEqualTo("carve.legacy-keys");
    assertThat(c.registryUrl()).isEqualTo("http://localhost:8081");
    assertThat(c.services()).containsOnlyKeys("customers", "orders", "billing");
    assertThat(c.service("orders").onError()).isEqualTo(OnError.DEAD_LETTER);
    assertThat(c.service("orders").target().jdbcUrl())
        .isEqualTo("jdbc:postgresql://localhost:5432/orders");
    assertThat(c.capture().connector())
        .endsWith(Path.of("cdc-connector-config/connectors/legacy-shop.json"));
  }

  @Test
  void environmentOverridesEndpointsAndSecretsAreMasked() {
    Map<String, String> env =
        Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092", "ORDERS_DB_PASSWORD", "s3cret");
    CarveConfig c = CarveConfig.load(SHIPPED, new Substitution(env::get));
    assertThat(c.kafka().bootstrapServers()).isEqualTo("kafka-1:9092");
    assertThat(c.service("orders").target().password()).isEqualTo("s3cret");
    assertThat(c.service("orders").target().toString()).doesNotContain("s3cret").contains("****");
  }

  @Test
  void retentionsOfTheSinkComeFromTheServiceSection(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("carve.yaml");
    java.nio.file.Files.writeString(
        file,
        """
        kafka: {bootstrap-servers: localhost:9092}
        schema-registry: {url: http://localhost:8081}
        services:
          orders:
            topology: dev.carve.transform.demo.BillingTopology
            tombstone-retention: 2d
            failure-retention: 12h
            target: {jdbc-url: "jdbc:postgresql://localhost:5432/orders", username: u, password: p}
        """);
    CarveConfig c = CarveConfig.load(file, new Substitution(name -> null));
    CarveConfig.ServiceSettings orders = c.service("orders");
    assertThat(orders.tombstoneRetention()).isEqualTo(java.time.Duration.ofDays(2));
    assertThat(orders.failureRetention()).isEqualTo(java.time.Duration.ofHours(12));
    dev.carve.sink.SinkOptions sink =
        dev.carve.cli.runtime.ServiceRuntime.sinkOptions(
            orders,
            c,
            "localhost:9092",
            "http://localhost:8081",
            dev.carve.schemas.SchemaCatalog.fromClasspath().entities("orders"));
    assertThat(sink.tombstoneRetention()).isEqualTo(java.time.Duration.ofDays(2));
    assertThat(sink.failureRetention()).isEqualTo(java.time.Duration.ofHours(12));
    assertThat(CarveConfig.load(SHIPPED, new Substitution(name -> null)).service("orders"))
        .extracting(CarveConfig.ServiceSettings::failureRetention)
        .isEqualTo(java.time.Duration.ofDays(30));
  }

  @Test
  void keyRegistryTopicOfKafkaReachesEveryServicesTransformerAndKeysCommands(
      @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path file = dir.resolve("carve.yaml");
    java.nio.file.Files.writeString(
        file,
        """
        kafka: {bootstrap-servers: localhost:9092, key-registry-topic: shop.legacy-keys}
        schema-registry: {url: http://localhost:8081}
        services:
          orders:
            topology: dev.carve.transform.demo.BillingTopology
            target: {jdbc-url: "jdbc:postgresql://localhost:5432/orders", username: u, password: p}
        """);
    CarveConfig c = CarveConfig.load(file, new Substitution(name -> null));
    assertThat(c.kafka().keyRegistryTopic()).isEqualTo("shop.legacy-keys");
    assertThat(dev.carve.cli.runtime.ServiceRuntime.keyRegistry(c.service("orders"), c).topic())
        .isEqualTo("shop.legacy-keys");
  }
}
