package dev.carve.transform.api;

import static dev.carve.transform.api.ForeignKeyJoinTest.sendAddress;
import static dev.carve.transform.api.ForeignKeyJoinTest.sendOrder;
import static dev.carve.transform.testing.Debezium.key;
import static dev.carve.transform.testing.Debezium.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.core.SourcePosition;
import dev.carve.core.error.OnError;
import dev.carve.transform.testing.Debezium;
import dev.carve.transform.testing.Harness;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the broadcast join keeps: of deleted left rows; and one iterator open on its index store, so
 * that Kafka Streams 4.1.0 does not register and remove the store's open-iterator gauge around
 * every scan of the index (one per right change; KAFKA-19678).
 */
class BroadcastJoinStateTest {
  private static final String KEY = key("order_ref", "ORD-1");
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

  private KeyValueStore<String, String> rows() {
    return harness.driver().getKeyValueStore("shop-orders-rows");
  }

  private void order(long lsn) {
    harness.send(
        "orders", KEY, Debezium.update("orders", row("order_ref", "ORD-1", "cust_no", "C1"), lsn));
  }

  private void delete(long lsn) {
    harness.send("orders", KEY, Debezium.delete("orders", row("order_ref", "ORD-1"), lsn));
  }

  @Test
  void deletedRowLeavesNothingWhenItsDeleteWentOutAtItsOwnPosition() {
    order(500);
    assertThat(rows().get(KEY)).isNotNull();

    delete(600);

    assertThat(rows().get(KEY)).isNull();
    order(650); // a re-insert is newer than the delete by itself
    assertThat(harness.read("order"))
        .extracting(r -> SourcePosition.readFrom(r.headers()).changeLsn())
        .containsExactly(500L, 600L, 650L);
  }

  @Test
  void deletedRowKeepsItsRaisedPosition() {
    order(500);
    harness.send(
        "addresses",
        key("addr_id", 1),
        Debezium.update(
            "addresses",
            row("addr_id", 1, "cust_no", "C1", "addr_type", "B", "country_code", "DE"),
            700));
    delete(600);

    // The address re-mapped ORD-1 at its own position (commit 692, change 700: the test envelopes'
    // sequence is [lsn - 8, lsn]); the delete went out just above it, and that position stays.
    assertThat(rows().get(KEY)).startsWith("R1\n\n692:701\n");
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
