package dev.carve.transform.testing;

import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.transform.api.SerdeFactory;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serde;

/**
 * carve-schemas' Avro serde (Confluent wire format) on the in-memory {@code mock://} registry, for
 * TopologyTestDriver tests.
 */
public final class TestAvroSerdes {
  /** The registry URL the tests share. */
  public static final String REGISTRY = "mock://carve-transform-test";

  private static final Map<String, Object> CONFIG = Map.of("schema.registry.url", REGISTRY);

  private TestAvroSerdes() {}

  /** The factory the tests give the topology context. */
  public static SerdeFactory factory() {
    return isKey -> AvroSerdes.generic(CONFIG, isKey);
  }

  /** A serde of generic records (a value serde; keys and values read alike). */
  public static Serde<GenericRecord> serde() {
    return AvroSerdes.generic(CONFIG, false);
  }
}
