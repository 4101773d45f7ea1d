package dev.carve.transform.demo;

import static dev.carve.transform.testing.Debezium.key;
import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.core.CarveHeaders;
import dev.carve.core.SourcePosition;
import dev.carve.core.error.OnError;
import dev.carve.transform.api.LegacyKeys;
import dev.carve.transform.mapping.MappingLoader;
import dev.carve.transform.testing.Debezium;
import dev.carve.transform.testing.Harness;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BillingTopologyTest {
  private Harness harness;

  @BeforeEach
  void start() {
    harness = new Harness(new BillingTopology(), OnError.DEAD_LETTER);
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  static Map<String, Object> order(String ref, String status, String total, String currency) {
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
        total,
        "currency",
        currency,
        "lines_blob",
        "[]",
        "ship_to",
        null,
        "deleted_flag",
        "N",
        "updated_at",
        1L);
  }

  private void sendOrder(Map<String, Object> row, long lsn) {
    harness.send(
        "orders", key("order_ref", row.get("order_ref")), Debezium.update("orders", row, lsn));
  }

  private void sendPayment(long id, String ref, String amount, String status, long lsn) {
    harness.send(
        "payments",
        key("payment_id", id),
        Debezium.create(
            "payments",
            Debezium.row(
                "payment_id", id,
                "order_ref", ref,
                "amount", amount,
                "currency", "EUR",
                "method", "CC",
                "paid_at", 1L,
                "status", status),
            lsn));
  }

  private GenericRecord last() {
    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("invoice");
    assertThat(out).isNotEmpty();
    return out.get(out.size() - 1).value();
  }

  @Test
  void invoiceComputesVatAndFollowsPayments() {
    sendOrder(order("ORD-1", "N", "120.00", "EUR"), 100);
    GenericRecord open = last();
    assertThat(open.get("invoice_id")).isEqualTo(LegacyKeys.allocate("order", "ORD-1"));
    assertThat(open.get("customer_id")).isEqualTo(LegacyKeys.allocate("customer", "C00000042"));
    assertThat(open.get("gross_cents")).isEqualTo(12000L);
    assertThat(open.get("vat_rate_bp")).isEqualTo(2000);
    assertThat(open.get("net_cents")).isEqualTo(10000L);
    assertThat(open.get("vat_cents")).isEqualTo(2000L);
    assertThat(open.get("status").toString()).isEqualTo("OPEN");

    sendPayment(1, "ORD-1", "50.00", "A", 110);
    assertThat(last().get("status").toString()).isEqualTo("PARTIALLY_PAID");
    sendPayment(2, "ORD-1", "70.00", "A", 120);
    GenericRecord paid = last();
    assertThat(paid.get("paid_cents")).isEqualTo(12000L);
    assertThat(paid.get("status").toString()).isEqualTo("PAID");
    sendPayment(3, "ORD-1", "70.00", "R", 130);
    assertThat(last().get("paid_cents")).isEqualTo(5000L);
  }

  @Test
  void droppedDeletedFlagColumnIsDeadLetteredNamingItNotTakenAsNotDeleted() {
    // Regression: "Y".equals(row.get("deleted_flag")) read a dropped column as "not deleted", so a
    // soft-deleted order kept its invoice silently.
    sendOrder(order("ORD-7", "N", "120.00", "EUR"), 100);
    assertThat(harness.read("invoice")).hasSize(1);
    Map<String, Object> drifted = order("ORD-7", "N", "120.00", "EUR");
    drifted.remove("deleted_flag");
    sendOrder(drifted, 110);

    assertThat(harness.read("invoice")).isEmpty();
    assertThat(harness.readDeadLetters())
        .singleElement()
        .satisfies(
            d ->
                assertThat(Harness.header(d, CarveHeaders.DLQ_ERROR))
                    .contains("column 'deleted_flag'", "missing", "table 'orders'"));
    // A null flag is a row that is not deleted.
    Map<String, Object> unset = order("ORD-7", "P", "120.00", "EUR");
    unset.put("deleted_flag", null);
    sendOrder(unset, 120);
    assertThat(last().get("status").toString()).isEqualTo("OPEN");
  }

  @Test
  void netIsRoundedHalfUp() {
    sendOrder(order("ORD-2", "N", "10.01", "GBP"), 100);
    GenericRecord invoice = last();
    // 1001 * 10000 / 12000 = 834.166.. -> 834
    assertThat(invoice.get("net_cents")).isEqualTo(834L);
    assertThat(invoice.get("vat_cents")).isEqualTo(167L);
  }

  @Test
  void paymentBeforeItsOrderIsCountedWhenTheOrderArrives() {
    sendPayment(5, "ORD-3", "10.00", "A", 100);
    assertThat(harness.read("invoice")).isEmpty();
    sendOrder(order("ORD-3", "P", "10.00", "EUR"), 110);
    assertThat(last().get("status").toString()).isEqualTo("PAID");
  }

  @Test
  void deletedPaymentIsFoundThroughItsLinkAndNoLongerCounts() {
    sendOrder(order("ORD-4", "N", "10.00", "EUR"), 100);
    sendPayment(6, "ORD-4", "10.00", "A", 110);
    harness.read("invoice");
    harness.send(
        "payments",
        key("payment_id", 6),
        Debezium.delete("payments", Debezium.row("payment_id", 6), 120));
    harness.send("payments", key("payment_id", 6), null);

    GenericRecord invoice = last();
    assertThat(invoice.get("paid_cents")).isEqualTo(0L);
    assertThat(invoice.get("status").toString()).isEqualTo("OPEN");
    assertThat(harness.readDeadLetters()).isEmpty();
  }

  private void updatePayment(long id, String ref, String amount, long lsn) {
    harness.send(
        "payments",
        key("payment_id", id),
        Debezium.update(
            "payments",
            Debezium.row(
                "payment_id",
                id,
                "order_ref",
                ref,
                "amount",
                amount,
                "currency",
                "EUR",
                "method",
                "CC",
                "paid_at",
                1L,
                "status",
                "A"),
            lsn));
  }

  private GenericRecord lastOf(String orderRef) {
    long id = LegacyKeys.allocate("order", orderRef);
    List<TestRecord<GenericRecord, GenericRecord>> out =
        harness.read("invoice").stream().filter(r -> r.key().get("invoice_id").equals(id)).toList();
    assertThat(out).as("invoices of %s", orderRef).isNotEmpty();
    return out.get(out.size() - 1).value();
  }

  @Test
  void paymentMovedToAnotherOrderIsDetachedFromTheOldOne() {
    // Regression: the link was overwritten and the change went to the new order only, so order A
    // kept counting the payment (PAID) while order B counted it too.
    sendOrder(order("ORD-A", "N", "10.00", "EUR"), 100);
    sendOrder(order("ORD-B", "N", "10.00", "EUR"), 110);
    sendPayment(7, "ORD-A", "10.00", "A", 120);
    assertThat(lastOf("ORD-A").get("status").toString()).isEqualTo("PAID");

    updatePayment(7, "ORD-B", "10.00", 130);
    List<TestRecord<GenericRecord, GenericRecord>> moved = harness.read("invoice");
    GenericRecord a = invoiceOf(moved, "ORD-A");
    assertThat(a.get("paid_cents")).isEqualTo(0L);
    assertThat(a.get("status").toString()).isEqualTo("OPEN");
    GenericRecord b = invoiceOf(moved, "ORD-B");
    assertThat(b.get("paid_cents")).isEqualTo(1000L);
    assertThat(b.get("status").toString()).isEqualTo("PAID");

    harness.send(
        "payments",
        key("payment_id", 7),
        Debezium.delete("payments", Debezium.row("payment_id", 7), 140));
    List<TestRecord<GenericRecord, GenericRecord>> deleted = harness.read("invoice");
    assertThat(deleted).hasSize(1);
    assertThat(deleted.get(0).key().get("invoice_id"))
        .isEqualTo(LegacyKeys.allocate("order", "ORD-B"));
    assertThat(deleted.get(0).value().get("paid_cents")).isEqualTo(0L);
    assertThat(deleted.get(0).value().get("status").toString()).isEqualTo("OPEN");
    assertThat(harness.readDeadLetters()).isEmpty();
  }

  @Test
  void paymentMovedToNoOrderIsDetachedAndDeadLettered() {
    sendOrder(order("ORD-C", "N", "10.00", "EUR"), 100);
    sendPayment(8, "ORD-C", "10.00", "A", 110);
    harness.read("invoice");

    updatePayment(8, null, "10.00", 120);
    GenericRecord c = last();
    assertThat(c.get("paid_cents")).isEqualTo(0L);
    assertThat(c.get("status").toString()).isEqualTo("OPEN");
    assertThat(harness.readDeadLetters())
        .singleElement()
        .satisfies(
            d -> assertThat(Harness.header(d, CarveHeaders.DLQ_ERROR)).contains("belongs to no"));
  }

  private static GenericRecord invoiceOf(
      List<TestRecord<GenericRecord, GenericRecord>> out, String orderRef) {
    long id = LegacyKeys.allocate("order", orderRef);
    List<GenericRecord> of =
        out.stream()
            .filter(r -> r.key().get("invoice_id").equals(id))
            .map(TestRecord::value)
            .toList();
    assertThat(of).as("invoices of %s", orderRef).hasSize(1);
    return of.get(0);
  }

  @Test
  void cancelledOrderVoidsAndDeletedOrderDeletesTheInvoice() {
    sendOrder(order("ORD-5", "X", "10.00", "USD"), 100);
    GenericRecord invoice = last();
    assertThat(invoice.get("status").toString()).isEqualTo("VOID");
    assertThat(invoice.get("vat_rate_bp")).isEqualTo(0);
    harness.send(
        "orders",
        key("order_ref", "ORD-5"),
        Debezium.delete("orders", Debezium.row("order_ref", "ORD-5"), 110));
    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("invoice");
    assertThat(out).singleElement().satisfies(r -> assertThat(r.value()).isNull());
  }

  @Test
  void invoiceCarriesTheNewestPositionOfItsSources() {
    sendOrder(order("ORD-6", "N", "10.00", "EUR"), 500);
    sendPayment(7, "ORD-6", "1.00", "A", 300);
    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("invoice");
    SourcePosition first = SourcePosition.readFrom(out.get(0).headers());
    SourcePosition second = SourcePosition.readFrom(out.get(1).headers());
    assertThat(first.changeLsn()).isEqualTo(500);
    // Regression: the second invoice (with the late, older payment) tied with the first and the
    // sink's guard kept the first, without the payment. It must be strictly newer.
    assertThat(second.isNewerThan(first)).isTrue();
    assertThat(second.changeLsn()).isEqualTo(501);
    assertThat(out.get(1).value().get("paid_cents")).isEqualTo(100L);
  }

  @Test
  void unknownCurrencyIsDeadLetteredNamingTheColumn() {
    sendOrder(order("ORD-7", "N", "10.00", "CHF"), 100);
    assertThat(harness.read("invoice")).isEmpty();
    assertThat(Harness.header(harness.readDeadLetters().get(0), CarveHeaders.DLQ_ERROR))
        .contains("no VAT rate for currency 'CHF'", "column 'currency'");
  }

  @Test
  void paymentOfNoKnownOrderIsDeadLetteredWithItsOriginalKeyAndTopic() {
    harness.send(
        "payments",
        key("payment_id", 9),
        Debezium.delete("payments", Debezium.row("payment_id", 9), 100));

    var dead = harness.readDeadLetters();
    assertThat(dead).hasSize(1);
    assertThat(new String(dead.get(0).key(), StandardCharsets.UTF_8))
        .isEqualTo(key("payment_id", 9));
    assertThat(Harness.header(dead.get(0), CarveHeaders.DLQ_TOPIC))
        .isEqualTo("legacy.public.payments");
    assertThat(Harness.header(dead.get(0), CarveHeaders.DLQ_ERROR)).contains("belongs to no");
    assertThat(dead.get(0).headers().toArray())
        .noneMatch(h -> h.key().startsWith("carve.internal"));
  }

  @Test
  void oneOrdersChangeFeedsBothTheOrdersAndTheBillingService() {
    try (Harness orders =
        new Harness(MappingLoader.load(Harness.topologyFile("orders")), OnError.DEAD_LETTER)) {
      String raw = Debezium.update("orders", order("ORD-8", "N", "10.00", "EUR"), 100);
      orders.send("orders", key("order_ref", "ORD-8"), raw);
      // No address: the order waits out orders.yaml's join wait (2 s; with no address arriving at
      // all, 12 s, a tenth of its catch-up wait), then goes out without a country.
      orders.driver().advanceWallClockTime(java.time.Duration.ofSeconds(13));
      harness.send("orders", key("order_ref", "ORD-8"), raw);
      assertThat(orders.read("order").get(0).key().get("order_id"))
          .isEqualTo(harness.read("invoice").get(0).key().get("invoice_id"));
    }
  }

  @Test
  void joinIsNamedAfterTheService() {
    assertThat(harness.topology().describe().toString())
        .contains(
            "billing-source-orders",
            "billing-source-payments",
            "billing-rekey-payments",
            "billing-payments-by-invoice",
            "billing-map-invoice",
            "billing-invoice-state",
            "billing-payments-link");
  }
}
