package dev.carve.sink;

import static dev.carve.sink.SinkTestSupport.execute;
import static dev.carve.sink.SinkTestSupport.options;
import static dev.carve.sink.SinkTestSupport.produce;
import static dev.carve.sink.SinkTestSupport.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Regression: a database error that is not the rows' own (a lock or statement timeout, a missing
 * privilege) was taken for bad data, so every row of the batch went to the failure log and the
 * dead-letter topic and the offsets were committed. A transient one is retried until it passes; any
 * other stops the sink before committing; neither dead-letters anything.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DatabaseErrorsIT {
  private static final String FAILURES = "SELECT count(*) FROM sink.carve_failures";
  private static final String ORDERS = "SELECT order_id FROM sink.\"order\" ORDER BY 1";

  /**
   * A fresh database and a role of its own that creates and owns the sink's schema (so privileges
   * can be taken away from it), with a short lock_timeout.
   */
  private static Map<String, Object> setUp(String service) {
    TestKafka.createTopics(1, true, service + ".order", service + ".dlq");
    TestPostgres.createDatabase(service);
    String role = service + "_writer";
    execute("postgres", "DROP ROLE IF EXISTS " + role);
    execute("postgres", "CREATE ROLE " + role + " LOGIN");
    execute("postgres", "GRANT CREATE ON DATABASE " + service + " TO " + role);
    execute(
        "postgres", "ALTER ROLE " + role + " IN DATABASE " + service + " SET lock_timeout = 200");
    Map<String, Object> raw =
        options(
            service,
            "schema",
            "sink",
            "max-retries",
            "1",
            "retry-backoff",
            "50ms",
            "retry-max-backoff",
            "300ms");
    raw.put("username", role);
    return raw;
  }

  private static ServiceSink sink(String service, Map<String, Object> raw) {
    return ServiceSink.create(
        service, SinkOptions.parse(raw), TestAvro.deserializer(), TestAvro.deserializer());
  }

  private static void orders(String topic, long from, long to) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (long id = from; id <= to; id++) {
      records.add(
          Orders.produce(topic, id, Orders.order(id, "NEW", id), 100 + id, 1000 + id, false));
    }
    produce(records);
  }

  private static Long committed(String service) throws Exception {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers()))) {
      OffsetAndMetadata o =
          admin
              .listConsumerGroupOffsets(ServiceSink.groupId(service))
              .partitionsToOffsetAndMetadata()
              .get()
              .get(new TopicPartition(service + ".order", 0));
      return o == null ? null : o.offset();
    }
  }

  @Test
  void aLockTimeoutIsRetriedUntilTheLockIsReleasedAndDeadLettersNothing() throws Exception {
    String service = "dberr_lock";
    String topic = service + ".order";
    Map<String, Object> raw = setUp(service);
    orders(topic, 1, 1);
    try (ServiceSink sink = sink(service, raw)) {
      sink.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 1);

      try (Connection locker = TestPostgres.connect(service)) {
        locker.setAutoCommit(false);
        try (Statement s = locker.createStatement()) {
          s.execute("LOCK TABLE sink.\"order\" IN ACCESS EXCLUSIVE MODE");
        }
        orders(topic, 2, 4);
        await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().waitingForDatabase());

        assertThat(sink.metrics().lastError()).contains("lock timeout");
        assertThat(sink.state()).isEqualTo(SinkState.RUNNING);
        assertThat(sink.metrics().records()).isEqualTo(1);
        assertThat(sink.metrics().deadLettered()).isZero();
        assertThat(rows(service, FAILURES)).containsExactly("0");
        assertThat(committed(service)).isEqualTo(1L);
        locker.rollback();
      }

      await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 4);
      assertThat(sink.metrics().waitingForDatabase()).isFalse();
      assertThat(sink.metrics().deadLettered()).isZero();
    }
    assertThat(rows(service, ORDERS)).containsExactly("1", "2", "3", "4");
    assertThat(rows(service, FAILURES)).containsExactly("0");
    assertThat(committed(service)).isEqualTo(4L);
  }

  /**
   * Regression: close() could not stop a sink whose batch was blocked in the database (a lock held
   * by someone else, a half-open connection): interrupts do not reach a blocking socket read, so
   * the sink thread outlived the close bound. The connection of such a write is now aborted.
   */
  @Test
  void closeAbortsABatchBlockedOnALockAndCommitsNothingOfIt() throws Exception {
    String service = "dberr_close";
    String topic = service + ".order";
    TestKafka.createTopics(1, true, topic, service + ".dlq");
    TestPostgres.createDatabase(service);
    orders(topic, 1, 1);
    ServiceSink sink = sink(service, options(service));
    sink.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 1);
    try (Connection locker = TestPostgres.connect(service)) {
      locker.setAutoCommit(false);
      try (Statement s = locker.createStatement()) {
        s.execute("LOCK TABLE public.\"order\" IN ACCESS EXCLUSIVE MODE");
      }
      orders(topic, 2, 2);
      // The sink's role has no lock_timeout: its batch waits for the lock as long as it is held.
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  !rows(
                          service,
                          "SELECT 1 FROM pg_stat_activity WHERE application_name = 'carve-sink'"
                              + " AND wait_event_type = 'Lock'")
                      .isEmpty());

      assertThat(sink.close(Duration.ofSeconds(10))).as("closed within the bound").isTrue();
      assertThat(sink.state()).isEqualTo(SinkState.STOPPED);
      locker.rollback();
    }
    assertThat(rows(service, "SELECT order_id FROM public.\"order\" ORDER BY 1"))
        .containsExactly("1");
    assertThat(committed(service)).isEqualTo(1L);
  }

  @Test
  void aMissingPrivilegeStopsTheSinkBeforeCommittingAndDeadLettersNothing() throws Exception {
    String service = "dberr_privilege";
    String topic = service + ".order";
    Map<String, Object> raw = setUp(service);
    orders(topic, 1, 1);
    try (ServiceSink sink = sink(service, raw)) {
      sink.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 1);
    }
    execute(service, "REVOKE INSERT ON sink.\"order\" FROM " + service + "_writer");
    orders(topic, 2, 4);

    try (ServiceSink sink = sink(service, raw)) {
      sink.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.state() == SinkState.FAILED);
      assertThat(sink.failure())
          .hasMessageContaining("Service '" + service + "'")
          .hasMessageContaining("\"sink\".\"order\"")
          .hasMessageContaining("SQLState 42501");
      assertThat(sink.metrics().deadLettered()).isZero();
      assertThat(sink.metrics().records()).isZero();
    }
    assertThat(rows(service, FAILURES)).containsExactly("0");
    assertThat(committed(service)).isEqualTo(1L);

    execute(service, "GRANT INSERT ON sink.\"order\" TO " + service + "_writer");
    try (ServiceSink sink = sink(service, raw)) {
      sink.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 3);
      assertThat(sink.metrics().deadLettered()).isZero();
    }
    assertThat(rows(service, ORDERS)).containsExactly("1", "2", "3", "4");
    assertThat(rows(service, FAILURES)).containsExactly("0");
    assertThat(committed(service)).isEqualTo(4L);
  }
}
