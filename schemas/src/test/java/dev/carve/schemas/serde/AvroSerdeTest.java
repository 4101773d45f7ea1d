package dev.carve.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.config.ConfigException;
import dev.carve.schemas.SchemaCatalog;
import dev.carve.schemas.orders.Order;
import dev.carve.schemas.orders.OrderStatus;
import dev.carve.schemas.registry.CompatibilityLevel;
import dev.carve.schemas.registry.MockSchemaRegistry;
import dev.carve.schemas.registry.SchemaRegistryClient;
import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {
  private static final Schema CUSTOMER =
      new Schema.Parser()
          .parse(
              """
              {"type":"record","name":"Customer","namespace":"test","fields":[
                {"name":"id","type":"long"},
                {"name":"name","type":"string"},
                {"name":"email","type":["null","string"],"default":null},
                {"name":"vip","type":"boolean"},
                {"name":"status","type":{"type":"enum","name":"Status","symbols":["ACTIVE","CLOSED"]}}
              ]}
              """);

  private final String scope = "serde-" + UUID.randomUUID();
  private final Map<String, Object> config =
      new HashMap<>(Map.of("schema.registry.url", "mock://" + scope));

  @AfterEach
  void dropRegistry() {
    MockSchemaRegistry.drop(scope);
  }

  private static GenericRecord customer(long id, String name, String email) {
    return new GenericRecordBuilder(CUSTOMER)
        .set("id", id)
        .set("name", name)
        .set("email", email)
        .set("vip", true)
        .set("status", new GenericData.EnumSymbol(CUSTOMER.getField("status").schema(), "CLOSED"))
        .build();
  }

  @Test
  void bytesAreTheWireFormatAssembledByHandFromTheSpec() {
    Serde<GenericRecord> serde = AvroSerdes.generic(config, false);

    byte[] bytes = serde.serializer().serialize("crm.customer", customer(42, "ab", null));

    int id = MockSchemaRegistry.client(scope).latest("crm.customer-value").id();
    byte[] expected = {
      0x00, // magic byte
      (byte) (id >>> 24),
      (byte) (id >>> 16),
      (byte) (id >>> 8),
      (byte) id, // schema id, BE
      0x54, // id: long 42, zig-zag varint 84
      0x04,
      'a',
      'b', // name: length 2 (zig-zag 4), then UTF-8
      0x00, // email: union branch 0 (null)
      0x01, // vip: true
      0x02 // status: enum index 1 (CLOSED), zig-zag 2
    };
    assertThat(bytes).containsExactly(expected);
  }

  @Test
  void schemaIdIsBigEndianForLargeIds() {
    SchemaRegistryClient registry = MockSchemaRegistry.client(scope);
    for (int i = 0; i < 300; i++) {
      registry.register(
          "filler-" + i, Schema.createEnum("E" + i, null, "test", java.util.List.of("A")));
    }
    Serde<GenericRecord> serde = AvroSerdes.generic(config, true);

    byte[] bytes = serde.serializer().serialize("crm.customer", customer(1, "x", null));

    int id = registry.latest("crm.customer-key").id();
    assertThat(id).isGreaterThan(255);
    assertThat(Arrays.copyOfRange(bytes, 0, 5))
        .containsExactly(0, 0, 0, (byte) (id >>> 8), (byte) id);
  }

  @Test
  void genericRecordsRoundTripAndNullIsATombstone() {
    Serde<GenericRecord> serde = AvroSerdes.generic(config, false);
    GenericRecord record = customer(7, "Ada", "ada@example.com");

    byte[] bytes = serde.serializer().serialize("crm.customer", record);
    GenericRecord back = serde.deserializer().deserialize("crm.customer", bytes);

    assertThat(back).isEqualTo(record);
    assertThat(back.get("name").toString()).isEqualTo("Ada");
    assertThat(serde.serializer().serialize("crm.customer", null)).isNull();
    assertThat(serde.deserializer().deserialize("crm.customer", null)).isNull();
  }

  @Test
  void generatedClassesRoundTripAndRegisterTheirContract() {
    Serde<Order> serde = AvroSerdes.specific(Order.class, config, false);
    Order order =
        Order.newBuilder()
            .setOrderId(1)
            .setOrderRef("ORD-2019-00042")
            .setCustomerId(42)
            .setOrderedAt(Instant.parse("2019-03-01T10:15:30.123456Z"))
            .setStatus(OrderStatus.PAID)
            .setTotal(new BigDecimal("12.50"))
            .setTotalCents(1250)
            .setCurrency("EUR")
            .setLineCount(2)
            .build();

    byte[] bytes = serde.serializer().serialize("orders.order", order);
    Order back = serde.deserializer().deserialize("orders.order", bytes);

    assertThat(back).isEqualTo(order);
    assertThat(MockSchemaRegistry.client(scope).latest("orders.order-value").schema())
        .isEqualTo(SchemaCatalog.fromClasspath().require("orders", "order").value());
  }

  @Test
  void specificAvroReaderTurnsGenericBytesIntoGeneratedClasses() {
    Serde<GenericRecord> writer = AvroSerdes.generic(config, true);
    GenericRecord key =
        new GenericRecordBuilder(SchemaCatalog.fromClasspath().require("orders", "order").key())
            .set("order_id", 42L)
            .build();
    byte[] bytes = writer.serializer().serialize("orders.order", key);
    config.put(AvroSerdeConfig.SPECIFIC_AVRO_READER, "true");
    AvroDeserializer<Object> reader = new AvroDeserializer<>();
    reader.configure(config, true);

    Object read = reader.deserialize("orders.order", bytes);

    assertThat(read).isEqualTo(new dev.carve.schemas.orders.OrderKey(42L));
  }

  @Test
  void genericRecordsAcceptLogicalTypesAndRawForms() {
    Schema orderSchema = Order.getClassSchema();
    Serde<GenericRecord> serde = AvroSerdes.generic(config, false);
    GenericRecord converted =
        new GenericRecordBuilder(SchemaCatalog.fromClasspath().require("orders", "order").value())
            .set("order_id", 1L)
            .set("order_ref", "ORD-1")
            .set("customer_id", 2L)
            .set("ordered_at", Instant.parse("2020-01-01T00:00:00Z").truncatedTo(ChronoUnit.MICROS))
            .set(
                "status",
                new GenericData.EnumSymbol(orderSchema.getField("status").schema(), "NEW"))
            .set("total", new BigDecimal("3.10"))
            .set("total_cents", 310L)
            .set("currency", "EUR")
            .set("line_count", 1)
            .build();

    byte[] bytes = serde.serializer().serialize("orders.order", converted);
    GenericRecord raw = serde.deserializer().deserialize("orders.order", bytes);

    assertThat(raw.get("total")).isInstanceOf(ByteBuffer.class);
    assertThat(raw.get("ordered_at")).isEqualTo(1577836800000000L);
    config.put(AvroSerdeConfig.USE_LOGICAL_TYPE_CONVERTERS, "true");
    GenericRecord withConverters =
        AvroSerdes.generic(config, false).deserializer().deserialize("orders.order", bytes);
    assertThat(withConverters.get("total")).isEqualTo(new BigDecimal("3.10"));
    assertThat(withConverters.get("ordered_at")).isEqualTo(Instant.parse("2020-01-01T00:00:00Z"));
  }

  @Test
  void subjectNameStrategiesAcceptShortAndConfluentNames() {
    config.put("value.subject.name.strategy", "record");
    config.put(
        "key.subject.name.strategy", "io.confluent.kafka.serializers.subject.TopicNameStrategy");
    AvroSerdes.generic(config, false).serializer().serialize("t1", customer(1, "a", null));
    AvroSerdes.generic(config, true).serializer().serialize("t1", customer(1, "a", null));

    assertThat(MockSchemaRegistry.client(scope).subjects())
        .containsExactlyInAnyOrder("test.Customer", "t1-key");
  }

  @Test
  void unknownStrategyIsAConfigErrorNamingTheKey() {
    config.put("value.subject.name.strategy", "topicname");
    config.put("auto.register.schemas", "maybe");

    assertThatThrownBy(() -> AvroSerdes.generic(config, false))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("value.subject.name.strategy")
        .hasMessageContaining("auto.register.schemas");
  }

  @Test
  void withoutAutoRegisterAnUnregisteredSchemaFailsNamingTheSubject() {
    config.put("auto.register.schemas", "false");
    Serde<GenericRecord> serde = AvroSerdes.generic(config, false);

    assertThatThrownBy(() -> serde.serializer().serialize("crm.customer", customer(1, "a", null)))
        .isInstanceOfSatisfying(
            AvroSerdeException.class,
            e -> {
              assertThat(e.problem()).isEqualTo(AvroSerdeException.Problem.SCHEMA_REJECTED);
              assertThat(e.retriable()).isFalse();
            })
        .hasMessageContaining("topic 'crm.customer'")
        .hasMessageContaining("subject 'crm.customer-value'")
        .hasMessageContaining("40401");

    int id = MockSchemaRegistry.client(scope).register("crm.customer-value", CUSTOMER);
    byte[] bytes = serde.serializer().serialize("crm.customer", customer(1, "a", null));
    assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
  }

  @Test
  void useLatestVersionWritesWithTheLatestSchemaFillingDefaults() {
    String v1Text = CUSTOMER.toString();
    Schema v2 =
        new Schema.Parser()
            .parse(
                v1Text.substring(0, v1Text.length() - 2)
                    + ",{\"name\":\"tier\",\"type\":\"string\",\"default\":\"basic\"}]}");
    MockSchemaRegistry.client(scope).register("crm.customer-value", CUSTOMER);
    int v2Id = MockSchemaRegistry.client(scope).register("crm.customer-value", v2);
    config.put("use.latest.version", "true");
    config.put("auto.register.schemas", "false");
    Serde<GenericRecord> serde = AvroSerdes.generic(config, false);

    byte[] bytes = serde.serializer().serialize("crm.customer", customer(3, "c", null));
    GenericRecord back = serde.deserializer().deserialize("crm.customer", bytes);

    assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(v2Id);
    assertThat(back.get("tier").toString()).isEqualTo("basic");
    assertThat(back.get("name").toString()).isEqualTo("c");
  }

  /**
   * Regression: records nested in a union or an array kept their own schema and were written by
   * position with the latest one, so a field inserted in the middle shifted the values after it.
   */
  @Test
  void useLatestVersionConvertsRecordsNestedInUnionsAndArraysByName() {
    String item =
        "{\"type\":\"record\",\"name\":\"Item\",\"fields\":[%s"
            + "{\"name\":\"sku\",\"type\":\"string\"},{\"name\":\"qty\",\"type\":\"int\"}]}";
    String order =
        "{\"type\":\"record\",\"name\":\"Basket\",\"namespace\":\"shop\",\"fields\":["
            + "{\"name\":\"main\",\"type\":[\"null\","
            + item
            + "],\"default\":null},"
            + "{\"name\":\"more\",\"type\":{\"type\":\"array\",\"items\":\"Item\"}}]}";
    Schema v1 = new Schema.Parser().parse(String.format(order, ""));
    Schema v2 =
        new Schema.Parser()
            .parse(
                String.format(order, "{\"name\":\"note\",\"type\":\"string\",\"default\":\"-\"},"));
    MockSchemaRegistry.client(scope).register("shop.basket-value", v1);
    MockSchemaRegistry.client(scope).register("shop.basket-value", v2);
    config.put("use.latest.version", "true");
    config.put("auto.register.schemas", "false");
    Serde<GenericRecord> serde = AvroSerdes.generic(config, false);
    Schema itemV1 = v1.getField("more").schema().getElementType();
    GenericRecord main = new GenericRecordBuilder(itemV1).set("sku", "A").set("qty", 2).build();
    GenericRecord other = new GenericRecordBuilder(itemV1).set("sku", "B").set("qty", 5).build();
    GenericRecord basket =
        new GenericRecordBuilder(v1).set("main", main).set("more", Arrays.asList(other)).build();

    GenericRecord back =
        serde
            .deserializer()
            .deserialize("shop.basket", serde.serializer().serialize("shop.basket", basket));

    GenericRecord backMain = (GenericRecord) back.get("main");
    assertThat(backMain.get("note").toString()).isEqualTo("-");
    assertThat(backMain.get("sku").toString()).isEqualTo("A");
    assertThat(backMain.get("qty")).isEqualTo(2);
    GenericRecord backOther = (GenericRecord) ((List<?>) back.get("more")).get(0);
    assertThat(backOther.get("sku").toString()).isEqualTo("B");
    assertThat(backOther.get("qty")).isEqualTo(5);
  }

  @Test
  void useLatestVersionRefusesALatestSchemaThatCannotReadTheRecord() {
    String v1Text = CUSTOMER.toString();
    Schema v2 =
        new Schema.Parser()
            .parse(
                v1Text.substring(0, v1Text.length() - 2)
                    + ",{\"name\":\"tier\",\"type\":\"string\"}]}");
    SchemaRegistryClient client = MockSchemaRegistry.client(scope);
    client.register("crm.customer-value", CUSTOMER);
    client.setSubjectCompatibility("crm.customer-value", CompatibilityLevel.NONE);
    client.register("crm.customer-value", v2);
    config.put("use.latest.version", "true");
    config.put("auto.register.schemas", "false");
    Serde<GenericRecord> serde = AvroSerdes.generic(config, false);

    assertThatThrownBy(() -> serde.serializer().serialize("crm.customer", customer(3, "c", null)))
        .isInstanceOf(AvroSerdeException.class)
        .hasMessageContaining("subject 'crm.customer-value'")
        .hasMessageContaining("cannot read records of the record's schema")
        .hasMessageContaining("tier");
  }

  @Test
  void serdeWorksAgainstTheEmbeddedRegistryOverHttp() {
    try (EmbeddedSchemaRegistry registry =
        EmbeddedSchemaRegistry.start(EmbeddedSchemaRegistry.Options.inMemory())) {
      Serde<GenericRecord> serde =
          AvroSerdes.generic(Map.of("schema.registry.url", registry.url()), false);
      GenericRecord record = customer(9, "Grace", null);

      byte[] bytes = serde.serializer().serialize("crm.customer", record);

      assertThat(serde.deserializer().deserialize("crm.customer", bytes)).isEqualTo(record);
      serde.close();
    }
  }

  // Regression: a 401 (wrong or rotated basic.auth.user.info) was SCHEMA_REJECTED, not retriable,
  // so a sink dead-lettered every record and committed its offsets.
  @Test
  void wrongCredentialsAreRegistryUnavailableNotARejectedSchema() {
    try (EmbeddedSchemaRegistry registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.inMemory().withBasicAuth("carve:s3cret"))) {
      Serde<GenericRecord> right =
          AvroSerdes.generic(
              Map.of("schema.registry.url", registry.url(), "basic.auth.user.info", "carve:s3cret"),
              false);
      Serde<GenericRecord> wrong =
          AvroSerdes.generic(
              Map.of(
                  "schema.registry.url", registry.url(), "basic.auth.user.info", "carve:rotated"),
              false);
      byte[] bytes = right.serializer().serialize("crm.customer", customer(9, "Grace", null));

      assertThatThrownBy(() -> wrong.deserializer().deserialize("crm.customer", bytes))
          .isInstanceOfSatisfying(
              AvroSerdeException.class,
              e -> {
                assertThat(e.problem()).isEqualTo(AvroSerdeException.Problem.REGISTRY_UNAVAILABLE);
                assertThat(e.retriable()).isTrue();
              })
          .hasMessageContaining(registry.url())
          .hasMessageContaining("HTTP 401")
          .hasMessageContaining("check basic.auth.user.info")
          .hasMessageNotContaining("s3cret")
          .hasMessageNotContaining("rotated");
      assertThatThrownBy(() -> wrong.serializer().serialize("crm.other", customer(1, "Ada", null)))
          .isInstanceOfSatisfying(AvroSerdeException.class, e -> assertThat(e.retriable()).isTrue())
          .hasMessageContaining("HTTP 401")
          .hasMessageContaining("check basic.auth.user.info");
      right.close();
      wrong.close();
    }
  }

  // Regression: a 404 of no registry endpoint (schema.registry.url with a wrong path) was
  // SCHEMA_REJECTED; only the registry's own 40403 means the schema id is unknown.
  @Test
  void wrongRegistryPathIsRegistryUnavailableAndAnUnknownIdStaysUnknown() {
    try (EmbeddedSchemaRegistry registry =
        EmbeddedSchemaRegistry.start(EmbeddedSchemaRegistry.Options.inMemory())) {
      Serde<GenericRecord> serde =
          AvroSerdes.generic(Map.of("schema.registry.url", registry.url()), false);
      Serde<GenericRecord> wrongPath =
          AvroSerdes.generic(Map.of("schema.registry.url", registry.url() + "/nope"), false);
      byte[] bytes = serde.serializer().serialize("crm.customer", customer(9, "Grace", null));

      assertThatThrownBy(() -> wrongPath.deserializer().deserialize("crm.customer", bytes))
          .isInstanceOfSatisfying(
              AvroSerdeException.class,
              e -> {
                assertThat(e.problem()).isEqualTo(AvroSerdeException.Problem.REGISTRY_UNAVAILABLE);
                assertThat(e.retriable()).isTrue();
              })
          .hasMessageContaining(registry.url() + "/nope")
          .hasMessageContaining("HTTP 404")
          .hasMessageContaining("check schema.registry.url");

      byte[] unknownId = bytes.clone();
      unknownId[1] = 0x7f;
      assertThatThrownBy(() -> serde.deserializer().deserialize("crm.customer", unknownId))
          .isInstanceOfSatisfying(
              AvroSerdeException.class,
              e -> {
                assertThat(e.problem()).isEqualTo(AvroSerdeException.Problem.UNKNOWN_SCHEMA_ID);
                assertThat(e.retriable()).isFalse();
              });
      serde.close();
      wrongPath.close();
    }
  }

  @Test
  void unconfiguredSerializerSaysWhatToDo() {
    assertThatThrownBy(
            () -> new AvroSerializer<GenericRecord>().serialize("t", customer(1, "a", null)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("configure");
  }
}
