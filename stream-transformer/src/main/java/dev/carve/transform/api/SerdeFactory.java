package dev.carve.transform.api;

import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serde;

/**
 * Makes the Avro serdes of the domain topics. The runtime uses the Confluent-format serde of
 * carve-schemas ({@code AvroSerdes.generic}); tests pass one bound to a {@code mock://} registry.
 */
@FunctionalInterface
public interface SerdeFactory {
  /**
   * Creates a configured serde.
   *
   * @param isKey true for the serde of record keys (subject {@code <topic>-key})
   * @return a new serde; never null
   */
  Serde<GenericRecord> create(boolean isKey);
}
