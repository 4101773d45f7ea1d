package dev.carve.sink;

import static dev.carve.sink.SinkTestSupport.options;
import static dev.carve.sink.SinkTestSupport.produce;
import static dev.carve.sink.SinkTestSupport.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.carve.sink.internal.PostgresDialect;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import kafka.server.BrokerServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sink while the shared test broker is shut down and started again (its port is kept): the
 * offset commit after a written batch times out and is retried until the broker is back.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class BrokerOutageIT {

  /**
   * Regression: a Kafka {@code TimeoutException} from {@code commitSync} (the broker away longer
   * than {@code default.api.timeout.ms}) stopped the sink (FAILED) and {@code carve up} with it,
   * although the batch was in the database and a broker outage is a transient error.
   */
  @Test
  void anOffsetCommitTimingOutWhileTheBrokerIsDownIsRetriedUntilItIsBack() throws Exception {
    String service = "sinkit_broker_down";
    String topic = service + ".order";
    TestKafka.createTopics(1, true, topic, service + ".dlq");
    TestPostgres.createDatabase(service);
    produce(
        List.of(
            Orders.produce(topic, 1, Orders.order(1, "NEW", 100), 100, 101, false),
            Orders.produce(topic, 2, Orders.order(2, "NEW", 200), 100, 102, false)));
    Map<String, Object> raw =
        options(service, "retry-backoff", "100ms", "retry-max-backoff", "500ms");
    raw.put(
        "kafka-properties", Map.of("default.api.timeout.ms", "1500", "request.timeout.ms", "1000"));
    BrokerServer broker = TestKafka.cluster().brokers().values().iterator().next();
    boolean brokerDown = false;
    try (Connection holder = TestPostgres.connect(service);
        ServiceSink sink =
            ServiceSink.create(
                service,
                SinkOptions.parse(raw),
                TestAvro.deserializer(),
                TestAvro.deserializer())) {
      // Hold the table's write lock, so that the batch is written only once the broker is down.
      try (PreparedStatement lock = holder.prepareStatement("SELECT pg_advisory_lock(?)")) {
        lock.setLong(1, PostgresDialect.tableLockKey("public", "order"));
        lock.execute();
      }
      sink.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> waitingForAdvisoryLock(holder));

      broker.shutdown();
      brokerDown = true;
      try (Statement s = holder.createStatement()) {
        s.execute("SELECT pg_advisory_unlock_all()");
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  sink.metrics().state() != SinkState.RUNNING
                      || String.valueOf(sink.metrics().lastError())
                          .contains("could not commit offsets"));
      assertThat(sink.metrics().state()).isEqualTo(SinkState.RUNNING);
      assertThat(rows(service, "SELECT order_id FROM public.\"order\" ORDER BY 1"))
          .containsExactly("1", "2");
      // Several timeouts in a row do not stop it either.
      Thread.sleep(4_000);
      assertThat(sink.metrics().state()).isEqualTo(SinkState.RUNNING);

      broker.startup();
      brokerDown = false;
      await()
          .atMost(Duration.ofSeconds(120))
          .until(() -> committedOffset(ServiceSink.groupId(service), topic) == 2);
      assertThat(sink.metrics().state()).isEqualTo(SinkState.RUNNING);
    } finally {
      if (brokerDown) {
        broker.startup();
      }
    }
  }

  private static boolean waitingForAdvisoryLock(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")) {
      rs.next();
      return rs.getLong(1) > 0;
    }
  }

  private static long committedOffset(String group, String topic) {
    try (Admin admin = Admin.create(TestKafka.adminProperties())) {
      OffsetAndMetadata o =
          admin
              .listConsumerGroupOffsets(group)
              .partitionsToOffsetAndMetadata()
              .get(10, TimeUnit.SECONDS)
              .get(new TopicPartition(topic, 0));
      return o == null ? -1 : o.offset();
    } catch (Exception e) {
      return -1;
    }
  }
}
