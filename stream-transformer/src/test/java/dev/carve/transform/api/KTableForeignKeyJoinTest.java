package dev.carve.transform.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The tests of {@link ForeignKeyJoinTest} on Kafka Streams' KTable foreign-key join. */
class KTableForeignKeyJoinTest extends ForeignKeyJoinTest {
  @Override
  ForeignKeyJoin.Strategy strategy() {
    return ForeignKeyJoin.Strategy.KTABLE;
  }

  @Test
  @Override
  void everyStoreTopicAndProcessorIsNamedAfterTheService() {
    String described = harness.topology().describe().toString();
    assertThat(described)
        .contains(
            "shop-source-orders",
            "shop-source-addresses",
            "shop-parse-orders",
            "shop-parse-addresses",
            "shop-dlq-addresses",
            "shop-orders-left",
            "shop-orders-right",
            "shop-addresses-by-orders-repartition",
            "shop-orders-lookup",
            "shop-orders-fk-subscription-registration-topic",
            "shop-orders-fk-subscription-response-topic",
            "shop-orders-fk-subscription-store",
            "shop-orders-joined",
            "shop-map-orders",
            "shop-orders-positions",
            "shop-sink-orders");
    assertThat(described).doesNotContain("KSTREAM-", "KTABLE-");
  }
}
