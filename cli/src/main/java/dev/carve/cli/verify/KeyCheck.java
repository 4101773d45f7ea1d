package dev.carve.cli.verify;

import dev.carve.transform.api.LegacyKeys;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Proves that no two legacy values of a namespace got the same new key while the source was mapped.
 * {@link LegacyKeys}' allocation is a hash, so a collision is unlikely, not impossible; if one
 * happened, two legacy rows would share one target row and the comparison of rows alone might not
 * show it. Every allocation the mapping makes is spilled by new key and read back one bucket at a
 * time, so memory stays bounded by a bucket.
 */
final class KeyCheck implements LegacyKeys.Observer, AutoCloseable {
  private final Spill spill;
  private String lastNamespace;
  private String lastValue;

  KeyCheck(Path dir, int buckets) throws IOException {
    this.spill = new Spill(dir, buckets);
  }

  @Override
  public void allocated(String namespace, String legacyValue, long key) {
    if (legacyValue.equals(lastValue) && namespace.equals(lastNamespace)) {
      return; // an order and each of its lines ask for the same key in a row
    }
    lastNamespace = namespace;
    lastValue = legacyValue;
    try {
      DataOutputStream out = spill.out(bucketOf(namespace, key));
      Spill.writeString(out, namespace);
      out.writeLong(key);
      Spill.writeString(out, legacyValue);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not spill the allocated keys", e);
    }
  }

  @Override
  public void close() throws IOException {
    spill.close();
  }

  /** Reads the allocations back (after {@link #close}) and finds the keys given more than once. */
  ReconcileReport.Keys check() throws IOException {
    Map<String, Long> checked = new TreeMap<>();
    List<ReconcileReport.KeyCollision> collisions = new ArrayList<>();
    long collisionCount = 0;
    for (int b = 0; b < spill.buckets; b++) {
      Map<String, Map<Long, String>> first = new HashMap<>();
      Map<String, Map<Long, TreeSet<String>>> shared = new TreeMap<>();
      spill.forEach(
          b,
          in -> {
            String namespace = Spill.readString(in);
            long key = in.readLong();
            String value = Spill.readString(in);
            String was =
                first.computeIfAbsent(namespace, n -> new HashMap<>()).putIfAbsent(key, value);
            if (was != null && !was.equals(value)) {
              TreeSet<String> values =
                  shared
                      .computeIfAbsent(namespace, n -> new TreeMap<>())
                      .computeIfAbsent(key, k -> new TreeSet<>());
              values.add(was);
              values.add(value);
            }
          });
      first.forEach((namespace, keys) -> checked.merge(namespace, (long) keys.size(), Long::sum));
      for (Map.Entry<String, Map<Long, TreeSet<String>>> n : shared.entrySet()) {
        for (Map.Entry<Long, TreeSet<String>> k : n.getValue().entrySet()) {
          collisionCount++;
          if (collisions.size() < ReconcileReport.SAMPLE) {
            collisions.add(
                new ReconcileReport.KeyCollision(
                    n.getKey(), k.getKey(), List.copyOf(k.getValue())));
          }
        }
      }
    }
    return new ReconcileReport.Keys(checked, collisions, collisionCount);
  }

  private int bucketOf(String namespace, long key) {
    return Reconciler.bucketOf(namespace + ':' + key, spill.buckets);
  }
}
