package dev.carve.transform.api;

import static dev.carve.transform.api.ForeignKeyJoinTest.country;
import static dev.carve.transform.api.ForeignKeyJoinTest.sendAddress;
import static dev.carve.transform.api.ForeignKeyJoinTest.sendOrder;
import static dev.carve.transform.testing.Debezium.key;
import static dev.carve.transform.testing.Debezium.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.error.OnError;
import dev.carve.transform.testing.Debezium;
import dev.carve.transform.testing.Harness;
import java.time.Duration;
import java.util.List;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ForeignKeyJoin#waitFor}: a left row whose referenced row is absent waits for it
 * (wall-clock time of the test driver) instead of being mapped twice, first without it.
 */
class JoinWaitTest {
  private static final Duration WAIT = Duration.ofSeconds(2);
  private Harness harness;

  @BeforeEach
  void start() {
    harness =
        new Harness(
            new ForeignKeyJoinTest.ShopTopology(ForeignKeyJoin.Strategy.BROADCAST, WAIT),
            OnError.DEAD_LETTER);
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  private void advance(long millis) {
    harness.driver().advanceWallClockTime(Duration.ofMillis(millis));
  }

  private List<TestRecord<GenericRecord, GenericRecord>> orders() {
    return harness.read("order");
  }

  private long waiting() {
    KeyValueStore<String, String> store = harness.driver().getKeyValueStore("shop-orders-waiting");
    long n = 0;
    try (KeyValueIterator<String, String> it = store.all()) {
      for (; it.hasNext(); it.next()) {
        n++;
      }
    }
    return n;
  }

  @Test
  void orderWhoseAddressArrivesWithinTheWaitIsMappedOnceWithItsCountry() {
    sendOrder(harness, "ORD-1", "C9", 200);
    advance(1_000);
    assertThat(orders()).isEmpty();
    assertThat(waiting()).isEqualTo(1);

    sendAddress(harness, "c", 9, "C9", "B", "NL", 190);

    assertThat(orders())
        .singleElement()
        .satisfies(r -> assertThat(country(r)).isEqualTo("NL"))
        .satisfies(r -> assertThat(ForeignKeyJoinTest.changeLsn(r)).isEqualTo(200));
    assertThat(waiting()).isZero();
    advance(5_000);
    assertThat(orders()).isEmpty();
    assertThat(harness.metrics().joinWaitsEnded()).isZero();
  }

  @Test
  void orderOfAnAbsentCustomerIsMappedWithoutCountryWhenTheWaitEndsAndCompletedLater() {
    sendOrder(harness, "ORD-1", "C9", 200);
    advance(1_900);
    assertThat(orders()).isEmpty();

    advance(600);
    assertThat(orders()).singleElement().satisfies(r -> assertThat(country(r)).isNull());
    assertThat(harness.metrics().joinWaitsEnded()).isEqualTo(1);
    assertThat(waiting()).isZero();

    sendAddress(harness, "c", 9, "C9", "B", "NL", 300);
    assertThat(orders()).singleElement().satisfies(r -> assertThat(country(r)).isEqualTo("NL"));
  }

  @Test
  void orderWhoseAddressIsThereOrThatReferencesNoCustomerIsMappedAtOnce() {
    sendAddress(harness, "c", 1, "C1", "B", "DE", 100);
    sendOrder(harness, "ORD-1", "C1", 200);
    sendOrder(harness, "ORD-2", null, 210);

    assertThat(orders())
        .extracting(r -> r.key().get("order_ref").toString() + "=" + country(r))
        .containsExactly("ORD-1=DE", "ORD-2=null");
    assertThat(waiting()).isZero();
  }

  @Test
  void orderChangedWhileItWaitsIsMappedOnceAsItsLastChangeWhenItsFirstWaitEnds() {
    sendOrder(harness, "ORD-1", "C9", 200);
    advance(1_500);
    sendOrder(
        harness, "ORD-1", "C8", 300); // another absent customer: it waits since its first change
    advance(700);

    assertThat(orders())
        .singleElement()
        .satisfies(r -> assertThat(ForeignKeyJoinTest.changeLsn(r)).isEqualTo(300))
        .satisfies(r -> assertThat(country(r)).isNull());
    // It now follows the customer of its last change.
    sendAddress(harness, "c", 8, "C8", "B", "BE", 400);
    assertThat(orders()).singleElement().satisfies(r -> assertThat(country(r)).isEqualTo("BE"));
  }

  @Test
  void orderChangedToACustomerThatIsThereStopsWaiting() {
    sendAddress(harness, "c", 1, "C1", "B", "DE", 100);
    sendOrder(harness, "ORD-1", "C9", 200);
    sendOrder(harness, "ORD-1", "C1", 300);

    assertThat(orders()).singleElement().satisfies(r -> assertThat(country(r)).isEqualTo("DE"));
    assertThat(waiting()).isZero();
    advance(5_000);
    assertThat(orders()).isEmpty();
  }

  @Test
  void deleteOfAWaitingOrderGoesOutAtOnceAndEndsTheWait() {
    sendOrder(harness, "ORD-1", "C9", 200);
    harness.send(
        "orders",
        key("order_ref", "ORD-1"),
        Debezium.delete("orders", row("order_ref", "ORD-1"), 300));

    assertThat(orders()).singleElement().satisfies(r -> assertThat(r.value()).isNull());
    assertThat(waiting()).isZero();
    advance(5_000);
    sendAddress(harness, "c", 9, "C9", "B", "NL", 400);
    assertThat(orders()).isEmpty();
    assertThat(harness.metrics().joinWaitsEnded()).isZero();
  }

  @Test
  void addressDeliveredBeforeItsOrdersEndsEveryWaitOfItsCustomer() {
    for (int i = 1; i <= 50; i++) {
      sendOrder(harness, "ORD-" + i, "C" + (i % 5), 1_000 + i);
    }
    assertThat(waiting()).isEqualTo(50);
    for (int c = 0; c < 5; c++) {
      sendAddress(harness, "r", c, "C" + c, "B", "DE", 0);
    }

    List<TestRecord<GenericRecord, GenericRecord>> out = orders();
    assertThat(out).hasSize(50).allSatisfy(r -> assertThat(country(r)).isEqualTo("DE"));
    assertThat(waiting()).isZero();
  }

  /** The harness with a catch-up wait of {@code catchUp} on top of the wait of 2 s. */
  private void catchingUp(Duration catchUp) {
    harness.close();
    harness =
        new Harness(
            new ForeignKeyJoinTest.ShopTopology(ForeignKeyJoin.Strategy.BROADCAST, WAIT, catchUp),
            OnError.DEAD_LETTER);
  }

  private void snapshotOrder(String ref, String custNo) {
    harness.send(
        "orders",
        key("order_ref", ref),
        Debezium.read("orders", row("order_ref", ref, "cust_no", custNo)));
  }

  /** Other customers' addresses, one a second for {@code seconds}, read by the snapshot. */
  private void addressesKeepComing(int first, int seconds) {
    for (int i = 0; i < seconds; i++) {
      advance(1_000);
      sendAddress(harness, "r", first + i, "C" + (first + i), "B", "DE", 0);
    }
  }

  @Test
  void snapshotOrderWaitsPastTheWaitWhileAddressesKeepComingAndIsMappedOnceWithItsCountry() {
    catchingUp(Duration.ofMinutes(1));
    snapshotOrder("ORD-1", "C9");
    addressesKeepComing(100, 6);
    assertThat(orders()).isEmpty();
    assertThat(waiting()).isEqualTo(1);

    sendAddress(harness, "r", 9, "C9", "B", "NL", 0);

    assertThat(orders()).singleElement().satisfies(r -> assertThat(country(r)).isEqualTo("NL"));
    assertThat(waiting()).isZero();
    assertThat(harness.metrics().joinWaitsEnded()).isZero();
  }

  @Test
  void waitEndsWhenTheAddressesStopComingForATenthOfTheCatchUpWait() {
    catchingUp(Duration.ofMinutes(1));
    snapshotOrder("ORD-1", "C9");
    addressesKeepComing(100, 4);
    advance(5_900); // a pause of the address side under load, not the end of it
    assertThat(orders()).isEmpty();

    advance(600); // no address for 6.5 s: the right side has caught up, C9 has none
    assertThat(orders()).singleElement().satisfies(r -> assertThat(country(r)).isNull());
    assertThat(harness.metrics().joinWaitsEnded()).isEqualTo(1);
  }

  @Test
  void waitEndsAtTheCatchUpWaitWhileAddressesStillCome() {
    catchingUp(Duration.ofSeconds(10));
    snapshotOrder("ORD-1", "C9");
    addressesKeepComing(100, 9);
    assertThat(orders()).isEmpty();

    addressesKeepComing(200, 2);
    assertThat(orders()).singleElement().satisfies(r -> assertThat(country(r)).isNull());
    assertThat(harness.metrics().joinWaitsEnded()).isEqualTo(1);
  }

  @Test
  void streamedOrderWaitsUntilAnAddressCommittedAfterItArrives() {
    catchingUp(Duration.ofMinutes(1));
    sendOrder(harness, "ORD-1", "C9", 500);
    advance(10);
    sendOrder(harness, "ORD-2", "C8", 700);
    for (int i = 0; i < 4; i++) { // the address side behind: changes committed before the orders
      advance(1_000);
      sendAddress(harness, "u", 100 + i, "C" + (100 + i), "B", "DE", 100 + i);
    }
    assertThat(orders()).isEmpty();

    sendAddress(harness, "u", 200, "C200", "B", "DE", 600);
    advance(500);

    // The right side has passed ORD-1's commit, not ORD-2's: ORD-2 waits on.
    assertThat(orders())
        .singleElement()
        .satisfies(r -> assertThat(r.key().get("order_ref").toString()).isEqualTo("ORD-1"))
        .satisfies(r -> assertThat(country(r)).isNull());
    assertThat(harness.metrics().joinWaitsEnded()).isEqualTo(1);
    assertThat(waiting()).isEqualTo(1);

    sendAddress(harness, "u", 8, "C8", "B", "BE", 800);
    assertThat(orders()).singleElement().satisfies(r -> assertThat(country(r)).isEqualTo("BE"));
  }

  @Test
  void withoutACatchUpWaitTheWaitEndsWhileAddressesKeepComing() {
    snapshotOrder("ORD-1", "C9");
    addressesKeepComing(100, 3);

    assertThat(orders()).singleElement().satisfies(r -> assertThat(country(r)).isNull());
  }

  @Test
  void aCatchUpWaitNeedsAWaitNoLongerThanItAndTheBroadcastJoin() {
    assertThatThrownBy(
            () ->
                new Harness(
                    new ForeignKeyJoinTest.ShopTopology(
                        ForeignKeyJoin.Strategy.BROADCAST, Duration.ZERO, Duration.ofMinutes(1)),
                    OnError.DEAD_LETTER))
        .hasMessageContaining("join 'orders' of service 'shop'")
        .hasMessageContaining("catchUpWait (60000 ms)")
        .hasMessageContaining("needs a waitFor");
    assertThatThrownBy(
            () ->
                new Harness(
                    new ForeignKeyJoinTest.ShopTopology(
                        ForeignKeyJoin.Strategy.BROADCAST, WAIT, Duration.ofSeconds(1)),
                    OnError.DEAD_LETTER))
        .hasMessageContaining("cannot be shorter than it (waitFor 2000 ms)");
    assertThatThrownBy(
            () ->
                new Harness(
                    new ForeignKeyJoinTest.ShopTopology(
                        ForeignKeyJoin.Strategy.KTABLE, WAIT, Duration.ofMinutes(1)),
                    OnError.DEAD_LETTER))
        .hasMessageContaining("broadcast strategy only");
    assertThatThrownBy(
            () ->
                ForeignKeyJoin.of("addresses", java.util.Map.of("cust_no", "cust_no"), "c")
                    .catchUpWait(Duration.ofSeconds(-1)))
        .hasMessageContaining("cannot be negative");
  }

  @Test
  void theKTableJoinRefusesAWait() {
    assertThatThrownBy(
            () ->
                new Harness(
                    new ForeignKeyJoinTest.ShopTopology(ForeignKeyJoin.Strategy.KTABLE, WAIT),
                    OnError.DEAD_LETTER))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("join 'orders' of service 'shop'")
        .hasMessageContaining("broadcast strategy only");
    assertThatThrownBy(
            () ->
                ForeignKeyJoin.of("addresses", java.util.Map.of("cust_no", "cust_no"), "c")
                    .waitFor(Duration.ofSeconds(-1)))
        .hasMessageContaining("cannot be negative");
  }
}
