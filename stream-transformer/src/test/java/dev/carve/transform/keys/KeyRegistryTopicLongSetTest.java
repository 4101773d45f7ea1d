package dev.carve.transform.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The compact set of proposals a registry snapshot keeps, against a {@code HashSet}. */
class KeyRegistryTopicLongSetTest {

  @Test
  void addsAndRemovesLikeAHashSetThroughGrowthAndCollidingRuns() {
    KeyRegistryTopic.LongSet set = new KeyRegistryTopic.LongSet();
    Set<Long> expected = new HashSet<>();
    Random random = new Random(42);
    for (int i = 0; i < 200_000; i++) {
      // Small values collide often in their slots; every third operation is a removal.
      long v = 1 + random.nextInt(50_000);
      if (i % 3 == 0) {
        set.remove(v);
        expected.remove(v);
      } else {
        set.add(v);
        expected.add(v);
      }
    }
    assertThat(set.size()).isEqualTo(expected.size());
    for (long v = 1; v <= 50_000; v++) {
      assertThat(set.contains(v)).as("contains %d", v).isEqualTo(expected.contains(v));
    }
  }
}
