package dev.carve.schemas.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.schemas.registry.CompatibilityLevel;
import dev.carve.schemas.registry.RegistryException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;

/**
 * Regression: when a store write timed out, the registry kept its memory unchanged, but the record
 * could still be delivered later (a Kafka producer keeps retrying); the next registration then took
 * the same id (maxId + 1) for another schema. Now the registry re-reads the store once the late
 * write has settled before it writes again, and refuses to write until then.
 */
class RegistryCoreStoreFailureTest {
  private static final Schema A = SchemaBuilder.record("A").fields().requiredLong("id").endRecord();
  private static final Schema B = SchemaBuilder.record("B").fields().requiredLong("id").endRecord();
  private static final Schema C = SchemaBuilder.record("C").fields().requiredLong("id").endRecord();

  /**
   * A store whose next write can time out with its record still in flight, delivered later: the
   * behaviour of a Kafka producer whose {@code send().get(timeout)} timed out.
   */
  private static final class LateDeliveryStore implements RegistryStore {
    final List<Map.Entry<String, String>> log = new ArrayList<>();
    Map.Entry<String, String> inFlight;
    boolean timeOutNextWrite;

    @Override
    public void replay(BiConsumer<String, String> apply) {
      log.forEach(e -> apply.accept(e.getKey(), e.getValue()));
    }

    @Override
    public void write(String key, String value) {
      if (timeOutNextWrite) {
        timeOutNextWrite = false;
        inFlight = new java.util.AbstractMap.SimpleEntry<>(key, value);
        throw new IllegalStateException("Timed out after 30000 ms writing to the test store");
      }
      log.add(new java.util.AbstractMap.SimpleEntry<>(key, value));
    }

    void deliverInFlight() {
      log.add(inFlight);
      inFlight = null;
    }

    @Override
    public boolean awaitPendingWrites() {
      return inFlight == null;
    }

    @Override
    public String describe() {
      return "test store";
    }

    @Override
    public void close() {}
  }

  @Test
  void aTimedOutWriteDeliveredLaterDoesNotGiveItsIdToAnotherSchema() {
    LateDeliveryStore store = new LateDeliveryStore();
    RegistryCore core = new RegistryCore(store, CompatibilityLevel.NONE);
    assertThat(core.register("a-value", A.toString(), null)).isEqualTo(1);
    store.timeOutNextWrite = true;

    assertThatThrownBy(() -> core.register("b-value", B.toString(), null))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(50001));
    store.deliverInFlight();
    int idOfC = core.register("c-value", C.toString(), null);

    assertThat(idOfC).isEqualTo(3);
    assertThat(core.schemaById(2)).isEqualTo(B);
    assertThat(core.schemaById(3)).isEqualTo(C);
    assertThat(core.versions("b-value")).containsExactly(1);
    assertThat(new RegistryCore(store, CompatibilityLevel.NONE).schemaById(3)).isEqualTo(C);
  }

  @Test
  void noWriteWhileATimedOutWriteIsStillInFlight() {
    LateDeliveryStore store = new LateDeliveryStore();
    RegistryCore core = new RegistryCore(store, CompatibilityLevel.NONE);
    store.timeOutNextWrite = true;
    assertThatThrownBy(() -> core.register("b-value", B.toString(), null))
        .isInstanceOf(RegistryException.class);

    assertThatThrownBy(() -> core.register("c-value", C.toString(), null))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(50001))
        .hasMessageContaining("test store")
        .hasMessageContaining("has not completed");
    assertThatThrownBy(() -> core.setLevel("c-value", "FULL"))
        .isInstanceOf(RegistryException.class);
    assertThat(store.log).isEmpty();

    store.deliverInFlight();

    assertThat(core.register("c-value", C.toString(), null)).isEqualTo(2);
  }

  @Test
  void replayFailsLoudlyWhenAnIdArrivesAgainWithAnotherSchema() {
    LateDeliveryStore store = new LateDeliveryStore();
    RegistryCore core = new RegistryCore(store, CompatibilityLevel.NONE);
    core.register("a-value", A.toString(), null);
    store.log.add(
        new java.util.AbstractMap.SimpleEntry<>(
            "{\"keytype\":\"SCHEMA\",\"subject\":\"b-value\",\"version\":1,\"magic\":1}",
            "{\"subject\":\"b-value\",\"version\":1,\"id\":1,\"schema\":"
                + new com.fasterxml.jackson.databind.node.TextNode(B.toString())
                + ",\"deleted\":false}"));

    assertThatThrownBy(() -> new RegistryCore(store, CompatibilityLevel.NONE))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("schema id 1")
        .hasMessageContaining("b-value");
  }
}
