package dev.carve.transform.api;

import static dev.carve.transform.testing.Debezium.key;
import static dev.carve.transform.testing.Debezium.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.core.CarveHeaders;
import dev.carve.core.SourcePosition;
import dev.carve.core.error.OnError;
import dev.carve.transform.testing.Debezium;
import dev.carve.transform.testing.Harness;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link TopologyContext#joinForeignKey} from the Java API: orders with their customer's country,
 * run the {@link ForeignKeyJoin.Strategy#BROADCAST broadcast} way ({@link KTableForeignKeyJoinTest}
 * runs the same tests on Kafka Streams' KTable foreign-key join).
 */
class ForeignKeyJoinTest {
  /** The strategy under test. */
  ForeignKeyJoin.Strategy strategy() {
    return ForeignKeyJoin.Strategy.BROADCAST;
  }

  static final Schema KEY =
      new Schema.Parser()
          .parse(
              "{\"type\":\"record\",\"name\":\"ShopOrderKey\",\"fields\":[{\"name\":\"order_ref\","
                  + "\"type\":\"string\"}]}");
  static final Schema VALUE =
      new Schema.Parser()
          .parse(
              "{\"type\":\"record\",\"name\":\"ShopOrder\",\"fields\":[{\"name\":\"order_ref\","
                  + "\"type\":\"string\"},{\"name\":\"country\",\"type\":[\"null\",\"string\"],"
                  + "\"default\":null}]}");

  /**
   * Orders of service {@code shop} with the country of the customer's billing address; {@code
   * waitFor}: {@link ForeignKeyJoin#waitFor}; {@code catchUpWait}: {@link
   * ForeignKeyJoin#catchUpWait}.
   */
  record ShopTopology(ForeignKeyJoin.Strategy strategy, Duration waitFor, Duration catchUpWait)
      implements DomainTopology {
    ShopTopology(ForeignKeyJoin.Strategy strategy) {
      this(strategy, Duration.ZERO);
    }

    ShopTopology(ForeignKeyJoin.Strategy strategy, Duration waitFor) {
      this(strategy, waitFor, Duration.ZERO);
    }

    @Override
    public String service() {
      return "shop";
    }

    @Override
    public void define(StreamsBuilder builder, TopologyContext ctx) {
      Topic<GenericRecord, GenericRecord> order = ctx.domainTopic("order");
      ctx.joinForeignKey(
          builder,
          "orders",
          "orders",
          ForeignKeyJoin.of("addresses", Map.of("cust_no", "cust_no"), "customer")
              .where(address -> "B".equals(address.get("addr_type")))
              .strategy(strategy)
              .waitFor(waitFor)
              .catchUpWait(catchUpWait),
          (change, scope) -> {
            GenericRecord key = new GenericData.Record(KEY);
            key.put("order_ref", change.row().get("order_ref"));
            if (change.isDelete()) {
              return List.of(Output.to(order, DomainRecord.delete(key, change.position())));
            }
            Map<String, Object> customer = change.joined("customer");
            GenericRecord value = new GenericData.Record(VALUE);
            value.put("order_ref", change.row().get("order_ref"));
            value.put("country", customer == null ? null : customer.get("country_code"));
            return List.of(Output.to(order, DomainRecord.upsert(key, value, change.position())));
          });
    }
  }

  static final Schema NOTE =
      new Schema.Parser()
          .parse(
              "{\"type\":\"record\",\"name\":\"ShopOrderNote\",\"fields\":[{\"name\":"
                  + "\"order_ref\",\"type\":\"string\"},{\"name\":\"note\",\"type\":"
                  + "\"string\"}]}");

  /** Orders with a TOASTable note, filled by the join ({@link ForeignKeyJoin#toast}). */
  record NoteTopology(ForeignKeyJoin.Strategy strategy) implements DomainTopology {
    @Override
    public String service() {
      return "notes";
    }

    @Override
    public void define(StreamsBuilder builder, TopologyContext ctx) {
      Topic<GenericRecord, GenericRecord> order = ctx.domainTopic("order");
      ctx.joinForeignKey(
          builder,
          "orders",
          "orders",
          ForeignKeyJoin.of("addresses", Map.of("cust_no", "cust_no"), "customer")
              .toast(List.of("note"))
              .strategy(strategy),
          (change, scope) -> {
            GenericRecord key = new GenericData.Record(KEY);
            key.put("order_ref", change.row().get("order_ref"));
            if (change.isDelete()) {
              return List.of(Output.to(order, DomainRecord.delete(key, change.position())));
            }
            GenericRecord value = new GenericData.Record(NOTE);
            value.put("order_ref", change.row().get("order_ref"));
            value.put("note", change.row().get("note"));
            return List.of(Output.to(order, DomainRecord.upsert(key, value, change.position())));
          });
    }
  }

  @Test
  void toastColumnsOfTheLeftTableAreFilledBeforeTheJoin() {
    try (Harness notes = new Harness(new NoteTopology(strategy()), OnError.DEAD_LETTER)) {
      notes.send(
          "orders",
          key("order_ref", "ORD-1"),
          Debezium.update(
              "orders", row("order_ref", "ORD-1", "cust_no", "C1", "note", "a long note"), 200));
      notes.send(
          "orders",
          key("order_ref", "ORD-1"),
          Debezium.update(
              "orders",
              row("order_ref", "ORD-1", "cust_no", "C1", "note", ChangeEvent.UNAVAILABLE),
              300));
      notes.send(
          "orders",
          key("order_ref", "ORD-2"),
          Debezium.update(
              "orders",
              row("order_ref", "ORD-2", "cust_no", "C1", "note", ChangeEvent.UNAVAILABLE),
              310));

      assertThat(notes.read("order"))
          .extracting(r -> r.value().get("note").toString())
          .containsExactly("a long note", "a long note");
      assertThat(notes.readDeadLetters())
          .singleElement()
          .satisfies(
              d ->
                  assertThat(Harness.header(d, CarveHeaders.DLQ_ERROR))
                      .contains("column 'note'", "ORD-2", "no previous value"));
    }
  }

  Harness harness;

  @BeforeEach
  void start() {
    harness = new Harness(new ShopTopology(strategy()), OnError.DEAD_LETTER);
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  private void address(String op, long id, String custNo, String type, String country, long lsn) {
    sendAddress(harness, op, id, custNo, type, country, lsn);
  }

  private void order(String ref, String custNo, long lsn) {
    sendOrder(harness, ref, custNo, lsn);
  }

  /** An address change ({@code op} r, c, u or d) of customer {@code custNo}. */
  static void sendAddress(
      Harness harness, String op, long id, String custNo, String type, String country, long lsn) {
    Map<String, Object> row =
        row("addr_id", id, "cust_no", custNo, "addr_type", type, "country_code", country);
    String value =
        switch (op) {
          case "r" -> Debezium.read("addresses", row);
          case "c" -> Debezium.create("addresses", row, lsn);
          case "u" -> Debezium.update("addresses", row, lsn);
          default -> Debezium.delete("addresses", row("addr_id", id), lsn);
        };
    harness.send("addresses", key("addr_id", id), value);
  }

  /** An update of order {@code ref} of customer {@code custNo} (null: no customer). */
  static void sendOrder(Harness harness, String ref, String custNo, long lsn) {
    harness.send(
        "orders",
        key("order_ref", ref),
        Debezium.update("orders", row("order_ref", ref, "cust_no", custNo), lsn));
  }

  static String country(TestRecord<GenericRecord, GenericRecord> r) {
    Object c = r.value().get("country");
    return c == null ? null : c.toString();
  }

  static long changeLsn(TestRecord<?, ?> r) {
    return SourcePosition.readFrom(r.headers()).changeLsn();
  }

  @Test
  void orderCarriesTheCountryOfItsCustomersBillingAddress() {
    address("c", 1, "C1", "B", "DE", 100);
    address("c", 2, "C1", "S", "FR", 110);
    order("ORD-1", "C1", 200);

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("order");
    assertThat(out).singleElement().satisfies(r -> assertThat(country(r)).isEqualTo("DE"));
    assertThat(changeLsn(out.get(0))).isEqualTo(200);
  }

  @Test
  void countryChangeReEmitsEveryOrderOfTheCustomerWithTheNewCountry() {
    address("c", 1, "C1", "B", "DE", 100);
    order("ORD-1", "C1", 200);
    order("ORD-2", "C1", 210);
    order("ORD-3", "C2", 220);
    harness.read("order");

    address("u", 1, "C1", "B", "AT", 300);

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("order");
    assertThat(out)
        .extracting(r -> r.key().get("order_ref").toString())
        .containsExactlyInAnyOrder("ORD-1", "ORD-2");
    assertThat(out).allSatisfy(r -> assertThat(country(r)).isEqualTo("AT"));
    assertThat(out).allSatisfy(r -> assertThat(changeLsn(r)).isEqualTo(300));
  }

  @Test
  void orderOfAnAbsentCustomerIsMappedWithNullAndCompletedWhenTheCustomerArrives() {
    order("ORD-1", "C9", 200);
    assertThat(harness.read("order"))
        .singleElement()
        .satisfies(r -> assertThat(country(r)).isNull());

    address("c", 9, "C9", "B", "NL", 300);
    assertThat(harness.read("order"))
        .singleElement()
        .satisfies(r -> assertThat(country(r)).isEqualTo("NL"));
  }

  @Test
  void deletedOrFilteredOutAddressLeavesItsOrdersWithoutCountry() {
    address("c", 1, "C1", "B", "DE", 100);
    address("c", 2, "C2", "B", "FR", 110);
    order("ORD-1", "C1", 200);
    order("ORD-2", "C2", 210);
    harness.read("order");

    address("d", 1, null, null, null, 300);
    address("u", 2, "C2", "S", "FR", 310);

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("order");
    assertThat(out)
        .extracting(r -> r.key().get("order_ref").toString())
        .containsExactly("ORD-1", "ORD-2");
    assertThat(out).allSatisfy(r -> assertThat(country(r)).isNull());
    // A row that left the right table takes no position with it: each order's output is its
    // previous one's plus one, enough to win at the sink's guard.
    assertThat(out).extracting(ForeignKeyJoinTest::changeLsn).containsExactly(201L, 211L);
  }

  @Test
  void severalMatchingAddressesJoinTheOneWithTheSmallestKey() {
    address("c", 10, "C1", "B", "DE", 100);
    address("c", 9, "C1", "B", "FR", 110);
    order("ORD-1", "C1", 200);
    assertThat(country(harness.read("order").get(0))).isEqualTo("FR");
  }

  @Test
  void deletedOrderIsDeletedAndNoLongerFollowsItsCustomer() {
    address("c", 1, "C1", "B", "DE", 100);
    order("ORD-1", "C1", 200);
    harness.read("order");

    harness.send(
        "orders",
        key("order_ref", "ORD-1"),
        Debezium.delete("orders", row("order_ref", "ORD-1"), 300));
    harness.send("orders", key("order_ref", "ORD-1"), null);
    assertThat(harness.read("order"))
        .singleElement()
        .satisfies(r -> assertThat(r.value()).isNull());

    address("u", 1, "C1", "B", "AT", 400);
    assertThat(harness.read("order")).isEmpty();
  }

  @Test
  void positionsStrictlyIncreasePerKeyWhenAnOlderSideArrivesLate() {
    order("ORD-1", "C1", 500);
    // The snapshot row of the address (position 0/0) reaches the join after the streamed order.
    address("r", 1, "C1", "B", "DE", 0);
    order("ORD-1", "C1", 400); // not newer either (e.g. reordered input)

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("order");
    assertThat(out).extracting(ForeignKeyJoinTest::changeLsn).containsExactly(500L, 501L, 502L);
    assertThat(country(out.get(1))).isEqualTo("DE");
  }

  @Test
  void reinsertAfterADeleteWhosePositionWasRaisedStillWins() {
    order("ORD-1", "C1", 500);
    address("u", 1, "C1", "B", "DE", 700); // re-maps ORD-1 at the address's position, 700
    harness.send(
        "orders",
        key("order_ref", "ORD-1"),
        Debezium.delete("orders", row("order_ref", "ORD-1"), 600)); // read after the address
    order("ORD-1", "C1", 650); // inserted again before the address change committed

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("order");
    assertThat(out)
        .extracting(ForeignKeyJoinTest::changeLsn)
        .containsExactly(500L, 700L, 701L, 702L);
    assertThat(out.get(2).value()).isNull();
    assertThat(country(out.get(3))).isEqualTo("DE");
  }

  @Test
  void unreadableAddressIsDeadLetteredWithItsOriginalKeyAndTopic() {
    harness.send("addresses", key("addr_id", 5), "not json");

    var dead = harness.readDeadLetters();
    assertThat(dead).hasSize(1);
    assertThat(new String(dead.get(0).key(), StandardCharsets.UTF_8)).isEqualTo(key("addr_id", 5));
    assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("not json");
    assertThat(Harness.header(dead.get(0), CarveHeaders.DLQ_TOPIC))
        .isEqualTo("legacy.public.addresses");
    assertThat(dead.get(0).headers().toArray())
        .noneMatch(h -> h.key().startsWith("carve.internal"));
  }

  @Test
  void truncateOfEitherTableIsDeadLetteredNamingIt() {
    harness.send("orders", null, Debezium.envelope("orders", "t", null, null, 900, false));
    harness.send("addresses", null, Debezium.envelope("addresses", "t", null, null, 910, false));

    assertThat(harness.read("order")).isEmpty();
    assertThat(harness.readDeadLetters())
        .extracting(d -> Harness.header(d, CarveHeaders.DLQ_ERROR))
        .satisfiesExactlyInAnyOrder(
            e -> assertThat(e).contains("a truncate of table 'orders'"),
            e -> assertThat(e).contains("a truncate of table 'addresses'"));
  }

  @Test
  void orderWithoutTheJoinColumnIsDeadLettered() {
    harness.send(
        "orders",
        key("order_ref", "ORD-1"),
        Debezium.update("orders", row("order_ref", "ORD-1"), 100));

    var dead = harness.readDeadLetters();
    assertThat(Harness.header(dead.get(0), CarveHeaders.DLQ_ERROR))
        .contains("join column 'cust_no' is missing from table 'orders'");
    assertThat(Harness.header(dead.get(0), CarveHeaders.DLQ_TOPIC))
        .isEqualTo("legacy.public.orders");
  }

  @Test
  void everyStoreTopicAndProcessorIsNamedAfterTheService() {
    String described = harness.topology().describe().toString();
    assertThat(described)
        .contains(
            "shop-source-orders",
            "shop-source-addresses",
            "shop-parse-addresses",
            "shop-dlq-addresses",
            "shop-orders-right",
            "shop-addresses-by-orders-repartition",
            "shop-orders-lookup",
            "shop-orders-chosen",
            "shop-orders-broadcast-repartition",
            "shop-rejoin-orders",
            "shop-map-orders",
            "shop-orders-rows",
            "shop-orders-index",
            "shop-orders-replica",
            "shop-orders-waiting",
            "shop-merge-orders",
            "shop-sink-orders");
    assertThat(described).doesNotContain("KSTREAM-", "KTABLE-");
  }
}
