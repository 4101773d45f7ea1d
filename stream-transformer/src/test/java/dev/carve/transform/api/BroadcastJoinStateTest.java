package dev.carve.transform.api;

import static dev.carve.transform.testing.Debezium.key;
import static dev.carve.transform.testing.Debezium.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.core.SourcePosition;
import dev.carve.core.error.OnError;
import dev.carve.transform.testing.Debezium;
import dev.carve.transform.testing.Harness;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the broadcast join keeps of deleted left rows. */
class BroadcastJoinStateTest {
  private static final String KEY = key("order_ref", "ORD-1");
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
}
