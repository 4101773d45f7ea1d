package dev.carve.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.config.ConfigException;
import dev.carve.core.config.Substitution;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmbeddedCaptureOptionsTest {

  @Test
  void defaultsKeepOffsetsInTheCarveTopicOnOnePartition() {
    EmbeddedCapture.Options options = EmbeddedCapture.Options.of("localhost:9092");

    assertThat(options.offsetsTopic()).isEqualTo("carve-capture-offsets");
    assertThat(options.offsetsTopicPartitions()).isEqualTo(1);
    assertThat(options.offsetsTopicReplicationFactor())
        .as("the broker's default.replication.factor, not 1 (a lost broker would lose the offsets)")
        .isEqualTo(-1);
    assertThat(options.offsetFlushInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(options.kafkaProperties()).isEmpty();
  }

  @Test
  void parsesASectionOfCarveYaml() {
    EmbeddedCapture.Options options =
        EmbeddedCapture.Options.parse(
            Map.of(
                "bootstrap-servers", "kafka:9092",
                "offsets-topic", "my-offsets",
                "offsets-topic-replication-factor", 3,
                "offset-flush-interval", "250ms",
                "kafka-properties", Map.of("security.protocol", "SSL")),
            "carve.yaml");

    assertThat(options.bootstrapServers()).isEqualTo("kafka:9092");
    assertThat(options.offsetsTopic()).isEqualTo("my-offsets");
    assertThat(options.offsetsTopicReplicationFactor()).isEqualTo(3);
    assertThat(options.offsetFlushInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(options.kafkaProperties()).containsEntry("security.protocol", "SSL");
  }

  @Test
  void everyProblemIsReportedOnceWithItsKey() {
    assertThatThrownBy(
            () ->
                EmbeddedCapture.Options.parse(
                    Map.of(
                        "offsets-topic-partitions", 0,
                        "offset-flush-interval", "soon",
                        "colour", "blue"),
                    "carve.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("carve.yaml")
        .hasMessageContaining("unknown key 'capture.colour'")
        .hasMessageContaining("missing required key 'capture.bootstrap-servers'")
        .hasMessageContaining(
            "'capture.offsets-topic-partitions' has value '0': must be at least 1")
        .hasMessageContaining("'capture.offset-flush-interval' has value 'soon'");
  }

  @Test
  void programmaticOptionsAreValidatedToo() {
    assertThatThrownBy(
            () -> EmbeddedCapture.Options.of("localhost:9092").withOffsetsTopicReplicationFactor(0))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("offsets-topic-replication-factor");
  }

  @Test
  void connectConfigProviderReferencesAreRefusedByTheEmbeddedEngine() {
    ConnectorConfig connector =
        ConnectorConfig.load(Path.of("connectors/legacy-shop.json"), new Substitution(name -> null))
            .withOverrides(
                Map.of("database.password", "${file:/opt/connect/secrets.properties:db.password}"));

    assertThatThrownBy(
            () -> EmbeddedCapture.create(connector, EmbeddedCapture.Options.of("localhost:9092")))
        .isInstanceOf(CaptureException.class)
        .hasMessageContaining("'database.password' of connector 'legacy-shop'")
        .hasMessageContaining("config provider reference")
        .hasMessageNotContaining("secrets.properties");
  }
}
