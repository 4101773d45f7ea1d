package dev.carve.transform.internal;

import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.transform.api.SerdeFactory;
import java.util.Map;

/**
 * The {@link SerdeFactory} of the runtime: carve-schemas' Confluent-format serde ({@code
 * AvroSerdes.generic(config, isKey)}, contracts §5).
 */
public final class CarveAvroSerdes {
  private CarveAvroSerdes() {}

  /** A factory of serdes configured with {@code config} (e.g. {@code schema.registry.url}). */
  public static SerdeFactory factory(Map<String, ?> config) {
    Map<String, ?> copy = Map.copyOf(config);
    return isKey -> AvroSerdes.generic(copy, isKey);
  }
}
