package dev.carve.transform.mapping;

import static dev.carve.transform.testing.Debezium.key;
import static dev.carve.transform.testing.Debezium.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.carve.core.CarveHeaders;
import dev.carve.core.SourcePosition;
import dev.carve.core.config.ConfigException;
import dev.carve.core.error.OnError;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.testing.Debezium;
import dev.carve.transform.testing.Harness;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The orders mapping's foreign-key join ({@code join:} of entity {@code order}): the country of the
 * customer's billing address, as orders.yaml runs it (the broadcast join; {@link
 * OrdersKTableJoinMappingTest} runs the same tests with {@code strategy: ktable}).
 */
class OrdersJoinMappingTest {
  private static final String ONE_LINE = "[{\"sku\":\"SKU-1\",\"qty\":1,\"unit_price\":\"5.00\"}]";
  private static final SchemaResolver SCHEMAS =
      SchemaResolver.classpathThenDirectories(List.of(Path.of("../schemas")));

  Harness harness;

  /** The mapping under test. */
  DomainTopology topology() {
    return MappingLoader.load(Harness.topologyFile("orders"));
  }

  @BeforeEach
  void start() {
    harness = new Harness(topology(), OnError.DEAD_LETTER);
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  void order(String ref, String custNo, long lsn) {
    Map<String, Object> row = OrdersMappingTest.order(ref, "N", ONE_LINE, "N");
    row.put("cust_no", custNo);
    harness.send("orders", key("order_ref", ref), Debezium.update("orders", row, lsn));
  }

  void address(String op, long id, String custNo, String type, String country, long lsn) {
    Map<String, Object> row =
        row(
            "addr_id",
            id,
            "cust_no",
            custNo,
            "addr_type",
            type,
            "line1",
            "Main St 1",
            "line2",
            null,
            "city",
            "Berlin",
            "zip",
            "10115",
            "country_code",
            country);
    String value =
        switch (op) {
          case "r" -> Debezium.read("addresses", row);
          case "u" -> Debezium.update("addresses", row, lsn);
          case "d" -> Debezium.delete("addresses", row("addr_id", id), lsn);
          default -> Debezium.create("addresses", row, lsn);
        };
    harness.send("addresses", key("addr_id", id), value);
  }

  /**
   * Lets the wall clock pass orders.yaml's {@code wait: 2s}, which its {@code catch-up-wait: 2m}
   * extends to 12 s (a tenth of it) without any address arriving (nothing waits on a KTable join).
   */
  void waitEnds() {
    harness.driver().advanceWallClockTime(Duration.ofSeconds(13));
  }

  static String country(TestRecord<GenericRecord, GenericRecord> r) {
    Object c = r.value().get("customer_country");
    return c == null ? null : c.toString();
  }

  private static String ref(TestRecord<GenericRecord, GenericRecord> r) {
    return r.value().get("order_ref").toString();
  }

  @Test
  void orderCarriesTheCountryOfTheCustomersBillingAddress() {
    address("r", 1, "C1", "B", " de", 0);
    address("r", 2, "C1", "S", "FR", 0);
    order("ORD-1", "C1", 200);

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("order");
    assertThat(out).singleElement().satisfies(r -> assertThat(country(r)).isEqualTo("DE"));
    assertThat(SourcePosition.readFrom(out.get(0).headers()).changeLsn()).isEqualTo(200);
    assertThat(harness.read("order_line")).hasSize(1);
  }

  @Test
  void countryChangeReEmitsTheCustomersOrdersWithTheNewCountry() {
    address("c", 1, "C1", "B", "DE", 100);
    order("ORD-1", "C1", 200);
    order("ORD-2", "C1", 210);
    order("ORD-3", "C2", 220);
    harness.read("order");

    address("u", 1, "C1", "B", "AT", 300);

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("order");
    assertThat(out).extracting(OrdersJoinMappingTest::ref).containsExactly("ORD-1", "ORD-2");
    assertThat(out).allSatisfy(r -> assertThat(country(r)).isEqualTo("AT"));
    assertThat(out)
        .allSatisfy(
            r -> assertThat(SourcePosition.readFrom(r.headers()).changeLsn()).isEqualTo(300));
  }

  @Test
  void customerWithoutBillingAddressGivesNullUntilOneArrivesAndAfterItIsDeleted() {
    order("ORD-1", "C9", 200);
    waitEnds();
    assertThat(harness.read("order"))
        .singleElement()
        .satisfies(r -> assertThat(country(r)).isNull());

    address("c", 9, "C9", "B", "NL", 300);
    assertThat(harness.read("order"))
        .singleElement()
        .satisfies(r -> assertThat(country(r)).isEqualTo("NL"));

    address("d", 9, null, null, null, 400);
    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("order");
    assertThat(out).singleElement().satisfies(r -> assertThat(country(r)).isNull());
    assertThat(SourcePosition.readFrom(out.get(0).headers()).changeLsn()).isEqualTo(301);
  }

  @Test
  void positionsOfAnOrderStrictlyIncreaseWhenItsCustomersSnapshotArrivesLate() {
    order("ORD-1", "C1", 500);
    waitEnds(); // later than the wait: the order went out without its country
    address("r", 1, "C1", "B", "DE", 0);

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("order");
    assertThat(out).hasSize(2);
    SourcePosition first = SourcePosition.readFrom(out.get(0).headers());
    SourcePosition second = SourcePosition.readFrom(out.get(1).headers());
    assertThat(second.isNewerThan(first)).isTrue();
    assertThat(country(out.get(1))).isEqualTo("DE");
  }

  @Test
  void orderReadBeforeItsCustomersAddressIsWrittenOnceWithItsCountry() {
    order("ORD-1", "C1", 500);
    order("ORD-2", "C1", 510);
    address("c", 1, "C1", "B", "DE", 490); // within orders.yaml's wait: 2s
    waitEnds();

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("order");
    assertThat(out)
        .extracting(r -> ref(r) + "=" + country(r))
        .containsExactly("ORD-1=DE", "ORD-2=DE");
    assertThat(harness.read("order_line")).hasSize(2);
    assertThat(harness.metrics().joinWaitsEnded()).isZero();
  }

  @Test
  void joinKeepsItsRowsInStoresWithChangelogs() {
    address("c", 1, "C1", "B", "DE", 100);
    order("ORD-1", "C1", 200);
    assertThat(harness.read("order")).hasSize(1);

    assertThat(harness.driver().producedTopicNames())
        .anySatisfy(t -> assertThat(t).endsWith("orders-orders-rows-changelog"))
        .anySatisfy(t -> assertThat(t).endsWith("orders-orders-index-changelog"))
        .anySatisfy(t -> assertThat(t).endsWith("orders-orders-replica-changelog"))
        .anySatisfy(t -> assertThat(t).endsWith("orders-orders-broadcast-repartition"));
  }

  @Test
  void unchangedToastedBlobOfAJoinedOrderIsFilledBeforeTheJoin() {
    address("c", 1, "C1", "B", "DE", 100);
    order("ORD-1", "C1", 200);
    assertThat(harness.read("order")).hasSize(1);
    assertThat(harness.read("order_line")).hasSize(1);

    Map<String, Object> row = OrdersMappingTest.order("ORD-1", "P", ChangeEvent.UNAVAILABLE, "N");
    row.put("cust_no", "C1");
    row.put("ship_to", ChangeEvent.UNAVAILABLE);
    harness.send("orders", key("order_ref", "ORD-1"), Debezium.update("orders", row, 300));

    assertThat(harness.readDeadLetters()).isEmpty();
    List<TestRecord<GenericRecord, GenericRecord>> orders = harness.read("order");
    assertThat(orders).singleElement();
    GenericRecord order = orders.get(0).value();
    assertThat(order.get("status").toString()).isEqualTo("PAID");
    assertThat(order.get("line_count")).isEqualTo(1);
    assertThat(order.get("ship_city").toString()).isEqualTo("Berlin");
    assertThat(country(orders.get(0))).isEqualTo("DE");
    List<TestRecord<GenericRecord, GenericRecord>> lines = harness.read("order_line");
    assertThat(lines).singleElement().satisfies(l -> assertThat(l.value()).isNotNull());
    assertThat(lines.get(0).value().get("sku").toString()).isEqualTo("SKU-1");
    // The join's own tables keep the filled change, so a country change re-maps it in full.
    address("u", 1, "C1", "B", "AT", 400);
    assertThat(harness.read("order"))
        .singleElement()
        .satisfies(r -> assertThat(r.value().get("line_count")).isEqualTo(1));
    assertThat(harness.readDeadLetters()).isEmpty();
  }

  @Test
  void primaryKeyChangeWithUnchangedToastColumnsKeepsTheOrderUnderItsNewKey() {
    // Regression: the create of the new key of a primary-key update (header __debezium.oldkey)
    // carries the placeholder for its unchanged TOAST columns; the delete of the old key had
    // forgotten their values, so the order was deleted and its new key dead-lettered.
    address("c", 1, "C1", "B", "DE", 100);
    order("ORD-1", "C1", 200);
    assertThat(harness.read("order")).hasSize(1);
    harness.read("order_line");

    harness.send(
        "orders",
        key("order_ref", "ORD-1"),
        Debezium.delete("orders", row("order_ref", "ORD-1"), 300),
        "__debezium.newkey",
        key("order_ref", "ORD-2"));
    harness.send("orders", key("order_ref", "ORD-1"), null);
    Map<String, Object> moved = OrdersMappingTest.order("ORD-2", "P", ChangeEvent.UNAVAILABLE, "N");
    moved.put("cust_no", "C1");
    moved.put("ship_to", ChangeEvent.UNAVAILABLE);
    harness.send(
        "orders",
        key("order_ref", "ORD-2"),
        Debezium.create("orders", moved, 300),
        "__debezium.oldkey",
        key("order_ref", "ORD-1"));

    assertThat(harness.readDeadLetters()).isEmpty();
    List<TestRecord<GenericRecord, GenericRecord>> orders = harness.read("order");
    assertThat(orders).anySatisfy(r -> assertThat(r.value()).isNull());
    assertThat(orders)
        .filteredOn(r -> r.value() != null)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(ref(r)).isEqualTo("ORD-2");
              assertThat(r.value().get("line_count")).isEqualTo(1);
              assertThat(r.value().get("ship_city").toString()).isEqualTo("Berlin");
              assertThat(country(r)).isEqualTo("DE");
            });
    assertThat(harness.read("order_line"))
        .filteredOn(l -> l.value() != null)
        .singleElement()
        .satisfies(l -> assertThat(l.value().get("sku").toString()).isEqualTo("SKU-1"));
    // The values moved to the new key: its next placeholder is filled from them.
    Map<String, Object> again = OrdersMappingTest.order("ORD-2", "S", ChangeEvent.UNAVAILABLE, "N");
    again.put("cust_no", "C1");
    again.put("ship_to", ChangeEvent.UNAVAILABLE);
    harness.send("orders", key("order_ref", "ORD-2"), Debezium.update("orders", again, 400));
    assertThat(harness.readDeadLetters()).isEmpty();
    assertThat(harness.read("order"))
        .last()
        .satisfies(r -> assertThat(r.value().get("ship_city").toString()).isEqualTo("Berlin"));
  }

  @Test
  void primaryKeyChangeWhoseOldKeyIsNotInThisTaskIsDeadLetteredSayingSo() {
    Map<String, Object> moved = OrdersMappingTest.order("ORD-8", "P", ChangeEvent.UNAVAILABLE, "N");
    harness.send(
        "orders",
        key("order_ref", "ORD-8"),
        Debezium.create("orders", moved, 300),
        "__debezium.oldkey",
        key("order_ref", "ORD-7"));

    assertThat(harness.read("order")).isEmpty();
    assertThat(harness.readDeadLetters())
        .singleElement()
        .satisfies(
            d ->
                assertThat(Harness.header(d, CarveHeaders.DLQ_ERROR))
                    .contains(
                        "column 'lines_blob'", "ORD-8", "old key", "ORD-7", "not in this task"));
  }

  @Test
  void toastedBlobWithoutPreviousValueIsDeadLetteredNamingColumnAndKey() {
    Map<String, Object> row = OrdersMappingTest.order("ORD-9", "P", ChangeEvent.UNAVAILABLE, "N");
    harness.send("orders", key("order_ref", "ORD-9"), Debezium.update("orders", row, 300));

    assertThat(harness.read("order")).isEmpty();
    var dead = harness.readDeadLetters();
    assertThat(dead).singleElement();
    assertThat(Harness.header(dead.get(0), CarveHeaders.DLQ_ERROR))
        .contains("column 'lines_blob'", "unchanged TOASTed", "ORD-9", "REPLICA IDENTITY FULL");
  }

  @Test
  void joinIsNamedAfterTheServiceAndTheTable() {
    assertThat(harness.topology().describe().toString())
        .contains(
            "orders-source-orders",
            "orders-source-addresses",
            "orders-addresses-by-orders-repartition",
            "orders-orders-lookup",
            "orders-orders-broadcast-repartition",
            "orders-rejoin-orders",
            "orders-map-orders",
            "orders-orders-rows",
            "orders-orders-index",
            "orders-orders-replica",
            "orders-orders-waiting",
            "orders-sink-orders")
        .doesNotContain("KSTREAM-", "KTABLE-", "fk-subscription");
  }

  @Test
  void unknownJoinStrategyIsReportedWithLineAndAllowedValues() {
    String message =
        loadError(
            """
                join: {table: addresses, on: {cust_no: cust_no}, as: customer, strategy: hash}
                fields:
                  order_id: {column: order_ref, allocate: order}
            """);
    assertThat(message).contains("join.yaml", "line 6", "unknown join strategy 'hash'", "ktable");
  }

  @Test
  void joinWaitIsADurationOnTheBroadcastStrategyOnly() {
    assertThat(
            loadError(
                """
                    join: {table: addresses, on: {cust_no: cust_no}, as: customer, wait: soon}
                    fields:
                      order_id: {column: order_ref, allocate: order}
                """))
        .contains(
            "join.yaml",
            "line 6",
            "key 'entities.order.join.wait'",
            "expected a duration",
            "2s",
            "'soon'");
    assertThat(
            loadError(
                """
                    join: {table: addresses, on: {cust_no: cust_no}, as: customer, wait: 1s,
                           strategy: ktable}
                    fields:
                      order_id: {column: order_ref, allocate: order}
                """))
        .contains("line 6", "'wait' applies to strategy broadcast only");
  }

  @Test
  void catchUpWaitIsADurationNoShorterThanTheWaitOnTheBroadcastStrategy() {
    assertThat(
            loadError(
                """
                    join: {table: addresses, on: {cust_no: cust_no}, as: customer, wait: 2s,
                           catch-up-wait: later}
                    fields:
                      order_id: {column: order_ref, allocate: order}
                """))
        .contains("key 'entities.order.join.catch-up-wait'", "expected a duration", "'later'");
    assertThat(
            loadError(
                """
                    join: {table: addresses, on: {cust_no: cust_no}, as: customer, wait: 2s,
                           catch-up-wait: 1s}
                    fields:
                      order_id: {column: order_ref, allocate: order}
                """))
        .contains("'catch-up-wait' (1s)", "cannot be shorter than it (2s)");
    assertThat(
            loadError(
                """
                    join: {table: addresses, on: {cust_no: cust_no}, as: customer,
                           catch-up-wait: 1m}
                    fields:
                      order_id: {column: order_ref, allocate: order}
                """))
        .contains("it needs a 'wait'");
    assertThat(
            loadError(
                """
                    join: {table: addresses, on: {cust_no: cust_no}, as: customer,
                           strategy: ktable, catch-up-wait: 1m}
                    fields:
                      order_id: {column: order_ref, allocate: order}
                """))
        .contains("'catch-up-wait' applies to strategy broadcast only");
  }

  private static String loadError(String entityLines) {
    ConfigException e =
        (ConfigException)
            catchThrowable(
                () ->
                    MappingLoader.parse(
                        """
                        service: orders
                        entities:
                          order:
                            table: orders
                            key: [order_id]
                        """
                            + entityLines,
                        "join.yaml",
                        SCHEMAS));
    assertThat(e).isNotNull();
    return e.getMessage();
  }

  @Test
  void joinWithoutOnAndWithAnUnknownKeyIsReportedWithLineAndKey() {
    String message =
        loadError(
            """
                join: {table: addresses, as: customer, using: cust_no}
                fields:
                  order_id: {column: order_ref, allocate: order}
            """);
    assertThat(message)
        .contains("join.yaml")
        .contains("line 6: key 'entities.order.join.using': unknown key; allowed here: table, on,")
        .contains("key 'entities.order.join': missing required key 'on'");
  }

  @Test
  void columnOfAnUnknownAliasIsReportedWithLineAndKey() {
    String message =
        loadError(
            """
                join: {table: addresses, on: {cust_no: cust_no}, as: customer}
                fields:
                  order_id: {column: order_ref, allocate: order}
                  customer_country: {column: client.country_code}
            """);
    assertThat(message)
        .contains(
            "line 9: key 'entities.order.fields.customer_country': column 'client.country_code'"
                + " reads 'client', which is not the alias of this entity's join ('customer')");
  }

  @Test
  void entitiesOfOneTableWithDifferentJoinsAreReportedAtLoad() {
    String message =
        loadError(
            """
                join: {table: addresses, on: {cust_no: cust_no}, as: customer}
                fields:
                  order_id: {column: order_ref, allocate: order}
              order_line:
                table: orders
                key: [order_id, line_no]
                join: {table: customers, on: {cust_no: cust_no}, as: customer}
                fields:
                  order_id: {column: order_ref, allocate: order}
            """);
    assertThat(message)
        .contains(
            "line 12: key 'entities.order_line.join': table 'orders' is already joined differently"
                + " by another entity (table addresses on {cust_no=cust_no} as customer)");
  }
}
