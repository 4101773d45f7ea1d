package dev.carve.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretsTest {

  /** Regression: only keys with "password" or "secret" were masked; these were printed. */
  @Test
  void credentialsOfConvertersAndKafkaClientsAreSecret() {
    assertThat(Secrets.isSecretKey("value.converter.basic.auth.user.info")).isTrue();
    assertThat(Secrets.isSecretKey("producer.override.sasl.jaas.config")).isTrue();
    assertThat(Secrets.isSecretKey("ssl.keystore.key")).isTrue();
    assertThat(Secrets.isSecretKey("ssl.truststore.password")).isTrue();
    assertThat(Secrets.isSecretKey("value.converter.bearer.auth.token")).isTrue();
    assertThat(Secrets.isSecretKey("database.password")).isTrue();
    assertThat(Secrets.isSecretKey("Database.PASSWORD")).isTrue();
  }

  @Test
  void ordinarySettingsAreShown() {
    assertThat(Secrets.isSecretKey("database.user")).isFalse();
    assertThat(Secrets.isSecretKey("message.key.columns")).isFalse();
    assertThat(Secrets.isSecretKey("key.converter")).isFalse();
    assertThat(Secrets.isSecretKey("bootstrap.servers")).isFalse();
    assertThat(Secrets.isSecretKey("ssl.keystore.location")).isFalse();
  }

  @Test
  void maskReplacesOnlySecretValues() {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("sasl.jaas.config", "PlainLoginModule required password=\"x\";");
    config.put("security.protocol", "SASL_SSL");
    config.put("ssl.key.password", null);

    assertThat(Secrets.mask(config))
        .containsEntry("sasl.jaas.config", Secrets.MASK)
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("ssl.key.password", null);
  }
}
