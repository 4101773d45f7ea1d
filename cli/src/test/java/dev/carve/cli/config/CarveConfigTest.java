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
}
