package dev.carve.transform.api;

import java.util.Objects;

/**
 * A domain record together with the topic it goes to; what a {@link TableMapper} returns.
 *
 * @param topic the domain topic; never null
 * @param record the record; never null
 * @param <K> key type
 * @param <V> value type
 */
public record Output<K, V>(Topic<K, V> topic, DomainRecord<K, V> record) {

  /** Validates that nothing is null. */
  public Output {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(record, "record");
  }

  /** Sends {@code record} to {@code topic}. */
  public static <K, V> Output<K, V> to(Topic<K, V> topic, DomainRecord<K, V> record) {
    return new Output<>(topic, record);
  }
}
