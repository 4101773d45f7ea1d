package dev.carve.cli.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.transform.api.LegacyKeys;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collision check of {@code carve verify} over the keys a mapping allocates. A real collision
 * of the allocation's 63-bit hash cannot be produced here, so the colliding allocations are told to
 * the check directly, as {@link LegacyKeys} would tell them.
 */
class KeyCheckTest {

  @Test
  void theKeysAllocatedWhileObservedAreCountedByNamespaceAndDoNotCollide(@TempDir Path dir)
      throws Exception {
    KeyCheck check = new KeyCheck(dir, 3);
    try (LegacyKeys.Observation observed = LegacyKeys.observe(check)) {
      for (int i = 0; i < 500; i++) {
        LegacyKeys.allocate("customer", "C" + (i % 200)); // asked again and again
        LegacyKeys.allocate("order", "ORD-" + i);
        LegacyKeys.allocate("order", "ORD-" + i); // an order and its line, in a row
      }
    }
    check.close();
    LegacyKeys.allocate("customer", "C-not-observed");

    ReconcileReport.Keys keys = check.check();

    assertThat(keys.checked())
        .containsExactly(Map.entry("customer", 200L), Map.entry("order", 500L));
    assertThat(keys.collisionCount()).isZero();
    assertThat(keys.collisions()).isEmpty();
    assertThat(keys.summary())
        .isEqualTo("new keys (customer 200, order 500): each belongs to one legacy value");
  }

  @Test
  void aKeyGivenToTwoLegacyValuesOfANamespaceIsACollisionNamingBoth(@TempDir Path dir)
      throws Exception {
    KeyCheck check = new KeyCheck(dir, 4);
    check.allocated("customer", "C2", 42);
    check.allocated("customer", "C1", 42);
    check.allocated("customer", "C2", 42);
    check.allocated("customer", "C3", 43);
    check.allocated("order", "ORD-1", 42); // another namespace: not the customers' key 42
    check.allocated("order", "ORD-2", 7);
    check.allocated("order", "ORD-3", 7);
    check.allocated("order", "ORD-4", 7);
    check.close();

    ReconcileReport.Keys keys = check.check();

    assertThat(keys.collisionCount()).isEqualTo(2);
    assertThat(keys.collisions())
        .containsExactlyInAnyOrder(
            new ReconcileReport.KeyCollision("customer", 42, List.of("C1", "C2")),
            new ReconcileReport.KeyCollision("order", 7, List.of("ORD-2", "ORD-3", "ORD-4")));
    assertThat(keys.checked()).containsExactly(Map.entry("customer", 2L), Map.entry("order", 2L));

    ReconcileReport report =
        new ReconcileReport(
            "orders",
            List.of(
                new ReconcileReport.EntityResult(
                    "order", 5, 5, List.of(), 0, List.of(), 0, List.of(), 0, List.of())),
            false,
            List.of(),
            0,
            keys);
    assertThat(report.equal())
        .as("the tables compare equal, but two legacy rows share one target row")
        .isFalse();
    assertThat(report.brief())
        .contains(
            "orders.order 5 rows equal; KEY COLLISION: 2 new keys given to more than one legacy"
                + " value (customer 2, order 2)");
    assertThat(report.render())
        .contains("customer 42 was given to 'C1', 'C2': their rows share one target row")
        .contains("order 7 was given to 'ORD-2', 'ORD-3', 'ORD-4'");
  }

  @Test
  void aThreadIsObservedByOneObserverAtATime() {
    try (LegacyKeys.Observation observed = LegacyKeys.observe((n, v, k) -> {})) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> LegacyKeys.observe((n, v, k) -> {}))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("observed already");
    }
    try (LegacyKeys.Observation again = LegacyKeys.observe((n, v, k) -> {})) {
      assertThat(again).as("closing the first observation ended it").isNotNull();
    }
  }
}
