package dev.carve.schemas.serde;

import org.apache.avro.generic.GenericRecord;

/**
 * The serde of generic records with a no-argument constructor, for Kafka's class-name settings
 * ({@code default.key.serde}, {@code default.value.serde}); Kafka calls {@link #configure}.
 */
public class GenericAvroSerde extends AvroSerde<GenericRecord> {
  /** Creates an unconfigured serde. */
  public GenericAvroSerde() {
    super(new AvroSerializer<>(), new AvroDeserializer<>());
  }
}
