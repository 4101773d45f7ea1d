package dev.carve.transform.demo;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.core.SourcePosition;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.DomainRecord;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.api.LegacyKeys;
import dev.carve.transform.api.MappingException;
import dev.carve.transform.api.MappingScope;
import dev.carve.transform.api.Output;
import dev.carve.transform.api.TableMapper;
import dev.carve.transform.api.Topic;
import dev.carve.transform.api.TopologyContext;
import dev.carve.transform.mapping.SchemaResolver;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.StreamsBuilder;

/**
 * The {@code billing} service, written in Java against the topology API: one invoice per order
 * ({@code billing.invoice}), built from the legacy {@code orders} table joined with its {@code
 * payments} (a foreign-key join on {@code payments.order_ref}, named {@code billing-...-invoice}).
 *
 * <ul>
 *   <li>{@code invoice_id} = the new order id ({@code LegacyKeys.allocate("order", order_ref)}),
 *       {@code customer_id} = the new customer id, as in the orders and customers services.
 *   <li>{@code gross_cents} = the order total; {@code vat_rate_bp} from {@link #VAT_RATE_BP} by the
 *       order currency (an unknown currency is an error, never a default rate); {@code net_cents} =
 *       round(gross * 10000 / (10000 + rate)) half up; {@code vat_cents} = gross - net.
 *   <li>{@code paid_cents} = accepted payments (status A) minus refunds (status R) of the order. A
 *       payment in another currency than its order is an error.
 *   <li>{@code status}: VOID for cancelled orders (status X), else PAID when paid &ge; gross,
 *       PARTIALLY_PAID when something was paid, else OPEN.
 *   <li>A deleted or soft-deleted order deletes its invoice. Payments of an order not seen yet are
 *       kept and counted when the order arrives.
 *   <li>The invoice's position is the position of the change that triggered it, or, when that is
 *       not newer than the last invoice emitted for the key, that invoice's position plus one
 *       change LSN (the rule of every join, {@link TopologyContext#joinTables}), so the more
 *       complete invoice wins at the sink.
 * </ul>
 */
public final class BillingTopology implements DomainTopology {
  /** VAT rate in basis points by currency (documented in the module README). */
  public static final Map<String, Integer> VAT_RATE_BP = Map.of("EUR", 2000, "GBP", 2000, "USD", 0);

  // The state keeps payments by payment id, one field name each: not canonicalized (nor interned).
  private static final ObjectMapper JSON =
      new ObjectMapper(
          JsonFactory.builder().disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).build());
  private static final String STATE = "invoice-state";
  private static final String PAYMENT_ORDER = "invoice-payment-order";
  private static final Set<String> ORDER_STATUSES = Set.of("N", "P", "S", "D", "X");

  private final SchemaResolver schemas;

  /** Finds the schemas on the classpath or in {@code schemas/} or {@code ../schemas/}. */
  public BillingTopology() {
    this(
        SchemaResolver.classpathThenDirectories(
            List.of(Path.of("schemas"), Path.of("../schemas"))));
  }

  /** Finds the schemas with {@code schemas}. */
  public BillingTopology(SchemaResolver schemas) {
    this.schemas = Objects.requireNonNull(schemas, "schemas");
  }

  @Override
  public String service() {
    return "billing";
  }

  @Override
  public void define(StreamsBuilder builder, TopologyContext ctx) {
    Schema keySchema = schema("InvoiceKey");
    Schema valueSchema = schema("Invoice");
    Topic<GenericRecord, GenericRecord> invoice = ctx.domainTopic("invoice");
    ctx.joinTables(
        builder,
        "invoice",
        "orders",
        Map.of(
            "payments",
            change -> {
              Object ref = change.after().get("order_ref");
              return ref == null ? null : Map.of("order_ref", ref);
            }),
        new InvoiceMapper(invoice, keySchema, valueSchema));
  }

  private Schema schema(String name) {
    Schema schema = schemas.find("billing", name);
    if (schema == null) {
      throw new IllegalStateException(
          "Avro schema billing/"
              + name
              + ".avsc not found on the classpath (avro/billing/) or in"
              + " schemas/billing/");
    }
    return schema;
  }

  private record InvoiceMapper(
      Topic<GenericRecord, GenericRecord> topic, Schema keySchema, Schema valueSchema)
      implements TableMapper {

    @Override
    public Set<String> stores() {
      return Set.of(STATE, PAYMENT_ORDER);
    }

    @Override
    public List<Output<?, ?>> map(ChangeEvent change, MappingScope scope) {
      String orderRef;
      if (change.table().equals("orders")) {
        orderRef = text(change.row(), "order_ref", change.table());
      } else {
        String paymentId = String.valueOf(change.key().get("payment_id"));
        orderRef =
            change.isDelete()
                ? scope.get(PAYMENT_ORDER, paymentId)
                : text(change.row(), "order_ref", change.table());
        if (orderRef == null) {
          throw new MappingException("payment " + paymentId + " belongs to no known order");
        }
      }
      ObjectNode state = read(scope.get(STATE, orderRef));
      // The join makes the positions of one invoice key strictly increasing (joinTables), so an
      // invoice triggered by an older change (a payment's snapshot row reaching the join after a
      // streamed update of its order) still wins over the previous one at the sink.
      SourcePosition position = change.position();
      if (change.table().equals("orders")) {
        applyOrder(change, state);
      } else {
        applyPayment(change, scope, state, orderRef);
      }
      scope.put(STATE, orderRef, state.toString());
      GenericRecord key = new GenericData.Record(keySchema);
      key.put("invoice_id", LegacyKeys.allocate("order", orderRef));
      if (!state.hasNonNull("order")) {
        return change.table().equals("orders")
            ? List.of(Output.to(topic, DomainRecord.delete(key, position)))
            : List.of();
      }
      return List.of(
          Output.to(topic, DomainRecord.upsert(key, invoice(state, orderRef), position)));
    }

    private static void applyOrder(ChangeEvent change, ObjectNode state) {
      Map<String, Object> row = change.row();
      // Checked: a dropped deleted_flag is schema drift, not "not deleted".
      if (change.isDelete() || "Y".equals(change.column("deleted_flag"))) {
        state.putNull("order");
        return;
      }
      String status = text(row, "status", "orders");
      if (!ORDER_STATUSES.contains(status)) {
        throw new MappingException(
            "unknown code '"
                + status
                + "' in column 'status' of table 'orders'; known codes: "
                + new java.util.TreeSet<>(ORDER_STATUSES));
      }
      ObjectNode order = state.putObject("order");
      order.put("cust_no", text(row, "cust_no", "orders"));
      order.put("currency", text(row, "currency", "orders"));
      order.put("gross_cents", cents(row, "total_amount", "orders"));
      order.put("status", status);
    }

    private static void applyPayment(
        ChangeEvent change, MappingScope scope, ObjectNode state, String orderRef) {
      String paymentId = String.valueOf(change.key().get("payment_id"));
      ObjectNode payments =
          state.has("payments") ? (ObjectNode) state.get("payments") : state.putObject("payments");
      if (change.isDelete()) {
        payments.remove(paymentId);
        scope.put(PAYMENT_ORDER, paymentId, null);
        return;
      }
      Map<String, Object> row = change.row();
      long amount = cents(row, "amount", "payments");
      String status = text(row, "status", "payments");
      long signed =
          switch (status) {
            case "A" -> amount;
            case "R" -> -amount;
            default ->
                throw new MappingException(
                    "unknown code '"
                        + status
                        + "' in column 'status' of table 'payments'; known codes: [A, R]");
          };
      payments
          .putObject(paymentId)
          .put("cents", signed)
          .put("currency", text(row, "currency", "payments"));
      scope.put(PAYMENT_ORDER, paymentId, orderRef);
    }

    private GenericRecord invoice(ObjectNode state, String orderRef) {
      ObjectNode order = (ObjectNode) state.get("order");
      String currency = order.get("currency").asText();
      Integer rate = VAT_RATE_BP.get(currency);
      if (rate == null) {
        throw new MappingException(
            "no VAT rate for currency '"
                + currency
                + "' (column 'currency' of table 'orders', order "
                + orderRef
                + "); known: "
                + new TreeMap<>(VAT_RATE_BP).keySet());
      }
      long gross = order.get("gross_cents").asLong();
      long net =
          BigDecimal.valueOf(gross)
              .multiply(BigDecimal.valueOf(10_000))
              .divide(BigDecimal.valueOf(10_000L + rate), 0, RoundingMode.HALF_UP)
              .longValueExact();
      long paid = 0;
      if (state.has("payments")) {
        var it = state.get("payments").fields();
        while (it.hasNext()) {
          var payment = it.next();
          String paymentCurrency = payment.getValue().get("currency").asText();
          if (!paymentCurrency.equals(currency)) {
            throw new MappingException(
                "payment "
                    + payment.getKey()
                    + " is in "
                    + paymentCurrency
                    + " (column 'currency' of table 'payments') but order "
                    + orderRef
                    + " is in "
                    + currency);
          }
          paid += payment.getValue().get("cents").asLong();
        }
      }
      String status;
      if (order.get("status").asText().equals("X")) {
        status = "VOID";
      } else if (paid >= gross) {
        status = "PAID";
      } else if (paid > 0) {
        status = "PARTIALLY_PAID";
      } else {
        status = "OPEN";
      }
      GenericRecord value = new GenericData.Record(valueSchema);
      value.put("invoice_id", LegacyKeys.allocate("order", orderRef));
      value.put("order_ref", orderRef);
      value.put("customer_id", LegacyKeys.allocate("customer", order.get("cust_no").asText()));
      value.put("currency", currency);
      value.put("gross_cents", gross);
      value.put("vat_rate_bp", rate);
      value.put("net_cents", net);
      value.put("vat_cents", gross - net);
      value.put("paid_cents", paid);
      value.put(
          "status", new GenericData.EnumSymbol(valueSchema.getField("status").schema(), status));
      return value;
    }

    private static String text(Map<String, Object> row, String column, String table) {
      if (!row.containsKey(column)) {
        throw new MappingException("column '" + column + "' is missing from table '" + table + "'");
      }
      Object value = row.get(column);
      if (value == null) {
        throw new MappingException("column '" + column + "' of table '" + table + "' is null");
      }
      if (!(value instanceof String s)) {
        throw new MappingException(
            "column '" + column + "' of table '" + table + "' is not text: " + value);
      }
      if (ChangeEvent.isUnavailable(s)) {
        throw new MappingException(
            "column '" + column + "' of table '" + table + "' is an unchanged-TOAST placeholder");
      }
      return s;
    }

    private static long cents(Map<String, Object> row, String column, String table) {
      String text = text(row, column, table);
      try {
        return new BigDecimal(text.trim()).movePointRight(2).longValueExact();
      } catch (ArithmeticException | NumberFormatException e) {
        throw new MappingException(
            "column '"
                + column
                + "' of table '"
                + table
                + "' is not an amount in cents: '"
                + text
                + "'");
      }
    }

    private static ObjectNode read(String json) {
      if (json == null) {
        return JSON.createObjectNode();
      }
      try {
        return (ObjectNode) JSON.readTree(json);
      } catch (JsonProcessingException e) {
        throw new MappingException("cannot read the stored invoice state: " + e.getMessage(), e);
      }
    }
  }
}
