package dev.carve.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.config.ConfigException;
import dev.carve.core.error.OnError;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TransformerOptionsTest {
  @Test
  void sectionIsParsedWithDefaults() {
    TransformerOptions o =
        TransformerOptions.parse(
            Map.of("bootstrap-servers", "k:9092", "schema-registry-url", "http://r:8081"),
            "services.orders.transform",
            "carve.yaml");
    assertThat(o.bootstrapServers()).isEqualTo("k:9092");
    assertThat(o.rawTopicPrefix()).isEqualTo("legacy");
    assertThat(o.onError()).isEqualTo(OnError.DEAD_LETTER);
    assertThat(o.stateDir()).isEqualTo(Path.of(".carve/streams"));
    assertThat(o.partitions()).isEqualTo(-1);
  }

  @Test
  void everyProblemIsReportedWithItsKey() {
    assertThatThrownBy(
            () ->
                TransformerOptions.parse(
                    Map.of(
                        "schema-registry-url", "http://r:8081",
                        "on-error", "ignore",
                        "bootstrap", "x",
                        "properties", Map.of("application.id", "mine")),
                    "services.orders.transform",
                    "carve.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("carve.yaml")
        .hasMessageContaining("missing required key 'services.orders.transform.bootstrap-servers'")
        .hasMessageContaining("'services.orders.transform.on-error'")
        .hasMessageContaining("expected one of dead-letter, fail")
        .hasMessageContaining("unknown key 'services.orders.transform.bootstrap'")
        .hasMessageContaining("[application.id], which Carve sets itself");
  }

  @Test
  void secretsAreMaskedInTheEffectiveConfiguration() {
    TransformerOptions o =
        TransformerOptions.of("k:9092", "mock://x")
            .withKafkaProperties(Map.of("sasl.jaas.config", "user=a password=b"));
    assertThat(o.toString()).contains("sasl.jaas.config=****").doesNotContain("password=b");
  }
}
