package dev.carve.transform.internal;

import dev.carve.transform.api.SerdeFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serde;

/**
 * The {@link SerdeFactory} of the runtime: carve-schemas' Confluent-format serde ({@code
 * dev.carve.schemas.serde.AvroSerdes.generic(config, isKey)}, contracts §5).
 */
public final class CarveAvroSerdes {
  private static final String CLASS = "dev.carve.schemas.serde.AvroSerdes";

  private CarveAvroSerdes() {}

  /**
   * A factory of serdes configured with {@code config} (e.g. {@code schema.registry.url}).
   *
   * @throws IllegalStateException when carve-schemas' serde is not on the classpath
   */
  @SuppressWarnings("unchecked")
  public static SerdeFactory factory(Map<String, ?> config) {
    Method generic;
    try {
      generic = Class.forName(CLASS).getMethod("generic", Map.class, boolean.class);
    } catch (ClassNotFoundException | NoSuchMethodException e) {
      throw new IllegalStateException(
          "The Avro serde "
              + CLASS
              + ".generic(Map, boolean) of carve-schemas is not on the"
              + " classpath; add carve-schemas or pass a SerdeFactory",
          e);
    }
    Map<String, ?> copy = Map.copyOf(config);
    return isKey -> {
      try {
        return (Serde<GenericRecord>) generic.invoke(null, copy, isKey);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException("Cannot call " + CLASS + ".generic", e);
      } catch (InvocationTargetException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException r) {
          throw r;
        }
        throw new IllegalStateException("Cannot create the Avro serde: " + cause, cause);
      }
    };
  }
}
