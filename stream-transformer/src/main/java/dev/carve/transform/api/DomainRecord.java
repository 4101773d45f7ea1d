package dev.carve.transform.api;

import dev.carve.core.SourcePosition;
import java.util.Objects;

/**
 * One record of a domain topic: the new key, the entity value (null for a delete) and the source
 * position of the change that produced it.
 *
 * @param key the new primary key; never null
 * @param value the entity, or null when the record deletes the key
 * @param position the source position written into the record headers; never null
 * @param <K> key type
 * @param <V> value type
 */
public record DomainRecord<K, V>(K key, V value, SourcePosition position) {

  /** Validates that the key and the position are present. */
  public DomainRecord {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(position, "position");
  }

  /** An insert or update of {@code key}. */
  public static <K, V> DomainRecord<K, V> upsert(K key, V value, SourcePosition position) {
    Objects.requireNonNull(value, "value of an upsert (use DomainRecord.delete for deletes)");
    return new DomainRecord<>(key, value, position);
  }

  /** A delete of {@code key}: a tombstone in the domain topic. */
  public static <K, V> DomainRecord<K, V> delete(K key, SourcePosition position) {
    return new DomainRecord<>(key, null, position);
  }

  /** True when this record deletes its key. */
  public boolean isDelete() {
    return value == null;
  }
}
