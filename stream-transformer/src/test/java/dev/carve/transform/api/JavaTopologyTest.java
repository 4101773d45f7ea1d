package dev.carve.transform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.CarveHeaders;
import dev.carve.core.SourcePosition;
import dev.carve.core.error.OnError;
import dev.carve.transform.testing.Debezium;
import dev.carve.transform.testing.Harness;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.StreamsBuilder;
import org.junit.jupiter.api.Test;

/** A topology written in Java against the API, without YAML. */
class JavaTopologyTest {
  static final Schema KEY =
      new Schema.Parser()
          .parse(
              "{\"type\":\"record\",\"name\":\"ProductKey\",\"fields\":[{\"name\":\"sku\","
                  + "\"type\":\"string\"}]}");
  static final Schema VALUE =
      new Schema.Parser()
          .parse(
              "{\"type\":\"record\",\"name\":\"Product\",\"fields\":[{\"name\":\"sku\","
                  + "\"type\":\"string\"},{\"name\":\"title\",\"type\":\"string\"},"
                  + "{\"name\":\"weight_g\",\"type\":\"long\"},{\"name\":\"versions\","
                  + "\"type\":\"int\"}]}");

  /** Products with the weight converted from kilograms to grams and a per-key change counter. */
  static final class CatalogTopology implements DomainTopology {
    @Override
    public String service() {
      return "catalog";
    }

    @Override
    public void define(StreamsBuilder builder, TopologyContext ctx) {
      Topic<GenericRecord, GenericRecord> product = ctx.domainTopic("product");
      ctx.mapTable(
          builder,
          "products",
          new TableMapper() {
            @Override
            public List<Output<?, ?>> map(ChangeEvent change, MappingScope scope) {
              String sku = (String) change.key().get("sku");
              GenericRecord key = new GenericData.Record(KEY);
              key.put("sku", sku);
              List<Output<?, ?>> out = new ArrayList<>();
              if (change.isDelete()) {
                scope.put("versions", sku, null);
                out.add(Output.to(product, DomainRecord.delete(key, change.position())));
                return out;
              }
              String stored = scope.get("versions", sku);
              int versions = stored == null ? 1 : Integer.parseInt(stored) + 1;
              scope.put("versions", sku, Integer.toString(versions));
              Object weight = change.after().get("weight_kg");
              if (weight == null) {
                throw new MappingException("column 'weight_kg' is null; a product needs a weight");
              }
              GenericRecord value = new GenericData.Record(VALUE);
              value.put("sku", sku);
              value.put("title", change.after().get("title"));
              value.put(
                  "weight_g",
                  new java.math.BigDecimal(weight.toString()).movePointRight(3).longValueExact());
              value.put("versions", versions);
              out.add(Output.to(product, DomainRecord.upsert(key, value, change.position())));
              return out;
            }

            @Override
            public Set<String> stores() {
              return Set.of("versions");
            }
          });
    }
  }

  private static String product(String sku, Object weight) {
    return Debezium.create(
        "products", Debezium.row("sku", sku, "title", "Tea", "weight_kg", weight), 100);
  }

  @Test
  void javaTopologyMapsChangesWithItsOwnStore() {
    try (Harness harness = new Harness(new CatalogTopology(), OnError.DEAD_LETTER)) {
      harness.send("products", Debezium.key("sku", "SKU-1"), product("SKU-1", "0.250"));
      harness.send("products", Debezium.key("sku", "SKU-1"), product("SKU-1", "0.300"));

      var out = harness.read("product");
      assertThat(out).hasSize(2);
      assertThat(out.get(0).value().get("weight_g")).isEqualTo(250L);
      assertThat(out.get(1).value().get("versions")).isEqualTo(2);
      assertThat(SourcePosition.readFrom(out.get(1).headers())).isNotNull();
      assertThat(harness.driver().getKeyValueStore("catalog-versions").get("SKU-1")).isEqualTo("2");
    }
  }

  @Test
  void mapperExceptionDeadLettersTheChangeAndLeavesItsStoreWritesUndone() {
    try (Harness harness = new Harness(new CatalogTopology(), OnError.DEAD_LETTER)) {
      harness.send("products", Debezium.key("sku", "SKU-2"), product("SKU-2", null));

      assertThat(harness.read("product")).isEmpty();
      var dead = harness.readDeadLetters();
      assertThat(Harness.header(dead.get(0), CarveHeaders.DLQ_ERROR))
          .contains("weight_kg", "catalog", "products", "SKU-2");
      assertThat(harness.driver().getKeyValueStore("catalog-versions").get("SKU-2")).isNull();
    }
  }

  @Test
  void placeholderCopiedByAJavaMapperIntoAnOutputIsDeadLetteredNamingTheField() {
    // Regression: a Java mapper copying a TOASTed column (title) wrote the placeholder, in any of
    // its forms, to the target.
    try (Harness harness = new Harness(new CatalogTopology(), OnError.DEAD_LETTER)) {
      for (String title :
          List.of(
              ChangeEvent.UNAVAILABLE,
              "X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==",
              "[\"" + ChangeEvent.UNAVAILABLE + "\"]")) {
        harness.send(
            "products",
            Debezium.key("sku", "SKU-3"),
            Debezium.update(
                "products",
                Debezium.row("sku", "SKU-3", "title", title, "weight_kg", "1.000"),
                200));
      }

      assertThat(harness.read("product")).isEmpty();
      assertThat(harness.readDeadLetters())
          .hasSize(3)
          .allSatisfy(
              d ->
                  assertThat(Harness.header(d, CarveHeaders.DLQ_ERROR))
                      .contains(
                          "service 'catalog'",
                          "entity 'product'",
                          "field 'title'",
                          "unchanged-TOAST placeholder"));
      assertThat(harness.driver().getKeyValueStore("catalog-versions").get("SKU-3")).isNull();
    }
  }

  @Test
  void sameTableCannotBeMappedTwice() {
    DomainTopology twice =
        new DomainTopology() {
          @Override
          public String service() {
            return "catalog";
          }

          @Override
          public void define(StreamsBuilder builder, TopologyContext ctx) {
            ctx.mapTable(builder, "products", (change, scope) -> List.of());
            ctx.mapTable(builder, "products", (change, scope) -> List.of());
          }
        };
    assertThatThrownBy(() -> new Harness(twice, OnError.DEAD_LETTER))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already mapped");
  }

  @Test
  void contextOfAnotherServiceIsRejected() {
    TopologyContext ctx =
        TopologyContext.create("orders", "legacy", OnError.DEAD_LETTER, isKey -> null);
    assertThatThrownBy(() -> new CatalogTopology().build(ctx))
        .hasMessageContaining("'catalog'")
        .hasMessageContaining("'orders'");
  }

  @Test
  void rawAndDomainTopicNamesFollowTheContracts() {
    TopologyContext ctx =
        TopologyContext.create(
            "orders",
            "legacy",
            OnError.DEAD_LETTER,
            dev.carve.transform.testing.TestAvroSerdes.factory());
    assertThat(ctx.rawTopic("orders")).isEqualTo("legacy.public.orders");
    assertThat(ctx.rawTopic("sales.orders")).isEqualTo("legacy.sales.orders");
    assertThat(ctx.domainTopic("order_line").name()).isEqualTo("orders.order_line");
    assertThat(ctx.domainTopic("order_line")).isSameAs(ctx.domainTopic("order_line"));
    assertThat(ctx.deadLetterTopic()).isEqualTo("orders.dlq");
    assertThat(ctx.name("map-orders")).isEqualTo("orders-map-orders");
  }
}
