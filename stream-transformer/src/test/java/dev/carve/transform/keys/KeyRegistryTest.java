package dev.carve.transform.keys;

import static dev.carve.transform.testing.Debezium.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.CarveHeaders;
import dev.carve.core.error.OnError;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.api.LegacyKeys;
import dev.carve.transform.demo.BillingTopology;
import dev.carve.transform.mapping.CustomersMappingTest;
import dev.carve.transform.mapping.MappingLoader;
import dev.carve.transform.testing.Debezium;
import dev.carve.transform.testing.Harness;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Legacy keys are allocated once and kept in the key registry topic: the first output using a new
 * key records it in the same transaction, a recorded key wins over the proposal, and a proposal
 * recorded for another legacy value is refused. From YAML (customers.yaml, orders.yaml) and from
 * the Java API ({@link BillingTopology} calls {@link LegacyKeys#allocate}).
 */
class KeyRegistryTest {

  private static Harness customers() {
    return new Harness(MappingLoader.load(Harness.topologyFile("customers")), OnError.DEAD_LETTER);
  }

  private static void sendCustomer(Harness harness, String custNo, String status, long lsn) {
    harness.send(
        "customers",
        key("cust_no", custNo),
        Debezium.envelope(
            "customers",
            "c",
            null,
            CustomersMappingTest.customer(custNo, status, "N", null),
            lsn,
            false));
  }

  @Test
  void newKeyIsRecordedOnceWithTheOutputThatUsesItThenReadFromTheRegistry() {
    try (Harness harness = customers()) {
      sendCustomer(harness, "C1", "A", 1000);
      sendCustomer(harness, "C1", "S", 1100);

      long proposal = KeyRegistry.proposal("customer", "C1");
      assertThat(harness.read("customer"))
          .hasSize(2)
          .allSatisfy(r -> assertThat(r.key().get("customer_id")).isEqualTo(proposal));
      List<TestRecord<String, String>> recorded = harness.readKeyRegistry();
      assertThat(recorded)
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.key()).isEqualTo("customer/C1");
                assertThat(r.value()).isEqualTo(Long.toString(proposal));
              });
      // Read back by the global store: a later change finds it there, and records nothing.
      var store = harness.driver().getKeyValueStore("customers-legacy-keys");
      assertThat(store.get("kcustomer/C1")).isEqualTo(Long.toString(proposal));
      assertThat(store.get("ecustomer/C1")).isEqualTo(Long.toString(proposal));
      assertThat(store.get("icustomer/" + proposal)).isEqualTo("C1");
      sendCustomer(harness, "C1", "A", 1200);
      assertThat(harness.readKeyRegistry()).isEmpty();
    }
  }

  @Test
  void keyRecordedInTheRegistryWinsOverTheProposal() {
    try (Harness harness = customers()) {
      harness.setKey("customer", "C2", 777L);
      sendCustomer(harness, "C2", "A", 1000);

      List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("customer");
      assertThat(out)
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.key().get("customer_id")).isEqualTo(777L);
                assertThat(r.value().get("customer_id")).isEqualTo(777L);
              });
      assertThat(harness.readKeyRegistry()).isEmpty();
    }
  }

  @Test
  void proposalRecordedForAnotherLegacyValueIsDeadLetteredNamingBothNeverMerged() {
    try (Harness harness = customers()) {
      long proposal = KeyRegistry.proposal("customer", "C3");
      harness.recordKey("customer", "OTHER", proposal);
      sendCustomer(harness, "C3", "A", 1000);

      assertThat(harness.read("customer")).isEmpty();
      assertThat(harness.readKeyRegistry()).isEmpty();
      assertThat(harness.readDeadLetters())
          .singleElement()
          .satisfies(
              d ->
                  assertThat(Harness.header(d, CarveHeaders.DLQ_ERROR))
                      .contains(
                          "KEY COLLISION",
                          "'customer'",
                          "'C3'",
                          "'OTHER'",
                          Long.toString(proposal),
                          "carve keys set <service> customer 'C3'",
                          "carve verify <service> --repair"));

      // The operator sets another key for it; the retried change then maps with that key.
      harness.setKey("customer", "C3", 4242L);
      sendCustomer(harness, "C3", "A", 1000);
      assertThat(harness.read("customer"))
          .singleElement()
          .satisfies(r -> assertThat(r.key().get("customer_id")).isEqualTo(4242L));
    }
  }

  @Test
  void keyRecordedForTwoValuesIsRefusedForTheSecondNeverMerged() {
    try (Harness harness = customers()) {
      sendCustomer(harness, "C7", "A", 1000);
      long c7 = KeyRegistry.proposal("customer", "C7");
      assertThat(harness.read("customer")).singleElement();
      // C8's key set (by hand, or by carve keys unset falling back to a claim) to C7's key.
      harness.setKey("customer", "C8", c7);
      sendCustomer(harness, "C8", "A", 1100);
      sendCustomer(harness, "C7", "S", 1200);

      assertThat(harness.read("customer"))
          .as("only C7 maps to its key")
          .singleElement()
          .satisfies(r -> assertThat(r.value().get("status").toString()).isEqualTo("SUSPENDED"));
      assertThat(harness.readDeadLetters())
          .singleElement()
          .satisfies(
              d ->
                  assertThat(Harness.header(d, CarveHeaders.DLQ_ERROR))
                      .contains("KEY COLLISION", "'C8'", "'C7'", Long.toString(c7)));

      // Once C8 has a key of its own, its change maps.
      harness.setKey("customer", "C8", 88L);
      sendCustomer(harness, "C8", "A", 1100);
      assertThat(harness.read("customer"))
          .singleElement()
          .satisfies(r -> assertThat(r.key().get("customer_id")).isEqualTo(88L));
    }
  }

  @Test
  void keysOfADeadLetteredChangeAreNotRecorded() {
    try (Harness harness = customers()) {
      // An unknown status code fails the change after its customer_id was allocated.
      sendCustomer(harness, "C4", "Q", 1000);
      assertThat(harness.readDeadLetters()).hasSize(1);
      assertThat(harness.readKeyRegistry()).isEmpty();

      sendCustomer(harness, "C4", "A", 1100);
      assertThat(harness.readKeyRegistry())
          .singleElement()
          .satisfies(r -> assertThat(r.key()).isEqualTo("customer/C4"));
    }
  }

  @Test
  void orderAndItsLinesShareOneRecordedKeyAndTheCustomerKeyComesFromTheRegistry() {
    DomainTopology orders = MappingLoader.load(Harness.topologyFile("orders"));
    try (Harness harness = new Harness(orders, OnError.DEAD_LETTER)) {
      // Recorded by the customers service before: orders must use the same key.
      harness.recordKey("customer", "C00000042", 31L);
      harness.send(
          "orders",
          key("order_ref", "O-1"),
          Debezium.create(
              "orders",
              Debezium.row(
                  "order_ref", "O-1",
                  "cust_no", "C00000042",
                  "order_date", "2019-03-21 14:05:09",
                  "status", "N",
                  "total_amount", "10.00",
                  "currency", "EUR",
                  "lines_blob",
                      "[{\"sku\":\"A\",\"qty\":1,\"unit_price\":\"4.00\"},"
                          + "{\"sku\":\"B\",\"qty\":2,\"unit_price\":\"3.00\"}]",
                  "ship_to", "Anna|Main St 1|Berlin|10115|de",
                  "deleted_flag", "N",
                  "updated_at", 1L),
              1000));
      // The join may hold the order until its address arrives; let the wait end.
      harness.driver().advanceWallClockTime(java.time.Duration.ofMinutes(3));

      long orderKey = KeyRegistry.proposal("order", "O-1");
      assertThat(harness.read("order"))
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.key().get("order_id")).isEqualTo(orderKey);
                assertThat(r.value().get("customer_id")).isEqualTo(31L);
              });
      assertThat(harness.read("order_line"))
          .hasSize(2)
          .allSatisfy(r -> assertThat(r.key().get("order_id")).isEqualTo(orderKey));
      assertThat(harness.readKeyRegistry())
          .extracting(TestRecord::key, TestRecord::value)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("order/O-1", Long.toString(orderKey)));
    }
  }

  @Test
  void javaTopologyAllocatesThroughTheRegistryToo() {
    try (Harness harness = new Harness(new BillingTopology(), OnError.DEAD_LETTER)) {
      harness.recordKey("order", "O-9", 9L);
      harness.send(
          "orders",
          key("order_ref", "O-9"),
          Debezium.create(
              "orders",
              Debezium.row(
                  "order_ref", "O-9",
                  "cust_no", "C00000042",
                  "order_date", "2019-03-21 14:05:09",
                  "status", "N",
                  "total_amount", "119.00",
                  "currency", "EUR",
                  "lines_blob", "[]",
                  "ship_to", null,
                  "deleted_flag", "N",
                  "updated_at", 1L),
              1000));

      assertThat(harness.read("invoice"))
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.key().get("invoice_id")).isEqualTo(9L);
                assertThat(r.value().get("customer_id"))
                    .isEqualTo(KeyRegistry.proposal("customer", "C00000042"));
              });
      assertThat(harness.readKeyRegistry())
          .extracting(TestRecord::key)
          .containsExactly("customer/C00000042");
    }
  }

  @Test
  void registryStoreIsReadByANamedSourceAndTakesAValueThatIsNoKeyAsATombstone() {
    try (Harness harness = customers()) {
      assertThat(harness.topology().describe().toString())
          .contains("customers-source-legacy-keys", "customers-legacy-keys")
          .doesNotContain("KSTREAM-", "KTABLE-");
      harness.recordKey("customer", "C5", 55L);
      var registry =
          harness
              .driver()
              .createInputTopic(
                  KeyRegistry.DEFAULT_TOPIC,
                  new org.apache.kafka.common.serialization.StringSerializer(),
                  new org.apache.kafka.common.serialization.StringSerializer());
      // A key without a namespace names no legacy value: ignored.
      registry.pipeInput("no-namespace", "1");
      sendCustomer(harness, "C5", "A", 1000);
      assertThat(harness.read("customer"))
          .singleElement()
          .satisfies(r -> assertThat(r.key().get("customer_id")).isEqualTo(55L));

      // A value that is no key is what compaction keeps of C5 (its last record): a running
      // instance forgets 55 as a restarted one would, and C5 gets its proposal.
      registry.pipeInput("customer/C5", "minus one");
      sendCustomer(harness, "C5", "A", 1100);
      assertThat(harness.read("customer"))
          .singleElement()
          .satisfies(
              r ->
                  assertThat(r.key().get("customer_id"))
                      .isEqualTo(KeyRegistry.proposal("customer", "C5")));
      assertThat(harness.driver().getKeyValueStore("customers-legacy-keys").get("icustomer/55"))
          .isNull();
    }
  }

  @Test
  void keySetByAnOperatorWinsOverAClaimWhicheverComesLaterAndForgettingItFallsBack() {
    try (Harness harness = customers()) {
      long proposal = KeyRegistry.proposal("customer", "C6");
      sendCustomer(harness, "C6", "A", 1000);
      assertThat(harness.readKeyRegistry()).singleElement();
      harness.setKey("customer", "C6", 66L);
      // A claim committed after the set (a service whose transaction was open meanwhile).
      harness.recordKey("customer", "C6", proposal);
      sendCustomer(harness, "C6", "S", 1100);
      assertThat(harness.read("customer"))
          .extracting(r -> r.key().get("customer_id"))
          .containsExactly(proposal, 66L);
      var store = harness.driver().getKeyValueStore("customers-legacy-keys");
      assertThat(store.get("icustomer/66")).isEqualTo("C6");
      assertThat(store.get("ecustomer/C6")).isEqualTo("66");
      assertThat(store.get("icustomer/" + proposal)).isNull();

      // Forgetting the set key falls back to the claim.
      harness.setKey("customer", "C6", null);
      sendCustomer(harness, "C6", "A", 1200);
      assertThat(harness.read("customer"))
          .singleElement()
          .satisfies(r -> assertThat(r.key().get("customer_id")).isEqualTo(proposal));
      assertThat(store.get("icustomer/" + proposal)).isEqualTo("C6");
      assertThat(harness.readKeyRegistry()).isEmpty();
    }
  }

  @Test
  void allocationOutsideATopologyIsTheProposalAndNamespacesWithASlashAreRefused() {
    assertThat(LegacyKeys.allocate("customer", "C1"))
        .isEqualTo(KeyRegistry.proposal("customer", "C1"));
    assertThatThrownBy(() -> KeyRegistry.recordKey("a/b", "C1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a/b'", "'/'");
    KeyRegistry.Allocation allocation = new KeyRegistry.Allocation(KeyRegistry.NOTHING);
    try (LegacyKeys.Binding bound = LegacyKeys.bind(allocation)) {
      assertThatThrownBy(() -> LegacyKeys.bind(allocation))
          .isInstanceOf(IllegalStateException.class);
      LegacyKeys.allocate("customer", "C1");
    }
    assertThat(allocation.takeClaims())
        .isEqualTo(Map.of("customer/C1", LegacyKeys.allocate("customer", "C1")));
  }
}
