package dev.carve.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubstitutionTest {
  private final Substitution env = new Substitution(Map.of("DB_PASSWORD", "from-env")::get);

  /**
   * Regression: {@code ${file:/path:key}} was read as a file named "/path:key" and refused, so a
   * connector deployed to Kafka Connect could not use Connect's FileConfigProvider.
   */
  @Test
  void kafkaConnectProviderReferencesAreLeftForTheWorker() {
    String text =
        "\"database.password\": \"${file:/opt/connect/secrets.properties:db.password}\",\n"
            + "\"database.user\": \"${env:DB_USER}\",\n"
            + "\"x\": \"${directory:/run/secrets:db-password}\"";

    assertThat(env.apply(text, "c.json")).isEqualTo(text);
    assertThat(Substitution.PROVIDER_REF.matcher(text).results().count()).isEqualTo(3);
  }

  @Test
  void carvesOwnReferencesAreStillResolved(@TempDir Path dir) throws Exception {
    Path secret = dir.resolve("pw");
    Files.writeString(secret, "from-file\n");

    assertThat(env.apply("a=${DB_PASSWORD} b=${file:" + secret + "} c=${MISSING:-d}", "x"))
        .isEqualTo("a=from-env b=from-file c=d");
    assertThat(Substitution.PROVIDER_REF.matcher("${MISSING:-d}").find()).isFalse();
    assertThatThrownBy(() -> env.apply("a=${file:" + dir.resolve("absent") + "}", "x"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cannot read secret file");
  }
}
