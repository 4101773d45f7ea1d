package dev.carve.schemas.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.schemas.registry.CompatibilityLevel;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class CompatibilityTest {
  private static Schema parse(String json) {
    return new Schema.Parser().parse(json);
  }

  @Test
  void nestedFieldIsNamedByItsDottedPath() {
    Schema old =
        parse(
            """
            {"type":"record","name":"Order","fields":[
              {"name":"id","type":"long"},
              {"name":"ship","type":{"type":"record","name":"Address","fields":[
                {"name":"city","type":"string"}]}}]}
            """);
    Schema changed =
        parse(
            """
            {"type":"record","name":"Order","fields":[
              {"name":"id","type":"long"},
              {"name":"ship","type":{"type":"record","name":"Address","fields":[
                {"name":"city","type":"int"}]}}]}
            """);

    List<Compatibility.Violation> violations =
        Compatibility.check(
            CompatibilityLevel.BACKWARD, changed, List.of(new Compatibility.Version(4, old)));

    assertThat(violations)
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.field()).isEqualTo("ship.city");
              assertThat(v.type()).isEqualTo("TYPE_MISMATCH");
              assertThat(v.version()).isEqualTo(4);
              assertThat(v.description())
                  .isEqualTo("field 'ship.city' changed type from string to int");
            });
  }

  @Test
  void enumSymbolRemovalBreaksBackwardAndAdditionBreaksForward() {
    Schema two =
        parse(
            """
            {"type":"record","name":"R","fields":[{"name":"s","type":
              {"type":"enum","name":"S","symbols":["A","B"]}}]}
            """);
    Schema three =
        parse(
            """
            {"type":"record","name":"R","fields":[{"name":"s","type":
              {"type":"enum","name":"S","symbols":["A","B","C"]}}]}
            """);

    assertThat(
            Compatibility.check(
                CompatibilityLevel.BACKWARD, three, List.of(new Compatibility.Version(1, two))))
        .isEmpty();
    assertThat(
            Compatibility.check(
                CompatibilityLevel.FORWARD, three, List.of(new Compatibility.Version(1, two))))
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.type()).isEqualTo("MISSING_ENUM_SYMBOLS");
              assertThat(v.description()).contains("field 's' gained symbols").contains("C");
            });
  }

  @Test
  void noneChecksNothing() {
    Schema a =
        parse(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}");
    Schema b =
        parse(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"y\",\"type\":\"int\"}]}");

    assertThat(
            Compatibility.check(
                CompatibilityLevel.NONE, b, List.of(new Compatibility.Version(1, a))))
        .isEmpty();
    assertThat(
            Compatibility.check(
                CompatibilityLevel.FULL, b, List.of(new Compatibility.Version(1, a))))
        .hasSize(2);
  }
}
