package dev.carve.transform.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.testing.Harness;
import org.junit.jupiter.api.Test;

/**
 * The tests of {@link OrdersJoinMappingTest} with orders.yaml's join on {@code strategy: ktable}.
 */
class OrdersKTableJoinMappingTest extends OrdersJoinMappingTest {
  @Override
  DomainTopology topology() {
    return Harness.ordersWithKTableJoin();
  }

  @Test
  @Override
  void joinKeepsItsRowsInStoresWithChangelogs() {
    address("c", 1, "C1", "B", "DE", 100);
    order("ORD-1", "C1", 200);
    assertThat(harness.read("order")).hasSize(1);

    // Kafka Streams always stores the result of a foreign-key join; it is never read back, so it
    // has no changelog.
    assertThat(harness.driver().producedTopicNames())
        .anySatisfy(t -> assertThat(t).endsWith("orders-orders-left-changelog"))
        .anySatisfy(t -> assertThat(t).endsWith("orders-orders-positions-changelog"))
        .noneSatisfy(t -> assertThat(t).contains("orders-orders-joined"));
    assertThat(harness.driver().getKeyValueStore("orders-orders-joined")).isNotNull();
  }

  @Test
  @Override
  void orderReadBeforeItsCustomersAddressIsWrittenOnceWithItsCountry() {
    // No wait on this join: the order goes out without its country, then again with it.
    order("ORD-1", "C1", 500);
    address("c", 1, "C1", "B", "DE", 490);

    assertThat(harness.read("order"))
        .extracting(OrdersJoinMappingTest::country)
        .containsExactly(null, "DE");
  }

  @Test
  @Override
  void joinIsNamedAfterTheServiceAndTheTable() {
    assertThat(harness.topology().describe().toString())
        .contains(
            "orders-source-orders",
            "orders-source-addresses",
            "orders-addresses-by-orders-repartition",
            "orders-orders-lookup",
            "orders-orders-fk-subscription-registration-topic",
            "orders-orders-fk-subscription-response-topic",
            "orders-orders-joined",
            "orders-map-orders",
            "orders-orders-positions",
            "orders-sink-orders")
        .doesNotContain("KSTREAM-", "KTABLE-");
  }
}
