package dev.carve.schemas.serde;

import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/**
 * Factories of configured Avro serdes in the Confluent wire format. Configuration keys as
 * Confluent's (see {@link AvroSerdeConfig}): {@code schema.registry.url} (comma list, or {@code
 * mock://<scope>}), {@code auto.register.schemas}, {@code use.latest.version}, {@code
 * key.subject.name.strategy}, {@code value.subject.name.strategy}, {@code
 * basic.auth.credentials.source}, {@code basic.auth.user.info}, {@code carve.reader.schema}.
 *
 * <pre>{@code
 * Serde<GenericRecord> keys = AvroSerdes.generic(Map.of("schema.registry.url", url), true);
 * }</pre>
 */
public final class AvroSerdes {
  private AvroSerdes() {}

  /**
   * A configured serde of generic records.
   *
   * @param config the configuration; other keys are ignored
   * @param isKey true for record keys
   * @throws dev.carve.core.config.ConfigException listing every invalid key
   */
  public static Serde<GenericRecord> generic(Map<String, ?> config, boolean isKey) {
    GenericAvroSerde serde = new GenericAvroSerde();
    serde.configure(config, isKey);
    return serde;
  }

  /**
   * A configured serde of generic records that reads with {@code readerSchema}.
   *
   * @param readerSchema the schema to read with; null reads with each record's writer schema
   */
  public static Serde<GenericRecord> generic(
      Map<String, ?> config, boolean isKey, Schema readerSchema) {
    Map<String, Object> withReader = new HashMap<>(config);
    if (readerSchema == null) {
      withReader.remove(AvroSerdeConfig.READER_SCHEMA);
    } else {
      withReader.put(AvroSerdeConfig.READER_SCHEMA, readerSchema);
    }
    return generic(withReader, isKey);
  }

  /**
   * A configured serde of a generated class; it reads with the class's schema.
   *
   * @param type the generated class, e.g. {@code dev.carve.schemas.orders.Order.class}
   */
  public static <T extends SpecificRecord> Serde<T> specific(
      Class<T> type, Map<String, ?> config, boolean isKey) {
    AvroSerde<T> serde = new AvroSerde<>(new AvroSerializer<>(), AvroDeserializer.specific(type));
    serde.configure(config, isKey);
    return serde;
  }
}
