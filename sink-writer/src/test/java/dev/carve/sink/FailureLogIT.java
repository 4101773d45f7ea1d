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
import java.util.ArrayList;
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
   * Regression: a retry of every open failure took only the oldest 1000 (one page) and said "1000
   * of 1000 retried failure(s) resolved"; when those were refused (older than tombstone-retention)
   * or kept failing, every run took the same 1000 again and a newer failure was never retried.
   */
  @Test
  void aRetryOfEveryOpenFailureGoesPastAPageOfRefusedOnesToTheNewerOnes() {
    String service = "faillog_pages";
    SinkOptions options = sinkRefusingOrderTwo(service, List.of());
    execute(service, "ALTER TABLE public.\"order\" DROP CONSTRAINT small");
    // Seven failures older than tombstone-retention (more than one page of five), then the
    // retriable failure of order 2 renumbered as the newest.
    execute(
        service,
        "INSERT INTO public.carve_failures (service, topic, kafka_partition, kafka_offset,"
            + " record_key, error, first_seen, last_seen) SELECT 'faillog_pages',"
            + " 'faillog_pages.order', 0, 1000 + n, '{\"order_id\": ' || (1000 + n) || '}', 'E',"
            + " now() - interval '9 days', now() - interval '1 day' FROM generate_series(1, 7) n;"
            + " UPDATE public.carve_failures SET id = nextval(pg_get_serial_sequence("
            + "'public.carve_failures', 'id')) WHERE kafka_offset = 1");
    int pageSize = 5;

    try (FailureLog log =
        FailureLog.open(service, options, TestAvro.deserializer(), TestAvro.deserializer())) {
      FailureFilter open = new FailureFilter(FailureStatus.OPEN, null, pageSize);
      assertThat(log.list(open)).hasSize(5);
      assertThat(log.count(open)).isEqualTo(8);
      long recent = log.list(open, log.list(open).get(4).id()).get(2).id();
      assertThat(log.show(recent).orElseThrow().offset()).isEqualTo(1);

      List<PlannedRetry> plan = new ArrayList<>();
      assertThat(log.planEveryOpen(false, pageSize, plan::add)).isEqualTo(8);
      assertThat(plan).hasSize(8);
      assertThat(plan.subList(0, 7)).noneMatch(PlannedRetry::wouldRetry);
      assertThat(plan.get(7).entry().id()).isEqualTo(recent);
      assertThat(plan.get(7).wouldRetry()).isTrue();

      List<RetryOutcome> outcomes = new ArrayList<>();
      assertThat(log.retryEveryOpen(false, pageSize, outcomes::add)).isEqualTo(8);
      assertThat(outcomes.subList(0, 7)).allMatch(RetryOutcome::refused);
      assertThat(outcomes.get(7).id()).isEqualTo(recent);
      assertThat(outcomes.get(7).resolved()).as(outcomes.get(7).message()).isTrue();
      assertThat(rows(service, "SELECT order_id, total_cents FROM public.\"order\" ORDER BY 1"))
          .containsExactly("1|100", "2|5000");
      assertThat(
              rows(
                  service,
                  "SELECT status, count(*), sum(attempts) FROM public.carve_failures"
                      + " GROUP BY status ORDER BY status"))
          .as("the refused ones stay open, unchanged")
          .containsExactly("OPEN|7|7", "RESOLVED|1|2");

      // The refused ones no longer hide anything: a second run goes through them once more.
      outcomes.clear();
      assertThat(log.retryEveryOpen(false, pageSize, outcomes::add)).isEqualTo(7);
      assertThat(outcomes).allMatch(RetryOutcome::refused);
      assertThatThrownBy(() -> log.retryEveryOpen(false, 0, o -> {}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("pageSize must be at least 1, was 0");
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
