package dev.carve.transform.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.config.ConfigException;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.testing.Harness;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MappingLoaderTest {
  private static final SchemaResolver SCHEMAS =
      SchemaResolver.classpathThenDirectories(List.of(Path.of("../schemas")));

  private static ConfigException loadError(String yaml) {
    return (ConfigException)
        org.assertj.core.api.Assertions.catchThrowable(
            () -> MappingLoader.parse(yaml, "test.yaml", SCHEMAS));
  }

  @Test
  void demoMappingsLoad() {
    DomainTopology customers = MappingLoader.load(Harness.topologyFile("customers"));
    DomainTopology orders = MappingLoader.load(Harness.topologyFile("orders"));
    assertThat(customers.service()).isEqualTo("customers");
    assertThat(orders.service()).isEqualTo("orders");
  }

  @Test
  void unknownKeyIsReportedWithLineAndAllowedKeys() {
    ConfigException e =
        loadError(
            """
            service: orders
            entities:
              order:
                table: orders
                key: [order_id]
                filtr: "deleted_flag != 'Y'"
                fields:
                  order_id: {column: order_ref, allocate: order}
            """);
    assertThat(e).isNotNull();
    assertThat(e.getMessage())
        .contains("test.yaml")
        .contains("line 6: key 'entities.order.filtr': unknown key; allowed here: table, key,");
  }

  @Test
  void everyProblemIsReportedAtOnceWithItsLine() {
    ConfigException e =
        loadError(
            """
            service: orders
            entities:
              order:
                table: orders
                key: [order_id]
                fields:
                  order_id: {column: order_ref, allocate: order}
                  totl: total_amount
                  status: {column: status, codes: order_states}
                  total_cents: {column: total_amount, convert: cent}
                  ordered_at: {column: order_date, convert: timestamp}
                  currency: {expr: "currency.getClass("}
            """);
    assertThat(e.problems())
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("line 8: key 'entities.order.fields.totl'")
                    .contains("not in schema dev.carve.schemas.orders.Order"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("line 9: key 'entities.order.fields.status.codes'")
                    .contains("unknown code table 'order_states'"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("line 10: key 'entities.order.fields.total_cents.convert'")
                    .contains("unknown conversion 'cent'; allowed: trim, lower"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("line 11: key 'entities.order.fields.ordered_at'")
                    .contains("need 'pattern'"))
        .anySatisfy(p -> assertThat(p).startsWith("line 12:").contains("invalid expression"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("needs the field(s)")
                    .contains("order_ref")
                    .contains("line_count"));
  }

  @Test
  void keyMustMatchTheKeySchema() {
    ConfigException e =
        loadError(
            """
            service: orders
            entities:
              order_line:
                table: orders
                key: [order_id]
                explode: {json-array: lines_blob}
                fields:
                  order_id: {column: order_ref, allocate: order}
                  line_no: item_no
                  sku: item.sku
                  quantity: {column: item.qty, convert: int}
                  unit_price_cents: {column: item.unit_price, convert: cents}
            """);
    assertThat(e.getMessage())
        .contains("line 5: key 'entities.order_line.key'")
        .contains("[order_id, line_no]");
  }

  private static final String LINE_FIELDS =
      """
          fields:
            order_id: {column: order_ref, allocate: order}
            line_no: item_no
            sku: item.sku
            quantity: {column: item.qty, convert: int}
            unit_price_cents: {column: item.unit_price, convert: cents}
      """;

  @Test
  void explodedKeyReadingAFieldOfTheElementIsRejectedAtLoad() {
    // Regression: with key [order_id, sku] a blob shrinking from 2 to 1 elements dead-lettered the
    // change ("element 2 ... has no field 'sku'": vanished children were deleted by rebuilding
    // their keys from an empty element at positions 2..n), the stored count never moved on so
    // every later change of the order was dead-lettered too, and a sku changed at the same
    // position left the old line behind for good.
    ConfigException e =
        loadError(
            """
            service: orders
            entities:
              order_line:
                table: orders
                key: [order_id, sku]
                key-schema: OrderLineSkuKey
                explode: {json-array: lines_blob}
            """
                + LINE_FIELDS);
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("test.yaml");
    assertThat(e.problems())
        .singleElement()
        .satisfies(
            p ->
                assertThat(p)
                    .startsWith("line 11: key 'entities.order_line.fields.sku'")
                    .contains(
                        "key field 'sku' of exploded entity 'order_line'",
                        "reads 'item.sku'",
                        "columns of table 'orders'",
                        "item_no"));
  }

  @Test
  void explodedKeyWithoutThePositionIsRejectedAtLoad() {
    // Every element would get the same key: the lines of an order would collapse onto one.
    ConfigException e =
        loadError(
            """
            service: orders
            entities:
              order_line:
                table: orders
                key: [order_id]
                key-schema: OrderKey
                explode: {json-array: lines_blob}
            """
                + LINE_FIELDS);
    assertThat(e).isNotNull();
    assertThat(e.problems())
        .singleElement()
        .satisfies(
            p ->
                assertThat(p)
                    .startsWith("line 5: key 'entities.order_line.key'")
                    .contains("exploded entity 'order_line'", "item_no", "one key"));
  }

  @Test
  void explodedKeyExpressionMayReadParentColumnsAndThePositionOnly() {
    String yaml =
        """
        service: orders
        entities:
          order_line:
            table: orders
            key: [order_id, line_no]
            explode: {json-array: lines_blob}
            fields:
              order_id: {column: order_ref, allocate: order}
              line_no: {expr: "%s"}
              sku: item.sku
              quantity: {column: item.qty, convert: int}
              unit_price_cents: {column: item.unit_price, convert: cents}
        """;
    assertThat(MappingLoader.parse(yaml.formatted("item_no + 0"), "test.yaml", SCHEMAS))
        .isNotNull();
    for (String expr : List.of("item.pos", "out.quantity", "item_no + item.qty")) {
      ConfigException e = loadError(yaml.formatted(expr));
      assertThat(e).as(expr).isNotNull();
      assertThat(e.problems())
          .as(expr)
          .singleElement()
          .satisfies(
              p ->
                  assertThat(p)
                      .startsWith("line 9: key 'entities.order_line.fields.line_no'")
                      .contains("key field 'line_no'"));
    }
  }

  @Test
  void valuesThatCanOnlyFailAtRuntimeAreRejectedAtLoad() {
    // Regression: a code table value that is not a symbol of the field's enum, a timestamp pattern
    // without a time of day and a const that does not fit its field loaded, then dead-lettered
    // every row they applied to.
    ConfigException e =
        loadError(
            """
            service: orders
            code-tables:
              order_status: {N: NEW, P: PAYED, S: SHIPPED}
            entities:
              order:
                table: orders
                key: [order_id]
                fields:
                  order_id: {column: order_ref, allocate: order}
                  order_ref: order_ref
                  customer_id: {column: cust_no, allocate: customer}
                  ordered_at: {column: order_date, convert: timestamp, pattern: "yyyy-MM-dd"}
                  status: {column: status, codes: order_status}
                  total: {const: "12.345"}
                  total_cents: {column: total_amount, convert: cents}
                  currency: {column: currency, codes: {E: EUR, U: USD}}
                  line_count: {const: many}
            """);
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("test.yaml");
    assertThat(e.problems())
        .hasSize(4)
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("line 12: key 'entities.order.fields.ordered_at.pattern'")
                    .contains("'convert: timestamp'", "time of day", "convert: date"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("line 13: key 'entities.order.fields.status.codes'")
                    .contains(
                        "code 'P' of code table 'order_status'",
                        "'PAYED'",
                        "[NEW, PAID, SHIPPED, DELIVERED, CANCELLED]"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("line 14: key 'entities.order.fields.total.const'")
                    .contains("'12.345'", "more than 2 decimal places"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("line 17: key 'entities.order.fields.line_count.const'")
                    .contains("'many'", "whole number"));
  }

  @Test
  void dateWithAnOffsetInItsPatternIsRejectedAtLoad() {
    // A date has no time to shift to UTC: the offset would be dropped silently.
    ConfigException e =
        loadError(
            """
            service: customers
            entities:
              customer:
                table: customers
                key: [customer_id]
                fields:
                  customer_id: {column: cust_no, allocate: customer}
                  created_on: {column: created_on, convert: date, pattern: "yyyy-MM-ddXXX"}
            """);
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("test.yaml");
    assertThat(e.problems())
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("line 8: key 'entities.customer.fields.created_on.pattern'")
                    .contains("offset or time zone", "'convert: date'", "convert: timestamp"));
  }

  @Test
  void joinedTableThatIsAlsoMappedAsAnEntityIsRejectedAtLoad() {
    // Regression: this loaded, then DefaultTopologyContext.claim threw a bare
    // IllegalStateException ("already mapped") when the runtime built the topology.
    ConfigException e =
        loadError(
            """
            service: customers
            entities:
              customer:
                table: customers
                key: [customer_id]
                join: {table: public.addresses, on: {cust_no: cust_no}, as: billing}
                fields:
                  customer_id: {column: cust_no, allocate: customer}
                  legacy_ref: cust_no
                  first_name: full_name
                  last_name: full_name
                  email: email
                  phone: phone
                  vip: {column: vip_flag, convert: flag}
                  status: {column: status, codes: {A: ACTIVE, S: SUSPENDED, C: CLOSED}}
                  created_on: {column: created_on, convert: date, pattern: dd.MM.yyyy}
                  notes: notes
              address:
                table: addresses
                key: [address_id]
                fields:
                  address_id: {column: addr_id, convert: long}
                  customer_id: {column: cust_no, allocate: customer}
                  kind: {column: addr_type, codes: {B: BILLING, S: SHIPPING}}
                  line1: line1
                  line2: line2
                  city: city
                  postal_code: zip
                  country_code: country_code
            """);
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("test.yaml");
    assertThat(e.problems())
        .singleElement()
        .satisfies(
            p ->
                assertThat(p)
                    .startsWith("line 6: key 'entities.customer.join.table'")
                    .contains(
                        "table 'public.addresses'",
                        "entity 'address' (line 19)",
                        "read once per service",
                        "another service"));
  }

  @Test
  void tableJoinedByTwoTablesIsRejectedAtLoad() {
    ConfigException e =
        loadError(
            """
            service: orders
            entities:
              order:
                table: orders
                key: [order_id]
                join: {table: addresses, on: {cust_no: cust_no}, as: customer}
                fields:
                  order_id: {column: order_ref, allocate: order}
              order_line:
                table: order_lines
                key: [order_id, line_no]
                join: {table: addresses, on: {cust_no: cust_no}, as: customer}
                fields:
                  order_id: {column: order_ref, allocate: order}
            """);
    assertThat(e.problems())
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("line 12: key 'entities.order_line.join.table'")
                    .contains("table 'addresses'", "also joined by entity 'order' (line 6)"));
  }

  @Test
  void missingSchemaNamesWhereItWasLookedFor() {
    ConfigException e =
        loadError(
            """
            service: orders
            entities:
              parcel:
                table: shipments
                key: [parcel_id]
                fields:
                  parcel_id: shipment_no
            """);
    assertThat(e.getMessage()).contains("no Avro schema 'orders/Parcel.avsc' found");
  }

  @Test
  void malformedYamlNamesTheLine() {
    assertThatThrownBy(
            () ->
                MappingLoader.parse(
                    "service: orders\nentities:\n  order: [a, b\n  x: 1\n", "bad.yaml", SCHEMAS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bad.yaml")
        .hasMessageContaining("line ");
  }

  @Test
  void duplicateKeyIsAnError() {
    assertThatThrownBy(
            () ->
                MappingLoader.parse(
                    "service: orders\nservice: billing\nentities: {}\n", "dup.yaml", SCHEMAS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("line 2: key 'service' appears twice");
  }
}
