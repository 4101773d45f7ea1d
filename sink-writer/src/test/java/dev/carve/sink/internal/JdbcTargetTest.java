package dev.carve.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.carve.core.config.ConfigException;
import dev.carve.core.error.OnError;
import dev.carve.core.retry.RetriesExhaustedException;
import dev.carve.sink.DdlMode;
import dev.carve.sink.ServiceSink;
import dev.carve.sink.SinkOptions;
import dev.carve.sink.SinkState;
import dev.carve.sink.TestAvro;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Regression: the JDBC URL, which may carry {@code ?password=...}, went into log lines, exception
 * messages and the sink's {@code lastError} as it was.
 */
class JdbcTargetTest {
  private static final String REFUSED = "jdbc:postgresql://127.0.0.1:1/orders?password=urlS3cret";

  /** Every message of an error and its causes. */
  private static String messages(Throwable error) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = error; t != null; t = t.getCause()) {
      sb.append(t).append('\n');
    }
    return sb.toString();
  }

  @Test
  void theUrlIsShownWithItsPasswordMasked() {
    JdbcTarget target = new JdbcTarget(REFUSED, "carve", "pwS3cret");
    assertThat(target.url()).isEqualTo("jdbc:postgresql://127.0.0.1:1/orders?password=****");
  }

  @Test
  void aConnectFailureNamesTheUrlWithoutItsPassword() {
    JdbcTarget target = new JdbcTarget(REFUSED, "carve", "pwS3cret");

    assertThatThrownBy(target::connection)
        .isInstanceOf(TargetUnavailableException.class)
        .hasMessageContaining(
            "Cannot connect to jdbc:postgresql://127.0.0.1:1/orders?password=****")
        .satisfies(e -> assertThat(messages(e)).doesNotContain("S3cret"));
  }

  @Test
  void aUrlTheDriverRejectsIsNotEchoedWithItsPassword() {
    JdbcTarget target =
        new JdbcTarget("jdbc:postgresql://db:notaport/orders?password=urlS3cret", null, null);

    assertThatThrownBy(target::connection)
        .satisfies(e -> assertThat(messages(e)).doesNotContain("S3cret").contains("password=****"));
  }

  @Test
  void theEngineLogsAndReportsAnUnreachableDatabaseWithoutThePassword() {
    Logger logger = (Logger) LoggerFactory.getLogger(SinkEngine.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    SinkCounters counters = new SinkCounters();
    // Waits patiently (and logs so) once, then is asked to stop.
    try (SinkEngine engine =
        new SinkEngine(
            new SinkEngine.Settings(
                "orders", OnError.DEAD_LETTER, 0, Duration.ofMillis(10), Duration.ofMillis(10)),
            new RecordDecoder(
                Map.of("orders.order", "order"), TestAvro.deserializer(), TestAvro.deserializer()),
            new JdbcTarget(REFUSED, "carve", "pwS3cret"),
            new TargetTables("public", DdlMode.CREATE),
            null,
            () -> !logged.list.isEmpty(),
            counters)) {
      assertThatThrownBy(() -> engine.prepare(List.of("order"), false))
          .isInstanceOf(RetriesExhaustedException.class)
          .satisfies(e -> assertThat(messages(e)).doesNotContain("S3cret"));
    } finally {
      logger.detachAppender(logged);
    }
    List<String> lines = new ArrayList<>();
    logged.list.forEach(e -> lines.add(e.getFormattedMessage()));
    assertThat(lines).isNotEmpty().allSatisfy(l -> assertThat(l).doesNotContain("S3cret"));
    assertThat(String.join("\n", lines)).contains("password=****");
    assertThat(counters.lastError()).contains("password=****").doesNotContain("S3cret");
  }

  /**
   * Regression: a JDBC URL the driver cannot parse (pgjdbc's SQLState 99999, or DriverManager's "No
   * suitable driver") was taken for an unavailable database, and the sink waited forever.
   */
  @Test
  void anUnparsableUrlIsAConfigErrorNamingTheKeyAndTheMaskedUrl() {
    JdbcTarget target =
        new JdbcTarget("jdbc:postgresql://db:notaport/orders?password=urlS3cret", "carve", "pw");

    assertThatThrownBy(target::connection)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("key 'jdbc-url'")
        .hasMessageContaining("jdbc:postgresql://db:notaport/orders?password=****")
        .satisfies(e -> assertThat(SqlErrors.isTransient(e)).isFalse())
        .satisfies(e -> assertThat(messages(e)).doesNotContain("S3cret"));
  }

  @Test
  void onlyErrorsOfTheUrlItselfAreClassifiedAsAnUnusableUrl() {
    assertThat(
            JdbcTarget.unusableUrl(
                new SQLException("Unable to parse URL jdbc:postgresql://db:x/o", "99999")))
        .isTrue();
    assertThat(
            JdbcTarget.unusableUrl(
                new SQLException("No suitable driver found for jdbc:pg://db/o", "08001")))
        .isTrue();
    assertThat(JdbcTarget.unusableUrl(new SQLException("Connection refused", "08001"))).isFalse();
    assertThat(
            JdbcTarget.unusableUrl(
                new SQLException("Something unusual", "99999", new IllegalStateException())))
        .as("an unexpected error while connecting that has a cause is not about the URL")
        .isFalse();
  }

  @Test
  void aSinkWithAnUnparsableUrlFailsInsteadOfWaitingForTheDatabase() {
    SinkOptions options =
        SinkOptions.parse(
            Map.of(
                "bootstrap-servers", "localhost:1",
                "jdbc-url", "jdbc:postgresql://db:99999/orders",
                "entities", List.of("order"),
                "dlq", "false",
                "max-retries", "0"));
    try (ServiceSink sink =
        ServiceSink.create("orders", options, TestAvro.deserializer(), TestAvro.deserializer())) {
      sink.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> sink.state() == SinkState.FAILED);

      assertThat(sink.failure())
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("key 'jdbc-url'")
          .hasMessageContaining("jdbc:postgresql://db:99999/orders");
      assertThat(sink.metrics().waitingForDatabase()).isFalse();
    }
  }
}
