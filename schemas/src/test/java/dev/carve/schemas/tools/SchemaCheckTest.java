package dev.carve.schemas.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.schemas.SchemaCatalog;
import dev.carve.schemas.registry.CompatibilityLevel;
import dev.carve.schemas.registry.MockSchemaRegistry;
import dev.carve.schemas.registry.SchemaRegistryClient;
import dev.carve.schemas.tools.SchemaCheckReport.Status;
import dev.carve.schemas.tools.SchemaCheckReport.SubjectResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaCheckTest {
  private final String scope = "check-" + UUID.randomUUID();
  private final SchemaRegistryClient registry = MockSchemaRegistry.client(scope);

  @TempDir Path dir;

  @AfterEach
  void drop() {
    MockSchemaRegistry.drop(scope);
  }

  /** The orders contracts with Order.avsc edited. */
  private SchemaCatalog ordersWith(UnaryOperator<String> edit) throws IOException {
    Path orders = Files.createDirectories(dir.resolve("orders"));
    for (String name : new String[] {"Order", "OrderKey", "OrderLine", "OrderLineKey"}) {
      String text = Files.readString(Path.of("orders", name + ".avsc"));
      Files.writeString(
          orders.resolve(name + ".avsc"), name.equals("Order") ? edit.apply(text) : text);
    }
    return SchemaCatalog.load(dir);
  }

  private static SubjectResult subject(SchemaCheckReport report, String subject) {
    return report.subjects().stream()
        .filter(s -> s.subject().equals(subject))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void freshRegistryShowsEverySubjectNewAndRegisterRegistersThemAll() {
    SchemaCheck check = new SchemaCheck(SchemaCatalog.fromClasspath(), registry);

    SchemaCheckReport before = check.check();
    SchemaCheckReport registered = check.register();
    SchemaCheckReport after = check.check();

    assertThat(before.subjects()).hasSize(10).allMatch(s -> s.status() == Status.NEW);
    assertThat(before.subjects())
        .extracting(SubjectResult::subject)
        .contains(
            "orders.order-key",
            "orders.order-value",
            "orders.order_line-value",
            "customers.address-key",
            "billing.invoice-value");
    assertThat(registered.registered()).isTrue();
    assertThat(registered.subjects()).allMatch(s -> s.id() != null);
    assertThat(registry.subjects()).hasSize(10);
    assertThat(after.subjects()).allMatch(s -> s.status() == Status.UNCHANGED);
    assertThat(after.ok()).isTrue();
  }

  @Test
  void removedFieldWithoutDefaultIsIncompatibleUnderFullNamingSubjectFieldAndRule()
      throws IOException {
    new SchemaCheck(ordersWith(t -> t), registry).register("orders");
    registry.setSubjectCompatibility("orders.order-value", CompatibilityLevel.FULL);
    SchemaCatalog changed =
        ordersWith(
            t ->
                t.replace(
                    "   {\"name\": \"total_cents\", \"type\": \"long\", \"doc\": \"Order total in"
                        + " minor units (cents) of the currency.\"},\n",
                    ""));
    assertThat(changed.require("orders", "order").value().getField("total_cents")).isNull();
    SchemaCheck check = new SchemaCheck(changed, registry);

    SchemaCheckReport report = check.check("orders");
    SchemaCheckReport attempt = check.register("orders");

    SubjectResult value = subject(report, "orders.order-value");
    assertThat(value.status()).isEqualTo(Status.INCOMPATIBLE);
    assertThat(value.changes())
        .singleElement()
        .hasToString(
            "orders.order-value: field 'total_cents' was removed without a default"
                + " (READER_FIELD_MISSING_DEFAULT_VALUE) — breaks FULL against version 1");
    assertThat(subject(report, "orders.order-key").status()).isEqualTo(Status.UNCHANGED);
    assertThat(report.ok()).isFalse();
    assertThat(report.render())
        .contains("INCOMPATIBLE  orders.order-value (FULL)")
        .contains("Result: 1 incompatible, 0 compatible, 0 new, 3 unchanged");
    assertThat(attempt.registered()).isFalse();
    assertThat(registry.versions("orders.order-value")).containsExactly(1);
    assertThatThrownBy(report::throwIfIncompatible)
        .isInstanceOf(IncompatibleSchemaException.class)
        .hasMessageContaining("field 'total_cents' was removed without a default");
  }

  @Test
  void addedFieldWithDefaultIsCompatibleAndRegistersANewVersion() throws IOException {
    new SchemaCheck(ordersWith(t -> t), registry).register("orders");
    SchemaCatalog changed =
        ordersWith(
            t ->
                t.replace(
                    "{\"name\": \"line_count\"",
                    "{\"name\": \"channel\", \"type\": [\"null\", \"string\"], \"default\": null,"
                        + " \"doc\": \"Sales channel.\"},\n   {\"name\": \"line_count\""));
    SchemaCheck check = new SchemaCheck(changed, registry);

    SchemaCheckReport report = check.check("orders");
    SchemaCheckReport registered = check.register("orders");

    assertThat(subject(report, "orders.order-value").status()).isEqualTo(Status.COMPATIBLE);
    assertThat(subject(report, "orders.order-value").level())
        .isEqualTo(CompatibilityLevel.BACKWARD);
    assertThat(registered.registered()).isTrue();
    assertThat(registry.versions("orders.order-value")).containsExactly(1, 2);
    assertThat(registered.render()).contains("all schemas are registered");
  }

  @Test
  void addedFieldWithoutDefaultBreaksBackward() throws IOException {
    new SchemaCheck(ordersWith(t -> t), registry).register("orders");
    SchemaCatalog changed =
        ordersWith(
            t ->
                t.replace(
                    "{\"name\": \"line_count\"",
                    "{\"name\": \"channel\", \"type\": \"string\"},\n   {\"name\": \"line_count\""));

    SchemaCheckReport report = new SchemaCheck(changed, registry).check("orders");

    assertThat(report.changes())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.field()).isEqualTo("channel");
              assertThat(c.rule()).isEqualTo("READER_FIELD_MISSING_DEFAULT_VALUE");
              assertThat(c.level()).isEqualTo(CompatibilityLevel.BACKWARD);
              assertThat(c.toString())
                  .isEqualTo(
                      "orders.order-value: field 'channel' was added without a default"
                          + " (READER_FIELD_MISSING_DEFAULT_VALUE) — breaks BACKWARD against"
                          + " version 1");
            });
  }

  @Test
  void unknownServiceIsRefusedListingTheKnownOnes() {
    SchemaCheck check = new SchemaCheck(SchemaCatalog.fromClasspath(), registry);

    assertThatThrownBy(() -> check.check("shipping"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("shipping")
        .hasMessageContaining("[billing, customers, orders]");
  }
}
