package dev.carve.transform.internal;

import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A value already serialized for its destination topic. The mapping processor serializes with the
 * typed topic's own serde (so a record that cannot be serialized is dead-lettered like any mapping
 * error) and one sink routes by {@link #topic}.
 *
 * @param topic the destination topic
 * @param value the serialized value; null for a tombstone
 */
record Routed(String topic, byte[] value) {

  Routed {
    Objects.requireNonNull(topic, "topic");
  }

  /** Writes the bytes as they are; reading is never needed (the sink is the last node). */
  static final class RoutedSerde implements Serde<Routed> {
    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {}

    @Override
    public void close() {}

    @Override
    public Serializer<Routed> serializer() {
      return (topic, routed) -> routed == null ? null : routed.value();
    }

    @Override
    public Deserializer<Routed> deserializer() {
      return (topic, bytes) -> {
        throw new UnsupportedOperationException("Routed values are only written, never read");
      };
    }
  }
}
