package dev.carve.sink;

import static dev.carve.sink.SinkTestSupport.execute;
import static dev.carve.sink.SinkTestSupport.options;
import static dev.carve.sink.SinkTestSupport.produce;
import static dev.carve.sink.SinkTestSupport.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link FailureLog}: list, show, retry and purge on a real broker and database. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FailureLogIT {
  @Test
  void aFailureFixedInTheDatabaseIsRetriedFromKafkaAndResolved() {
    String service = "faillog_retry";
    String topic = service + ".order";
    SinkOptions options = sinkRefusingOrderTwo(service, List.of());

    try (FailureLog log =
        FailureLog.open(service, options, TestAvro.deserializer(), TestAvro.deserializer())) {
      List<FailureEntry> open = log.list(FailureFilter.open());
      assertThat(open).hasSize(1);
      FailureEntry entry = open.get(0);
      assertThat(entry.topic()).isEqualTo(topic);
      assertThat(entry.offset()).isEqualTo(1);
      assertThat(entry.key()).contains("\"order_id\": 2");
      assertThat(entry.error()).contains("small");
      assertThat(log.show(entry.id())).contains(entry);

      RetryOutcome again = log.retry(entry.id());
      assertThat(again.resolved()).isFalse();
      assertThat(log.show(entry.id()).orElseThrow().attempts()).isEqualTo(2);

      execute(service, "ALTER TABLE public.\"order\" DROP CONSTRAINT small");
      RetryOutcome fixed = log.retry(entry.id());
      assertThat(fixed.resolved()).isTrue();
      assertThat(rows(service, "SELECT order_id, total_cents FROM public.\"order\" ORDER BY 1"))
          .containsExactly("1|100", "2|5000");
      assertThat(log.list(FailureFilter.open())).isEmpty();

      assertThat(log.purge(null, FailureStatus.OPEN)).isZero();
      assertThat(log.purge(Duration.ofDays(1), FailureStatus.RESOLVED)).isZero();
      assertThat(log.purge(null, FailureStatus.RESOLVED)).isEqualTo(1);
      assertThat(log.list(FailureFilter.all())).isEmpty();
      assertThatThrownBy(() -> log.retry(entry.id()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("No failure with id " + entry.id());
    }
  }

  /**
   * Regression: a failure older than tombstone-retention (failure-retention is longer) was retried
   * like any other, although the tombstone of a newer delete of its key may already have been
   * collected: the retry brought the deleted row back.
   */
  @Test
  void aFailureOlderThanTheTombstoneRetentionIsRefusedUnlessForced() {
    String service = "faillog_old";
    SinkOptions options =
        sinkRefusingOrderTwo(
            service, List.of(Orders.produce(service + ".order", 2, null, 300, 301, false)));
    execute(service, "ALTER TABLE public.\"order\" DROP CONSTRAINT small");
    // Eight days later: the delete's tombstone was collected after the 7-day retention, the
    // failure (kept 30 days) is still open.
    execute(
        service,
        "UPDATE public.carve_failures SET first_seen = now() - interval '8 days 3 hours',"
            + " last_seen = now() - interval '1 hour'");
    execute(service, "DELETE FROM public.carve_tombstones");

    try (FailureLog log =
        FailureLog.open(service, options, TestAvro.deserializer(), TestAvro.deserializer())) {
      FailureEntry entry = log.list(FailureFilter.open()).get(0);

      List<PlannedRetry> plan = log.planRetry(FailureFilter.open(), false);
      assertThat(plan).hasSize(1);
      assertThat(plan.get(0).wouldRetry()).isFalse();
      assertThat(plan.get(0).age()).isGreaterThan(Duration.ofDays(8));
      assertThat(log.planRetry(FailureFilter.open(), true).get(0).wouldRetry()).isTrue();

      RetryOutcome refused = log.retry(entry.id());
      assertThat(refused.refused()).isTrue();
      assertThat(refused.resolved()).isFalse();
      assertThat(refused.message())
          .contains("failure " + entry.id() + " of service 'faillog_old'")
          .contains("first failed 8d 3h ago")
          .contains("tombstone-retention (7d")
          .contains("failure-retention is 30d");
      assertThat(log.retryAll(FailureFilter.open()))
          .singleElement()
          .satisfies(o -> assertThat(o.refused()).isTrue());
      assertThat(rows(service, "SELECT order_id FROM public.\"order\" ORDER BY 1"))
          .as("the deleted order stays deleted")
          .containsExactly("1");
      assertThat(log.show(entry.id()).orElseThrow()).isEqualTo(entry);

      // Forced, the record is written: exactly what the refusal guards against.
      RetryOutcome forced = log.retry(entry.id(), true);
      assertThat(forced.resolved()).isTrue();
      assertThat(rows(service, "SELECT order_id FROM public.\"order\" ORDER BY 1"))
          .containsExactly("1", "2");
    }
  }

  /**
   * Runs the sink of {@code service} over order 1, then, after a rule the DBA added (big orders are
   * refused), over order 2, which fails for good, then over {@code more}.
   *
   * @return the sink's options, for the failure log
   */
  private static SinkOptions sinkRefusingOrderTwo(
      String service, List<ProducerRecord<byte[], byte[]>> more) {
    String topic = service + ".order";
    TestKafka.createTopics(1, true, topic, service + ".dlq");
    TestPostgres.createDatabase(service);
    SinkOptions options = SinkOptions.parse(options(service));
    produce(List.of(Orders.produce(topic, 1, Orders.order(1, "NEW", 100), 100, 101, false)));
    try (ServiceSink sink =
        ServiceSink.create(service, options, TestAvro.deserializer(), TestAvro.deserializer())) {
      sink.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 1);
      execute(
          service, "ALTER TABLE public.\"order\" ADD CONSTRAINT small CHECK (total_cents < 1000)");
      produce(List.of(Orders.produce(topic, 2, Orders.order(2, "NEW", 5000), 200, 201, false)));
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 2);
      if (!more.isEmpty()) {
        produce(more);
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> sink.metrics().records() == 2 + more.size());
      }
    }
    return options;
  }
}
