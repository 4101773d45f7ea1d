package dev.carve.transform.mapping;

import static dev.carve.transform.testing.Debezium.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.error.OnError;
import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.transform.api.SerdeFactory;
import dev.carve.transform.internal.RegistryUnavailableException;
import dev.carve.transform.testing.Debezium;
import dev.carve.transform.testing.Harness;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The customers mapping serializing through the embedded registry, which wants credentials. */
@Timeout(60)
class RegistryRefusalTest {
  private static EmbeddedSchemaRegistry registry;

  @BeforeAll
  static void start() {
    registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.inMemory().withBasicAuth("carve:s3cret"));
  }

  @AfterAll
  static void stop() {
    registry.close();
  }

  private static SerdeFactory serdes(String url, String userInfo) {
    Map<String, Object> config =
        Map.of("schema.registry.url", url, "basic.auth.user.info", userInfo);
    return isKey -> AvroSerdes.generic(config, isKey);
  }

  private static void sendCustomer(Harness harness, String custNo) {
    harness.send(
        "customers",
        key("cust_no", custNo),
        Debezium.create("customers", CustomersMappingTest.customer(custNo, "S", "N", null), 100));
  }

  @Test
  void rightCredentialsMapTheChange() {
    try (Harness harness =
        new Harness(
            MappingLoader.load(Harness.topologyFile("customers")),
            OnError.DEAD_LETTER,
            serdes(registry.url(), "carve:s3cret"))) {
      sendCustomer(harness, "C1");

      assertThat(harness.readDeadLetters()).isEmpty();
      assertThat(harness.metrics().deadLettered()).isZero();
    }
  }

  // Regression: an output that could not be serialized because the registry refused the
  // transformer's credentials (HTTP 401), or could not be reached, was dead-lettered like a bad
  // change, and the topology went on to dead-letter every change and commit its offsets.
  @Test
  void wrongCredentialsStopTheServiceInsteadOfDeadLettering() {
    try (Harness harness =
        new Harness(
            MappingLoader.load(Harness.topologyFile("customers")),
            OnError.DEAD_LETTER,
            serdes(registry.url(), "carve:rotated"))) {
      assertThatThrownBy(() -> sendCustomer(harness, "C2"))
          .hasStackTraceContaining(RegistryUnavailableException.class.getName())
          .hasStackTraceContaining("C2")
          .hasStackTraceContaining(registry.url())
          .hasStackTraceContaining("HTTP 401")
          .hasStackTraceContaining("check basic.auth.user.info")
          .hasStackTraceContaining("not dead-lettered");

      assertThat(harness.readDeadLetters()).isEmpty();
      assertThat(harness.metrics().deadLettered()).isZero();
    }
  }

  @Test
  void aWrongRegistryPathStopsTheServiceInsteadOfDeadLettering() {
    try (Harness harness =
        new Harness(
            MappingLoader.load(Harness.topologyFile("customers")),
            OnError.DEAD_LETTER,
            serdes(registry.url() + "/registry", "carve:s3cret"))) {
      assertThatThrownBy(() -> sendCustomer(harness, "C3"))
          .hasStackTraceContaining(RegistryUnavailableException.class.getName())
          .hasStackTraceContaining("HTTP 404")
          .hasStackTraceContaining("check schema.registry.url");

      assertThat(harness.readDeadLetters()).isEmpty();
    }
  }
}
