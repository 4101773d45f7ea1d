package dev.carve.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Schema evolution under the compatibility levels, checked with Avro's SchemaCompatibility. */
class SchemaEvolutionTest {
  private static final String SUBJECT = "orders.order-value";

  private static final Schema BASE =
      parse(
          """
          {"type":"record","name":"Order","namespace":"t","fields":[
            {"name":"order_id","type":"long"},
            {"name":"total_cents","type":"long"}]}
          """);
  private static final Schema ADDED_WITH_DEFAULT =
      parse(
          """
          {"type":"record","name":"Order","namespace":"t","fields":[
            {"name":"order_id","type":"long"},
            {"name":"total_cents","type":"long"},
            {"name":"currency","type":"string","default":"EUR"}]}
          """);
  private static final Schema ADDED_WITHOUT_DEFAULT =
      parse(
          """
          {"type":"record","name":"Order","namespace":"t","fields":[
            {"name":"order_id","type":"long"},
            {"name":"total_cents","type":"long"},
            {"name":"currency","type":"string"}]}
          """);
  private static final Schema REMOVED =
      parse(
          """
          {"type":"record","name":"Order","namespace":"t","fields":[
            {"name":"order_id","type":"long"}]}
          """);
  private static final Schema RENAMED_WITH_ALIAS =
      parse(
          """
          {"type":"record","name":"Order","namespace":"t","fields":[
            {"name":"order_id","type":"long"},
            {"name":"amount_cents","type":"long","aliases":["total_cents"]}]}
          """);
  private static final Schema RENAMED_WITHOUT_ALIAS =
      parse(
          """
          {"type":"record","name":"Order","namespace":"t","fields":[
            {"name":"order_id","type":"long"},
            {"name":"amount_cents","type":"long"}]}
          """);

  private final String scope = "evolution-" + UUID.randomUUID();
  private final SchemaRegistryClient registry = MockSchemaRegistry.client(scope);

  private static Schema parse(String json) {
    return new Schema.Parser().parse(json);
  }

  @AfterEach
  void drop() {
    MockSchemaRegistry.drop(scope);
  }

  private void start(CompatibilityLevel level) {
    registry.setSubjectCompatibility(SUBJECT, level);
    registry.register(SUBJECT, BASE);
  }

  @Test
  void defaultLevelIsBackward() {
    assertThat(registry.globalCompatibility()).isEqualTo(CompatibilityLevel.BACKWARD);
  }

  @Test
  void addingAFieldWithADefaultIsAcceptedUnderBackward() {
    start(CompatibilityLevel.BACKWARD);

    assertThat(registry.register(SUBJECT, ADDED_WITH_DEFAULT)).isPositive();
    assertThat(registry.versions(SUBJECT)).containsExactly(1, 2);
  }

  @Test
  void addingAFieldWithoutADefaultIsRejectedUnderBackwardNamingTheField() {
    start(CompatibilityLevel.BACKWARD);

    assertThatThrownBy(() -> registry.register(SUBJECT, ADDED_WITHOUT_DEFAULT))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> assertThat(e.errorCode()).isEqualTo(RegistryException.INCOMPATIBLE_SCHEMA))
        .hasMessageContaining("READER_FIELD_MISSING_DEFAULT_VALUE")
        .hasMessageContaining("field 'currency' was added without a default");
  }

  @Test
  void removingAFieldWithoutDefaultIsAcceptedUnderBackwardButRejectedUnderForwardAndFull() {
    start(CompatibilityLevel.BACKWARD);
    assertThat(registry.testCompatibility(SUBJECT, REMOVED).compatible()).isTrue();

    registry.setSubjectCompatibility(SUBJECT, CompatibilityLevel.FORWARD);
    CompatibilityResult forward = registry.testCompatibility(SUBJECT, REMOVED);
    registry.setSubjectCompatibility(SUBJECT, CompatibilityLevel.FULL);
    CompatibilityResult full = registry.testCompatibility(SUBJECT, REMOVED);

    assertThat(forward.compatible()).isFalse();
    assertThat(forward.messages())
        .anySatisfy(
            m -> assertThat(m).contains("field 'total_cents' was removed without a default"));
    assertThat(full.compatible()).isFalse();
    assertThatThrownBy(() -> registry.register(SUBJECT, REMOVED))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining("total_cents");
  }

  @Test
  void renamingWithAnAliasIsBackwardCompatibleButWithoutIsNot() {
    start(CompatibilityLevel.BACKWARD);

    assertThat(registry.testCompatibility(SUBJECT, RENAMED_WITHOUT_ALIAS).compatible()).isFalse();
    assertThat(registry.register(SUBJECT, RENAMED_WITH_ALIAS)).isPositive();
  }

  @Test
  void transitiveLevelsCheckEveryEarlierVersionNotOnlyTheLatest() {
    Schema v1 =
        parse(
            """
            {"type":"record","name":"Order","namespace":"t","fields":[
              {"name":"order_id","type":"long"},
              {"name":"channel","type":"string"}]}
            """);
    Schema v2 = REMOVED;
    Schema channelAsNumber =
        parse(
            """
            {"type":"record","name":"Order","namespace":"t","fields":[
              {"name":"order_id","type":"long"},
              {"name":"channel","type":"int","default":0}]}
            """);
    registry.setSubjectCompatibility(SUBJECT, CompatibilityLevel.BACKWARD);
    registry.register(SUBJECT, v1);
    registry.register(SUBJECT, v2);

    boolean againstLatest = registry.testCompatibility(SUBJECT, channelAsNumber).compatible();
    registry.setSubjectCompatibility(SUBJECT, CompatibilityLevel.BACKWARD_TRANSITIVE);

    assertThat(againstLatest).isTrue();
    assertThatThrownBy(() -> registry.register(SUBJECT, channelAsNumber))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining("TYPE_MISMATCH")
        .hasMessageContaining("field 'channel' changed type from string to int")
        .hasMessageContaining("oldSchemaVersion:1");
  }

  @Test
  void registeringTheSameSchemaAgainKeepsItsIdAndVersion() {
    start(CompatibilityLevel.FULL);
    int id = registry.lookup(SUBJECT, BASE).id();

    assertThat(registry.register(SUBJECT, parse(BASE.toString(true)))).isEqualTo(id);
    assertThat(registry.versions(SUBJECT)).containsExactly(1);
  }
}
