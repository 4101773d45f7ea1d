package dev.carve.transform.mapping;

import static dev.carve.transform.testing.Debezium.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.CarveHeaders;
import dev.carve.core.SourcePosition;
import dev.carve.core.error.OnError;
import dev.carve.transform.api.LegacyKeys;
import dev.carve.transform.testing.Debezium;
import dev.carve.transform.testing.Harness;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OrdersMappingTest {
  private static final String TWO_LINES =
      "[{\"sku\":\"SKU-00042\",\"qty\":2,\"unit_price\":\"12.50\"},"
          + "{\"sku\":\"SKU-00007\",\"qty\":1,\"unit_price\":\"5.00\"}]";
  private Harness harness;

  @BeforeEach
  void start() {
    harness = new Harness(MappingLoader.load(Harness.topologyFile("orders")), OnError.DEAD_LETTER);
    billingAddress(harness);
  }

  /**
   * The billing address of the orders' customer, so orders are joined at once (orders.yaml lets an
   * order wait for an address that has not reached the join; see OrdersJoinMappingTest).
   */
  static void billingAddress(Harness harness) {
    harness.send(
        "addresses",
        key("addr_id", 42),
        Debezium.read(
            "addresses",
            Debezium.row(
                "addr_id", 42, "cust_no", "C00000042", "addr_type", "B", "country_code", "DE")));
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  static Map<String, Object> order(String ref, String status, String blob, String deleted) {
    return Debezium.row(
        "order_ref",
        ref,
        "cust_no",
        "C00000042",
        "order_date",
        "2019-03-21 14:05:09",
        "status",
        status,
        "total_amount",
        "30.00",
        "currency",
        "EUR",
        "lines_blob",
        blob,
        "ship_to",
        "Anna Schmidt|Hauptstr. 1|Berlin|10115|de",
        "deleted_flag",
        deleted,
        "updated_at",
        1_700_000_000_000_000L);
  }

  private void send(String op, Map<String, Object> row, long lsn) {
    harness.send(
        "orders",
        key("order_ref", row.get("order_ref")),
        Debezium.envelope("orders", op, null, row, lsn, false));
  }

  @Test
  void orderRowIsReshapedIntoTheOrderSchema() {
    send("r", order("ORD-2019-00042", "P", TWO_LINES, "N"), 0);

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("order");
    assertThat(out).hasSize(1);
    GenericRecord o = out.get(0).value();
    long orderId = LegacyKeys.allocate("order", "ORD-2019-00042");
    assertThat(out.get(0).key().get("order_id")).isEqualTo(orderId);
    assertThat(o.get("order_id")).isEqualTo(orderId);
    assertThat(o.get("order_ref").toString()).isEqualTo("ORD-2019-00042");
    assertThat(o.get("customer_id")).isEqualTo(LegacyKeys.allocate("customer", "C00000042"));
    assertThat(o.get("ordered_at"))
        .isEqualTo(
            ChronoUnit.MICROS.between(
                java.time.Instant.EPOCH,
                LocalDateTime.of(2019, 3, 21, 14, 5, 9).toInstant(ZoneOffset.UTC)));
    assertThat(o.get("status").toString()).isEqualTo("PAID");
    ByteBuffer total = (ByteBuffer) o.get("total");
    byte[] unscaled = new byte[total.remaining()];
    total.duplicate().get(unscaled);
    assertThat(new BigDecimal(new java.math.BigInteger(unscaled), 2))
        .isEqualTo(new BigDecimal("30.00"));
    assertThat(o.get("total_cents")).isEqualTo(3000L);
    assertThat(o.get("currency").toString()).isEqualTo("EUR");
    assertThat(o.get("ship_name").toString()).isEqualTo("Anna Schmidt");
    assertThat(o.get("ship_line1").toString()).isEqualTo("Hauptstr. 1");
    assertThat(o.get("ship_city").toString()).isEqualTo("Berlin");
    assertThat(o.get("ship_postal_code").toString()).isEqualTo("10115");
    assertThat(o.get("ship_country").toString()).isEqualTo("DE");
    assertThat(o.get("line_count")).isEqualTo(2);
    assertThat(SourcePosition.readFrom(out.get(0).headers())).isEqualTo(SourcePosition.SNAPSHOT);
  }

  @Test
  void customerIdOfAnOrderEqualsTheCustomersServiceKey() {
    send("c", order("ORD-1", "N", "[]", "N"), 100);
    try (Harness customers =
        new Harness(MappingLoader.load(Harness.topologyFile("customers")), OnError.DEAD_LETTER)) {
      customers.send(
          "customers",
          key("cust_no", "C00000042"),
          Debezium.create(
              "customers", CustomersMappingTest.customer("C00000042", "A", "N", null), 100));
      assertThat(harness.read("order").get(0).value().get("customer_id"))
          .isEqualTo(customers.read("customer").get(0).key().get("customer_id"));
    }
  }

  @Test
  void linesAreExplodedWithThePositionOfTheirChange() {
    send("c", order("ORD-2", "N", TWO_LINES, "N"), 700);

    List<TestRecord<GenericRecord, GenericRecord>> lines = harness.read("order_line");
    assertThat(lines).hasSize(2);
    long orderId = LegacyKeys.allocate("order", "ORD-2");
    assertThat(lines.get(0).key().get("order_id")).isEqualTo(orderId);
    assertThat(lines.get(0).key().get("line_no")).isEqualTo(1);
    assertThat(lines.get(0).value().get("sku").toString()).isEqualTo("SKU-00042");
    assertThat(lines.get(0).value().get("quantity")).isEqualTo(2);
    assertThat(lines.get(0).value().get("unit_price_cents")).isEqualTo(1250L);
    assertThat(lines.get(1).key().get("line_no")).isEqualTo(2);
    assertThat(lines.get(1).value().get("unit_price_cents")).isEqualTo(500L);
    assertThat(SourcePosition.readFrom(lines.get(1).headers()).changeLsn()).isEqualTo(700);
  }

  @Test
  void linesThatDisappearFromTheBlobAreDeleted() {
    send("c", order("ORD-3", "N", TWO_LINES, "N"), 700);
    harness.read("order_line");
    send(
        "u",
        order("ORD-3", "P", "[{\"sku\":\"SKU-1\",\"qty\":5,\"unit_price\":\"1.00\"}]", "N"),
        710);

    List<TestRecord<GenericRecord, GenericRecord>> lines = harness.read("order_line");
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).key().get("line_no")).isEqualTo(1);
    assertThat(lines.get(0).value().get("sku").toString()).isEqualTo("SKU-1");
    assertThat(lines.get(1).key().get("line_no")).isEqualTo(2);
    assertThat(lines.get(1).value()).isNull();
    assertThat(harness.read("order").get(1).value().get("line_count")).isEqualTo(1);
  }

  @Test
  void deletedOrderDeletesItsLines() {
    send("c", order("ORD-4", "N", TWO_LINES, "N"), 700);
    harness.read("order_line");
    harness.send(
        "orders",
        key("order_ref", "ORD-4"),
        Debezium.delete("orders", Debezium.row("order_ref", "ORD-4"), 720));

    List<TestRecord<GenericRecord, GenericRecord>> lines = harness.read("order_line");
    assertThat(lines).extracting(r -> r.key().get("line_no")).containsExactly(1, 2);
    assertThat(lines).allSatisfy(r -> assertThat(r.value()).isNull());
    List<TestRecord<GenericRecord, GenericRecord>> orders = harness.read("order");
    assertThat(orders.get(orders.size() - 1).value()).isNull();
  }

  @Test
  void softDeletedOrderDeletesTheOrderAndItsLines() {
    send("c", order("ORD-5", "N", TWO_LINES, "N"), 700);
    harness.read("order_line");
    harness.read("order");
    send("u", order("ORD-5", "X", TWO_LINES, "Y"), 730);

    assertThat(harness.read("order"))
        .singleElement()
        .satisfies(r -> assertThat(r.value()).isNull());
    assertThat(harness.read("order_line"))
        .hasSize(2)
        .allSatisfy(r -> assertThat(r.value()).isNull());
  }

  @Test
  void blobNumbersAreReadExactlyNotRoundedToDouble() {
    // Regression: the blob was read with a plain ObjectMapper, so 19.999999999999999 became the
    // double 20.0 (2000 cents) and 0.1000000000000000001 became 0.1 (10 cents), silently.
    send("c", order("ORD-20", "N", "[{\"sku\":\"S\",\"qty\":1,\"unit_price\":19.50}]", "N"), 700);
    send(
        "c",
        order("ORD-21", "N", "[{\"sku\":\"S\",\"qty\":1,\"unit_price\":19.999999999999999}]", "N"),
        710);
    send(
        "c",
        order(
            "ORD-22", "N", "[{\"sku\":\"S\",\"qty\":1,\"unit_price\":0.1000000000000000001}]", "N"),
        720);
    send(
        "c",
        order(
            "ORD-23", "N", "[{\"sku\":\"S\",\"qty\":2.0000000000000000001,\"unit_price\":1}]", "N"),
        730);

    assertThat(harness.read("order_line"))
        .singleElement()
        .satisfies(r -> assertThat(r.value().get("unit_price_cents")).isEqualTo(1950L));
    var dead = harness.readDeadLetters();
    assertThat(dead).hasSize(3);
    assertThat(Harness.header(dead.get(0), CarveHeaders.DLQ_ERROR))
        .contains("field 'unit_price_cents'", "unit_price", "19.999999999999999", "ORD-21");
    assertThat(Harness.header(dead.get(1), CarveHeaders.DLQ_ERROR))
        .contains("field 'unit_price_cents'", "unit_price", "0.1000000000000000001", "ORD-22");
    assertThat(Harness.header(dead.get(2), CarveHeaders.DLQ_ERROR))
        .contains("field 'quantity'", "qty", "2.0000000000000000001", "ORD-23");
  }

  @Test
  void malformedBlobDeadLettersTheWholeChangeNamingTheColumn() {
    send("c", order("ORD-6", "N", "[{\"sku\":", "N"), 740);

    assertThat(harness.read("order")).isEmpty();
    assertThat(harness.read("order_line")).isEmpty();
    var dead = harness.readDeadLetters();
    assertThat(dead).hasSize(1);
    assertThat(Harness.header(dead.get(0), CarveHeaders.DLQ_ERROR))
        .contains("lines_blob", "not valid JSON", "ORD-6");
  }

  @Test
  void unknownOrderStatusIsNeverDefaulted() {
    send("c", order("ORD-7", "Z", "[]", "N"), 750);

    assertThat(harness.read("order")).isEmpty();
    assertThat(Harness.header(harness.readDeadLetters().get(0), CarveHeaders.DLQ_ERROR))
        .contains("unknown code 'Z'", "order_status");
  }

  @Test
  void onErrorFailStopsAtTheBadChange() {
    try (Harness failing =
        new Harness(MappingLoader.load(Harness.topologyFile("orders")), OnError.FAIL)) {
      billingAddress(failing);
      assertThatThrownBy(
              () ->
                  failing.send(
                      "orders",
                      key("order_ref", "ORD-8"),
                      Debezium.create("orders", order("ORD-8", "Z", "[]", "N"), 760)))
          .hasStackTraceContaining("unknown code 'Z'")
          .hasStackTraceContaining("on-error: fail");
      assertThat(failing.readDeadLetters()).isEmpty();
    }
  }

  @Test
  void newSourceColumnIsIgnoredByTheMapping() {
    Map<String, Object> row = new java.util.LinkedHashMap<>(order("ORD-9", "N", "[]", "N"));
    send("c", row, 800);
    row.put("loyalty_points", 120L);
    send("u", row, 810);

    assertThat(harness.read("order")).hasSize(2);
    assertThat(harness.readDeadLetters()).isEmpty();
  }

  @Test
  void usedColumnMissingFromTheSourceIsDeadLetteredNamingIt() {
    Map<String, Object> row = new java.util.LinkedHashMap<>(order("ORD-10", "N", "[]", "N"));
    row.remove("currency");
    send("c", row, 820);

    assertThat(harness.read("order")).isEmpty();
    assertThat(Harness.header(harness.readDeadLetters().get(0), CarveHeaders.DLQ_ERROR))
        .contains("field 'currency'", "column 'currency' is missing from table 'orders'");
  }

  @Test
  void usedColumnOfAnotherTypeIsDeadLetteredNamingIt() {
    Map<String, Object> row = new java.util.LinkedHashMap<>(order("ORD-11", "N", "[]", "N"));
    row.put("total_amount", true);
    send("c", row, 830);

    assertThat(harness.read("order")).isEmpty();
    assertThat(Harness.header(harness.readDeadLetters().get(0), CarveHeaders.DLQ_ERROR))
        .contains("field 'total'", "column 'total_amount'", "'true'");
  }

  @Test
  void emptyPartsOfTheDelimitedAddressIncludingTrailingOnesBecomeNull() {
    Map<String, Object> row = new java.util.LinkedHashMap<>(order("ORD-12", "N", "[]", "N"));
    row.put("ship_to", "Anna Schmidt||Berlin| |");
    send("c", row, 840);

    GenericRecord o = harness.read("order").get(0).value();
    assertThat(o.get("ship_name")).hasToString("Anna Schmidt");
    assertThat(o.get("ship_line1")).isNull();
    assertThat(o.get("ship_city")).hasToString("Berlin");
    assertThat(o.get("ship_postal_code")).isNull();
    assertThat(o.get("ship_country")).isNull();
  }

  @Test
  void delimitedAddressWithTooFewPartsIsDeadLetteredNamingThePart() {
    Map<String, Object> row = new java.util.LinkedHashMap<>(order("ORD-13", "N", "[]", "N"));
    row.put("ship_to", "Anna Schmidt|Hauptstr. 1|Berlin");
    send("c", row, 850);

    assertThat(harness.read("order")).isEmpty();
    assertThat(Harness.header(harness.readDeadLetters().get(0), CarveHeaders.DLQ_ERROR))
        .contains(
            "field 'ship_postal_code'",
            "'Anna Schmidt|Hauptstr. 1|Berlin' has 3 part(s) separated by '|'; part 4 is missing");
  }
}
