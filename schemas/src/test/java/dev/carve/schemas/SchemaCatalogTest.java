package dev.carve.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.schemas.internal.AvroSchemas;
import dev.carve.schemas.orders.Order;
import dev.carve.schemas.orders.OrderLineKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaCatalogTest {

  @Test
  void classpathHoldsEveryServiceWithKeyAndValuePerEntity() {
    SchemaCatalog catalog = SchemaCatalog.fromClasspath();

    assertThat(catalog.services()).containsExactly("billing", "customers", "orders");
    assertThat(catalog.entities("orders"))
        .extracting(EntitySchemas::entity)
        .containsExactly("order", "order_line");
    EntitySchemas line = catalog.require("orders", "order_line");
    assertThat(line.key().getFullName()).isEqualTo("dev.carve.schemas.orders.OrderLineKey");
    assertThat(line.value().getFullName()).isEqualTo("dev.carve.schemas.orders.OrderLine");
    assertThat(line.topic()).isEqualTo("orders.order_line");
    assertThat(line.keySubject()).isEqualTo("orders.order_line-key");
    assertThat(line.valueSubject()).isEqualTo("orders.order_line-value");
    assertThat(catalog.entities("customers"))
        .extracting(EntitySchemas::entity)
        .containsExactly("address", "customer");
    assertThat(catalog.entities("billing"))
        .extracting(EntitySchemas::entity)
        .containsExactly("invoice");
  }

  @Test
  void generatedClassesMatchThePackagedContracts() {
    SchemaCatalog catalog = SchemaCatalog.fromClasspath();

    assertThat(AvroSchemas.withoutJavaProperties(Order.getClassSchema()))
        .isEqualTo(catalog.require("orders", "order").value());
    assertThat(AvroSchemas.withoutJavaProperties(OrderLineKey.getClassSchema()))
        .isEqualTo(catalog.require("orders", "order_line").key());
  }

  @Test
  void repositoryDirectoryLoadsTheSameAsTheClasspath() {
    SchemaCatalog fromDir = SchemaCatalog.load(Path.of("").toAbsolutePath());
    SchemaCatalog fromClasspath = SchemaCatalog.fromClasspath();

    assertThat(fromDir.all()).isEqualTo(fromClasspath.all());
  }

  @Test
  void serviceDirectoryLoadsThatServiceOnly() {
    SchemaCatalog catalog = SchemaCatalog.load(Path.of("orders").toAbsolutePath());

    assertThat(catalog.services()).containsExactly("orders");
    assertThat(catalog.entities("orders")).hasSize(2);
  }

  @Test
  void entityNameIsSnakeCaseWithoutKeySuffix() {
    assertThat(SchemaCatalog.entityName("Order")).isEqualTo("order");
    assertThat(SchemaCatalog.entityName("OrderLine")).isEqualTo("order_line");
    assertThat(SchemaCatalog.entityName("OrderLineKey")).isEqualTo("order_line");
    assertThat(SchemaCatalog.entityName("VATRate")).isEqualTo("vat_rate");
  }

  @Test
  void invalidSchemaFailsNamingTheFileAndTheProblem(@TempDir Path dir) throws IOException {
    Path shop = Files.createDirectories(dir.resolve("shop"));
    Files.writeString(
        shop.resolve("Thing.avsc"),
        "{\"type\":\"record\",\"name\":\"Thing\",\"fields\":[{\"name\":\"id\",\"type\":\"lng\"}]}");
    Files.writeString(
        shop.resolve("ThingKey.avsc"),
        "{\"type\":\"record\",\"name\":\"ThingKey\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}");

    assertThatThrownBy(() -> SchemaCatalog.load(dir))
        .isInstanceOf(SchemaCatalogException.class)
        .hasMessageContaining("Thing.avsc")
        .hasMessageContaining("not a valid Avro schema")
        .hasMessageContaining("lng");
  }

  @Test
  void everyProblemIsReportedOnce(@TempDir Path dir) throws IOException {
    Path shop = Files.createDirectories(dir.resolve("shop"));
    Files.writeString(shop.resolve("Broken.avsc"), "{\"type\": \"record\", ");
    Files.writeString(
        shop.resolve("Lonely.avsc"),
        "{\"type\":\"record\",\"name\":\"Lonely\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}");
    Files.writeString(
        shop.resolve("Misnamed.avsc"),
        "{\"type\":\"record\",\"name\":\"Other\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}");

    assertThatThrownBy(() -> SchemaCatalog.load(dir))
        .isInstanceOfSatisfying(
            SchemaCatalogException.class,
            e ->
                assertThat(e.problems())
                    .satisfiesExactlyInAnyOrder(
                        p -> assertThat(p).contains("Broken.avsc", "not a valid Avro schema"),
                        p -> assertThat(p).contains("Lonely.avsc", "no key schema", "LonelyKey"),
                        p -> assertThat(p).contains("Misnamed.avsc", "'Other'")));
  }

  @Test
  void directoryWithoutSchemasIsAnError(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("empty"));

    assertThatThrownBy(() -> SchemaCatalog.load(dir))
        .isInstanceOf(SchemaCatalogException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("no Avro schemas found");
  }
}
