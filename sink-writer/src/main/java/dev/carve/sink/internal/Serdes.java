package dev.carve.sink.internal;

import dev.carve.core.config.ConfigException;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.sink.SinkOptions;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Deserializer;

/** Builds the Avro deserializers of a sink from its options (Confluent wire format, registry). */
public final class Serdes {
  private Serdes() {}

  /**
   * The key or value deserializer for the configured registry, with its basic authentication when
   * {@code schema-registry-basic-auth-user-info} is set.
   *
   * @throws ConfigException when {@code schema-registry-url} is not set
   */
  public static Deserializer<GenericRecord> deserializer(
      String service, SinkOptions options, boolean isKey) {
    String url = options.schemaRegistryUrl();
    if (url == null || url.isBlank()) {
      throw new ConfigException(
          "sink options of service '" + service + "'",
          "key '"
              + SinkOptions.SCHEMA_REGISTRY_URL.key()
              + "' is required when the sink builds its own Avro deserializers");
    }
    Map<String, Object> config = new HashMap<>();
    config.put("schema.registry.url", url);
    String userInfo = options.schemaRegistryUserInfo();
    if (userInfo != null) {
      config.put("basic.auth.credentials.source", "USER_INFO");
      config.put("basic.auth.user.info", userInfo);
    }
    return AvroSerdes.generic(config, isKey).deserializer();
  }
}
