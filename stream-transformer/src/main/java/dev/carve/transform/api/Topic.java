package dev.carve.transform.api;

import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;

/**
 * A typed Kafka topic: its name and the serdes of its keys and values, built once per topology.
 *
 * @param name the topic name, e.g. {@code orders.order}; never null
 * @param keySerde serde of the record keys; never null
 * @param valueSerde serde of the record values (a null value is a delete); never null
 * @param <K> key type
 * @param <V> value type
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {

  /** Validates that nothing is null. */
  public Topic {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keySerde, "keySerde of topic " + name);
    Objects.requireNonNull(valueSerde, "valueSerde of topic " + name);
  }

  /** Creates a typed topic. */
  public static <K, V> Topic<K, V> of(String name, Serde<K> keySerde, Serde<V> valueSerde) {
    return new Topic<>(name, keySerde, valueSerde);
  }

  @Override
  public String toString() {
    return name;
  }
}
