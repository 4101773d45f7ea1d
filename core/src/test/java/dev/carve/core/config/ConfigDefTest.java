package dev.carve.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.error.OnError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigDefTest {
  static final ConfigOption<String> URL = ConfigOption.string("jdbc-url").doc("JDBC URL").build();
  static final ConfigOption<String> PASSWORD =
      ConfigOption.password("password").defaultValue("").build();
  static final ConfigOption<Integer> BATCH =
      ConfigOption.integer("batch-size")
          .defaultValue(500)
          .validator(ConfigOption.between(1, 100_000))
          .build();
  static final ConfigOption<OnError> ON_ERROR =
      ConfigOption.enumeration("on-error", OnError.class).defaultValue(OnError.DEAD_LETTER).build();
  static final ConfigOption<Duration> RETENTION =
      ConfigOption.duration("retention").defaultValue(Duration.ofDays(7)).build();
  static final ConfigDef DEF = new ConfigDef(URL, PASSWORD, BATCH, ON_ERROR, RETENTION);

  @Test
  void parsesTypedValuesAndDefaults() {
    Config c =
        DEF.parse(
            Map.of("jdbc-url", "jdbc:postgresql://h/db", "on-error", "fail", "retention", "36h"),
            "sink",
            "carve.yaml");
    assertThat(c.get(URL)).isEqualTo("jdbc:postgresql://h/db");
    assertThat(c.get(BATCH)).isEqualTo(500);
    assertThat(c.get(ON_ERROR)).isEqualTo(OnError.FAIL);
    assertThat(c.get(RETENTION)).isEqualTo(Duration.ofHours(36));
  }

  @Test
  void collectsEveryProblemAndListsKnownKeys() {
    assertThatThrownBy(
            () ->
                DEF.parse(
                    Map.of("batch-size", 0, "on-error", "ignore", "colour", "red"),
                    "services.orders.sink",
                    "carve.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("4 problems")
        .hasMessageContaining(
            "unknown key 'services.orders.sink.colour'; known keys here: batch-size, jdbc-url, on-error, password, retention")
        .hasMessageContaining("missing required key 'services.orders.sink.jdbc-url'")
        .hasMessageContaining(
            "'services.orders.sink.batch-size' has value '0': must be between 1 and 100000")
        .hasMessageContaining(
            "'services.orders.sink.on-error' has value 'ignore': expected one of dead-letter, fail");
  }

  @Test
  void neverShowsSecretValues() {
    Config c = DEF.parse(Map.of("jdbc-url", "u", "password", "hunter2"), "t", "x");
    assertThat(c.toString()).contains("password=****").doesNotContain("hunter2");
  }

  @Test
  void substitutesEnvironmentDefaultsAndFiles(@TempDir Path dir) throws Exception {
    Path secret = dir.resolve("pw");
    Files.writeString(secret, "s3cret\n");
    var sub = new Substitution(Map.of("HOST", "db1")::get);
    String out =
        sub.apply(
            "url: ${HOST}:${PORT:-5432}\npw: ${file:" + secret + "}\n# ${IGNORED}", "carve.yaml");
    assertThat(out).isEqualTo("url: db1:5432\npw: s3cret\n# ${IGNORED}");
  }

  @Test
  void unsetVariableNamesTheLineAndTheFix() {
    var sub = new Substitution(Map.<String, String>of()::get);
    assertThatThrownBy(() -> sub.apply("a: 1\npassword: ${DB_PASSWORD}", "carve.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("carve.yaml")
        .hasMessageContaining("line 2: ${DB_PASSWORD} is not set; export DB_PASSWORD");
  }

  @Test
  void malformedYamlNamesTheLine() {
    assertThatThrownBy(() -> YamlConfig.parse("a: 1\nb: [1, 2\n", "carve.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("carve.yaml")
        .hasMessageContaining("line 3");
  }
}
