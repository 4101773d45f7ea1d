package dev.carve.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.config.ConfigException;
import dev.carve.core.error.OnError;
import dev.carve.sink.internal.KafkaClients;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SinkOptionsTest {
  private static Map<String, Object> minimal() {
    Map<String, Object> raw = new HashMap<>();
    raw.put("bootstrap-servers", "localhost:9092");
    raw.put("jdbc-url", "jdbc:postgresql://localhost/orders");
    raw.put("entities", List.of("order", "order_line"));
    return raw;
  }

  @Test
  void defaultsApplyWhenOnlyTheRequiredKeysAreSet() {
    SinkOptions o = SinkOptions.parse(minimal());

    assertThat(o.schema()).isEqualTo("public");
    assertThat(o.ddl()).isEqualTo(DdlMode.CREATE);
    assertThat(o.onError()).isEqualTo(OnError.DEAD_LETTER);
    assertThat(o.dlqEnabled()).isTrue();
    assertThat(o.tombstoneRetention()).isEqualTo(Duration.ofDays(7));
    assertThat(o.batchSize()).isEqualTo(1000);
  }

  @Test
  void everyProblemIsReportedAtOnceNamingTheKeys() {
    Map<String, Object> raw = new HashMap<>();
    raw.put("jdbc-url", "jdbc:mysql://x");
    raw.put("ddl", "drop");
    raw.put("batch-size", "0");
    raw.put("colour", "blue");

    assertThatThrownBy(() -> SinkOptions.parse(raw, "services.orders.sink", "carve.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("services.orders.sink.bootstrap-servers")
        .hasMessageContaining("services.orders.sink.entities")
        .hasMessageContaining("jdbc:postgresql:")
        .hasMessageContaining("expected one of create, validate")
        .hasMessageContaining("between 1 and 100000")
        .hasMessageContaining("unknown key 'services.orders.sink.colour'");
  }

  @Test
  void managedKafkaPropertiesCannotBeOverridden() {
    Map<String, Object> raw = minimal();
    raw.put("kafka-properties", Map.of("enable.auto.commit", "true"));

    assertThatThrownBy(() -> SinkOptions.parse(raw))
        .hasMessageContaining("kafka-properties.enable.auto.commit")
        .hasMessageContaining("cannot be overridden");
  }

  /**
   * Regression: auto.offset.reset was applied with putIfAbsent, so a configured "latest" made a new
   * consumer group skip every record already in the topics, although the sink always runs with
   * earliest.
   */
  @Test
  void autoOffsetResetIsManagedByTheSink() {
    Map<String, Object> raw = minimal();
    raw.put("kafka-properties", Map.of("auto.offset.reset", "latest"));

    assertThatThrownBy(() -> SinkOptions.parse(raw))
        .hasMessageContaining("kafka-properties.auto.offset.reset")
        .hasMessageContaining("cannot be overridden");
    SinkOptions options = SinkOptions.parse(minimal());
    assertThat(KafkaClients.consumerProperties(options, "g", "c"))
        .containsEntry("auto.offset.reset", "earliest");
  }

  @Test
  void thePasswordIsMaskedInTheEffectiveConfiguration() {
    Map<String, Object> raw = minimal();
    raw.put("password", "s3cret!");

    assertThat(SinkOptions.parse(raw).toString())
        .contains("password=****")
        .doesNotContain("s3cret");
  }

  /**
   * Regression: the sink logged its options at start with {@code kafka-properties} and the JDBC URL
   * as they were, SASL and keystore passwords included.
   */
  @Test
  void secretKafkaPropertiesAndUrlPasswordsAreMaskedInTheEffectiveConfiguration() {
    Map<String, Object> raw = minimal();
    raw.put("jdbc-url", "jdbc:postgresql://db:5432/orders?user=carve&password=jdbcS3cret&ssl=true");
    raw.put("schema-registry-url", "https://reg:regS3cret@registry:8081");
    raw.put("schema-registry-basic-auth-user-info", "reg:infoS3cret");
    Map<String, String> kafka = new HashMap<>();
    kafka.put("security.protocol", "SASL_SSL");
    kafka.put(
        "sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\""
            + " password=\"jaasS3cret\";");
    kafka.put("ssl.keystore.password", "keystoreS3cret");
    kafka.put("ssl.key.password", "keyS3cret");
    kafka.put("sasl.oauthbearer.client.credentials.client.secret", "oauthS3cret");
    kafka.put("basic.auth.user.info", "basicS3cret");
    raw.put("kafka-properties", kafka);

    String shown = SinkOptions.parse(raw).toString();

    assertThat(shown)
        .doesNotContain("S3cret")
        .contains("security.protocol=SASL_SSL")
        .contains("sasl.jaas.config=****")
        .contains("ssl.keystore.password=****")
        .contains("jdbc:postgresql://db:5432/orders?user=carve&password=****&ssl=true")
        .contains("https://reg:****@registry:8081");
  }

  @Test
  void aBadJdbcUrlIsEchoedWithoutItsPassword() {
    Map<String, Object> raw = minimal();
    raw.put("jdbc-url", "jdbc:postgres://db/orders?password=jdbcS3cret");

    assertThatThrownBy(() -> SinkOptions.parse(raw))
        .hasMessageContaining("jdbc:postgres://db/orders?password=****")
        .hasMessageNotContaining("S3cret");
  }

  @Test
  void aBadPasswordValueIsNeverEchoed() {
    Map<String, Object> raw = minimal();
    raw.put("password", List.of("s3cret!"));

    assertThatThrownBy(() -> SinkOptions.parse(raw)).hasMessageNotContaining("s3cret");
  }

  @Test
  void entitiesMustBeTopicsOfTheService() {
    Map<String, Object> raw = minimal();
    raw.put("entities", List.of("orders.order", "billing.invoice"));

    assertThatThrownBy(
            () ->
                ServiceSink.create(
                    "orders",
                    SinkOptions.parse(raw),
                    TestAvro.deserializer(),
                    TestAvro.deserializer()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'billing.invoice'");
  }

  @Test
  void aSinkStartsOnlyOnce() {
    ServiceSink sink =
        ServiceSink.create(
            "orders",
            SinkOptions.parse(minimal()),
            TestAvro.deserializer(),
            TestAvro.deserializer());
    assertThat(sink.topics()).containsExactly("orders.order", "orders.order_line");
    assertThat(sink.close(Duration.ofSeconds(1))).isTrue();

    assertThatThrownBy(sink::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("create a new ServiceSink");
  }
}
