package dev.carve.schemas.serde;

import java.util.Map;
import java.util.Objects;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka {@link Serde} of Avro records in the Confluent wire format: an {@link AvroSerializer} and
 * an {@link AvroDeserializer}. Build one with {@link AvroSerdes}.
 *
 * @param <T> the record type
 */
public class AvroSerde<T extends GenericContainer> implements Serde<T> {
  private final AvroSerializer<T> serializer;
  private final AvroDeserializer<T> deserializer;

  /** Pairs a serializer and a deserializer. */
  public AvroSerde(AvroSerializer<T> serializer, AvroDeserializer<T> deserializer) {
    this.serializer = Objects.requireNonNull(serializer, "serializer");
    this.deserializer = Objects.requireNonNull(deserializer, "deserializer");
  }

  /** Configures both halves (see {@link AvroSerdeConfig} for the keys). */
  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    serializer.configure(configs, isKey);
    deserializer.configure(configs, isKey);
  }

  @Override
  public Serializer<T> serializer() {
    return serializer;
  }

  @Override
  public Deserializer<T> deserializer() {
    return deserializer;
  }

  @Override
  public void close() {
    serializer.close();
    deserializer.close();
  }
}
