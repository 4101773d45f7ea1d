package dev.carve.capture.internal;

import dev.carve.core.config.Secrets;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.ConverterConfig;
import org.apache.kafka.connect.storage.ConverterType;
import org.apache.kafka.connect.storage.HeaderConverter;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;
import org.apache.kafka.connect.util.ConnectUtils;

/**
 * The key, value and header converters of a connector, built and applied as Kafka Connect's worker
 * does ({@code Plugins.newConverter}, {@code WorkerSourceTask.convertTransformedRecord}), so the
 * embedded engine writes the same bytes as a Connect cluster.
 */
public final class ConnectConverters implements AutoCloseable {
  private static final String KEY = "key.converter";
  private static final String VALUE = "value.converter";
  private static final String HEADER = "header.converter";

  private final Converter keyConverter;
  private final Converter valueConverter;
  private final HeaderConverter headerConverter;

  private ConnectConverters(Converter key, Converter value, HeaderConverter header) {
    this.keyConverter = key;
    this.valueConverter = value;
    this.headerConverter = header;
  }

  /**
   * Builds the converters named by {@code key.converter}, {@code value.converter} and {@code
   * header.converter} (default {@link SimpleHeaderConverter}), each configured with its {@code
   * <prefix>.*} properties.
   *
   * @throws IllegalArgumentException naming the key when a class cannot be loaded or configured
   */
  public static ConnectConverters fromConnectorConfig(Map<String, String> config) {
    Converter key = newConverter(config, KEY, true);
    Converter value = newConverter(config, VALUE, false);
    HeaderConverter header;
    String headerClass = config.get(HEADER);
    if (headerClass == null || headerClass.isBlank()) {
      header = new SimpleHeaderConverter();
    } else {
      header = instantiate(HEADER, headerClass, HeaderConverter.class);
    }
    Map<String, Object> headerConfig = withPrefix(config, HEADER + ".");
    headerConfig.put(ConverterConfig.TYPE_CONFIG, ConverterType.HEADER.getName());
    try {
      header.configure(headerConfig);
    } catch (RuntimeException e) {
      throw cannotConfigure(HEADER, headerClass, headerConfig, e);
    }
    return new ConnectConverters(key, value, header);
  }

  private static Converter newConverter(Map<String, String> config, String prefix, boolean isKey) {
    String cls = config.get(prefix);
    if (cls == null || cls.isBlank()) {
      throw new IllegalArgumentException("Connector config key '" + prefix + "' is missing");
    }
    Converter converter = instantiate(prefix, cls, Converter.class);
    Map<String, Object> converterConfig = withPrefix(config, prefix + ".");
    converterConfig.put(
        ConverterConfig.TYPE_CONFIG,
        isKey ? ConverterType.KEY.getName() : ConverterType.VALUE.getName());
    try {
      converter.configure(converterConfig, isKey);
    } catch (RuntimeException e) {
      throw cannotConfigure(prefix, cls, converterConfig, e);
    }
    return converter;
  }

  /**
   * The error of a converter that refused its settings, naming the keys, with the values of secret
   * keys ({@code basic.auth.user.info}, {@code *.password}) masked ({@link Secrets}), also where
   * the converter's own message quotes them: the message reaches the CLI, the logs and the status.
   */
  private static IllegalArgumentException cannotConfigure(
      String prefix, String cls, Map<String, Object> converterConfig, RuntimeException e) {
    String reason = String.valueOf(e.getMessage());
    boolean quotesASecret = false;
    for (Map.Entry<String, Object> entry : converterConfig.entrySet()) {
      String secret = entry.getValue() == null ? "" : entry.getValue().toString();
      if (Secrets.isSecretKey(entry.getKey()) && !secret.isEmpty() && reason.contains(secret)) {
        reason = reason.replace(secret, Secrets.MASK);
        quotesASecret = true;
      }
    }
    Map<String, Object> shown = Secrets.mask(converterConfig);
    shown.replaceAll((k, v) -> v instanceof String text ? Secrets.maskUrl(text) : v);
    return new IllegalArgumentException(
        "Cannot configure "
            + prefix
            + " '"
            + cls
            + "' with the keys "
            + prefix
            + ".* "
            + shown
            + ": "
            + reason,
        // The cause would print the secret with its stack trace.
        quotesASecret ? null : e);
  }

  private static <T> T instantiate(String key, String cls, Class<T> type) {
    try {
      ClassLoader loader = Thread.currentThread().getContextClassLoader();
      Class<?> c =
          Class.forName(
              cls.trim(), true, loader == null ? ConnectConverters.class.getClassLoader() : loader);
      if (!type.isAssignableFrom(c)) {
        throw new IllegalArgumentException(
            "Connector config key '"
                + key
                + "' names '"
                + cls
                + "', which is not a "
                + type.getSimpleName());
      }
      return type.cast(c.getDeclaredConstructor().newInstance());
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException(
          "Connector config key '"
              + key
              + "' names '"
              + cls
              + "', which cannot be instantiated: "
              + e,
          e);
    }
  }

  private static Map<String, Object> withPrefix(Map<String, String> config, String prefix) {
    Map<String, Object> out = new HashMap<>();
    config.forEach(
        (k, v) -> {
          if (k.startsWith(prefix)) {
            out.put(k.substring(prefix.length()), v);
          }
        });
    return out;
  }

  /**
   * Converts one record to what Connect would produce: headers first, then key and value, with the
   * record's topic, partition and timestamp.
   *
   * @throws org.apache.kafka.connect.errors.DataException when a converter rejects the data
   */
  public ProducerRecord<byte[], byte[]> toProducerRecord(SourceRecord record) {
    RecordHeaders headers = new RecordHeaders();
    if (record.headers() != null) {
      for (Header header : record.headers()) {
        headers.add(
            header.key(),
            headerConverter.fromConnectHeader(
                record.topic(), header.key(), header.schema(), header.value()));
      }
    }
    byte[] key =
        keyConverter.fromConnectData(record.topic(), headers, record.keySchema(), record.key());
    byte[] value =
        valueConverter.fromConnectData(
            record.topic(), headers, record.valueSchema(), record.value());
    return new ProducerRecord<>(
        record.topic(),
        record.kafkaPartition(),
        ConnectUtils.checkAndConvertTimestamp(record.timestamp()),
        key,
        value,
        headers);
  }

  @Override
  public void close() {
    closeQuietly(keyConverter);
    closeQuietly(valueConverter);
    closeQuietly(headerConverter);
  }

  private static void closeQuietly(Object o) {
    if (o instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        // A converter holds no state that matters after the engine stopped.
        org.slf4j.LoggerFactory.getLogger(ConnectConverters.class)
            .debug("Closing converter {} failed: {}", o.getClass().getName(), e.toString());
      }
    }
  }
}
