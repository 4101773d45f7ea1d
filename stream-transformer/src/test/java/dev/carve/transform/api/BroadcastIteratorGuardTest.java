package dev.carve.transform.api;

import static dev.carve.transform.api.ForeignKeyJoinTest.sendAddress;
import static dev.carve.transform.api.ForeignKeyJoinTest.sendOrder;
import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.core.error.OnError;
import dev.carve.transform.testing.Harness;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The broadcast join keeps one iterator open on its index store, so that Kafka Streams 4.1.0 does
 * not register and remove the store's open-iterator gauge around every scan of the index (one per
 * right change; KAFKA-19678): the gauge stays registered, the store counts that one iterator, and
 * the guard is renewed on the wall clock.
 */
class BroadcastIteratorGuardTest {
  private static final String INDEX = "shop-orders-index";
  private Harness harness;

  @BeforeEach
  void start() {
    harness =
        new Harness(
            new ForeignKeyJoinTest.ShopTopology(ForeignKeyJoin.Strategy.BROADCAST),
            OnError.DEAD_LETTER);
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void theIndexKeepsOneIteratorOpenSoItsGaugeIsNotRegisteredAgainPerScan() {
    sendOrder(harness, "ORD-1", "C1", 100);
    for (int i = 1; i <= 5; i++) {
      sendAddress(harness, "c", i, "C" + i, "B", "DE", 200 + i); // each change scans the index
    }
    assertThat(indexMetric("num-open-iterators")).isEqualTo(1L);
    Object oldest = indexMetric("oldest-iterator-open-since-ms");
    assertThat(oldest).as("registered, not removed after the scans").isInstanceOf(Long.class);

    harness.driver().advanceWallClockTime(Duration.ofSeconds(2));
    sendAddress(harness, "u", 1, "C1", "B", "NL", 300);

    assertThat(indexMetric("num-open-iterators")).isEqualTo(1L);
    assertThat((Long) indexMetric("oldest-iterator-open-since-ms"))
        .as("renewed on the wall clock")
        .isGreaterThan((Long) oldest);
    assertThat(harness.read("order"))
        .extracting(r -> ForeignKeyJoinTest.country(r))
        .containsExactly(null, "DE", "NL");
  }

  private Object indexMetric(String name) {
    for (Map.Entry<MetricName, ? extends Metric> m : harness.driver().metrics().entrySet()) {
      if (m.getKey().name().equals(name) && m.getKey().tags().containsValue(INDEX)) {
        return m.getValue().metricValue();
      }
    }
    return null;
  }
}
