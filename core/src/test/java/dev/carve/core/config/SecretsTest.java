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

  @Test
  void keysNamingASecretAreMasked() {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("security.protocol", "SASL_SSL");
    props.put("sasl.jaas.config", "x");
    props.put("SSL.TRUSTSTORE.PASSWORD", "x");
    props.put("sasl.oauthbearer.token.endpoint.url", "x");
    props.put("sasl.client.callback.handler.class", "y");
    props.put("basic.auth.user.info", "x");
    props.put("some.credentials", "x");
    props.put("api.secret", "x");

    assertThat(Secrets.maskProperties(props))
        .containsExactly(
            Map.entry("security.protocol", "SASL_SSL"),
            Map.entry("sasl.jaas.config", "****"),
            Map.entry("SSL.TRUSTSTORE.PASSWORD", "****"),
            Map.entry("sasl.oauthbearer.token.endpoint.url", "****"),
            Map.entry("sasl.client.callback.handler.class", "y"),
            Map.entry("basic.auth.user.info", "****"),
            Map.entry("some.credentials", "****"),
            Map.entry("api.secret", "****"));
  }

  @Test
  void passwordsInsideUrlsAreMasked() {
    assertThat(Secrets.maskUrl("jdbc:postgresql://db:5432/orders"))
        .isEqualTo("jdbc:postgresql://db:5432/orders");
    assertThat(Secrets.maskUrl("jdbc:postgresql://db/orders?password=s3&user=carve"))
        .isEqualTo("jdbc:postgresql://db/orders?password=****&user=carve");
    assertThat(Secrets.maskUrl("jdbc:postgresql://db/o?user=c&sslpassword=s3&PASSWORD=s4"))
        .isEqualTo("jdbc:postgresql://db/o?user=c&sslpassword=****&PASSWORD=****");
    assertThat(Secrets.maskUrl("http://u:p@ss@reg:8081,https://v:q@reg2"))
        .isEqualTo("http://u:****@reg:8081,https://v:****@reg2");
    assertThat(Secrets.maskUrl("http://reg:8081")).isEqualTo("http://reg:8081");
    assertThat(Secrets.maskUrl(null)).isNull();
  }
}
