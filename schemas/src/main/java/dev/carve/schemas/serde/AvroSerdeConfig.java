package dev.carve.schemas.serde;

import dev.carve.core.config.Config;
import dev.carve.core.config.ConfigDef;
import dev.carve.core.config.ConfigException;
import dev.carve.core.config.ConfigOption;
import dev.carve.schemas.registry.RegistryClientConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * The configuration of {@link AvroSerializer} and {@link AvroDeserializer}, with Confluent's keys
 * so that the same properties work for both. Keys not listed here are ignored, since Kafka hands a
 * serde every client property.
 *
 * <ul>
 *   <li>the registry keys of {@link RegistryClientConfig}: {@code schema.registry.url} (required;
 *       comma list, or {@code mock://<scope>}), {@code basic.auth.credentials.source}, {@code
 *       basic.auth.user.info}, {@code schema.registry.ssl.truststore.*}, {@code carve.registry.*}
 *   <li>{@code auto.register.schemas} (default true): register the record's schema; when false,
 *       look it up and fail if it is not registered
 *   <li>{@code use.latest.version} (default false): write with the subject's latest schema,
 *       converting the record by field name (missing fields take their defaults)
 *   <li>{@code key.subject.name.strategy} / {@code value.subject.name.strategy} (default {@code
 *       topic}): {@code topic}, {@code record}, {@code topic-record} or Confluent's class names
 *   <li>{@code carve.reader.schema} (default none): the schema a deserializer reads with (JSON text
 *       or an {@link Schema}); none = the writer's schema
 *   <li>{@code specific.avro.reader} (default false): deserialize into generated classes found by
 *       the writer schema's full name
 *   <li>{@code avro.use.logical.type.converters} (default false): generic records read decimals as
 *       BigDecimal, dates as LocalDate, timestamps as Instant (writing accepts both forms)
 *   <li>{@code avro.remove.java.properties} (default true, unlike Confluent): drop {@code
 *       avro.java.string} from generated classes' schemas before registering, so a generated class
 *       registers exactly its {@code .avsc} contract
 * </ul>
 *
 * @param registry how to reach the registry
 * @param autoRegister {@code auto.register.schemas}
 * @param useLatestVersion {@code use.latest.version}
 * @param keyStrategy {@code key.subject.name.strategy}
 * @param valueStrategy {@code value.subject.name.strategy}
 * @param readerSchema {@code carve.reader.schema}, or null
 * @param specificReader {@code specific.avro.reader}
 * @param logicalTypeConverters {@code avro.use.logical.type.converters}
 * @param removeJavaProperties {@code avro.remove.java.properties}
 */
public record AvroSerdeConfig(
    RegistryClientConfig registry,
    boolean autoRegister,
    boolean useLatestVersion,
    SubjectNameStrategy keyStrategy,
    SubjectNameStrategy valueStrategy,
    Schema readerSchema,
    boolean specificReader,
    boolean logicalTypeConverters,
    boolean removeJavaProperties) {

  /** {@code auto.register.schemas}. */
  public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";

  /** {@code use.latest.version}. */
  public static final String USE_LATEST_VERSION = "use.latest.version";

  /** {@code key.subject.name.strategy}. */
  public static final String KEY_SUBJECT_NAME_STRATEGY = "key.subject.name.strategy";

  /** {@code value.subject.name.strategy}. */
  public static final String VALUE_SUBJECT_NAME_STRATEGY = "value.subject.name.strategy";

  /** {@code carve.reader.schema}. */
  public static final String READER_SCHEMA = "carve.reader.schema";

  /** {@code specific.avro.reader}. */
  public static final String SPECIFIC_AVRO_READER = "specific.avro.reader";

  /** {@code avro.use.logical.type.converters}. */
  public static final String USE_LOGICAL_TYPE_CONVERTERS = "avro.use.logical.type.converters";

  /** {@code avro.remove.java.properties}. */
  public static final String REMOVE_JAVA_PROPERTIES = "avro.remove.java.properties";

  private static final ConfigOption<Boolean> AUTO_REGISTER =
      ConfigOption.bool(AUTO_REGISTER_SCHEMAS).defaultValue(true).build();
  private static final ConfigOption<Boolean> USE_LATEST =
      ConfigOption.bool(USE_LATEST_VERSION).defaultValue(false).build();
  private static final ConfigOption<String> KEY_STRATEGY =
      ConfigOption.string(KEY_SUBJECT_NAME_STRATEGY)
          .defaultValue("topic")
          .validator(AvroSerdeConfig::checkStrategy)
          .build();
  private static final ConfigOption<String> VALUE_STRATEGY =
      ConfigOption.string(VALUE_SUBJECT_NAME_STRATEGY)
          .defaultValue("topic")
          .validator(AvroSerdeConfig::checkStrategy)
          .build();
  private static final ConfigOption<Boolean> SPECIFIC =
      ConfigOption.bool(SPECIFIC_AVRO_READER).defaultValue(false).build();
  private static final ConfigOption<Boolean> CONVERTERS =
      ConfigOption.bool(USE_LOGICAL_TYPE_CONVERTERS).defaultValue(false).build();
  private static final ConfigOption<Boolean> REMOVE_JAVA =
      ConfigOption.bool(REMOVE_JAVA_PROPERTIES).defaultValue(true).build();

  private static final ConfigDef DEFINITION =
      new ConfigDef(
          AUTO_REGISTER,
          USE_LATEST,
          KEY_STRATEGY,
          VALUE_STRATEGY,
          SPECIFIC,
          CONVERTERS,
          REMOVE_JAVA);

  /**
   * Reads the configuration from a map that may hold other keys too.
   *
   * @throws ConfigException listing every invalid key
   */
  public static AvroSerdeConfig parse(Map<String, ?> config) {
    List<String> problems = new ArrayList<>();
    RegistryClientConfig registry = null;
    try {
      registry = RegistryClientConfig.parse(config);
    } catch (ConfigException e) {
      problems.addAll(e.problems());
    }
    Map<String, Object> known = RegistryClientConfig.known(config, DEFINITION);
    Object strategyKey = config.get(KEY_SUBJECT_NAME_STRATEGY);
    Object strategyValue = config.get(VALUE_SUBJECT_NAME_STRATEGY);
    if (strategyKey instanceof Class<?> c) {
      known.put(KEY_SUBJECT_NAME_STRATEGY, c.getName());
    }
    if (strategyValue instanceof Class<?> c) {
      known.put(VALUE_SUBJECT_NAME_STRATEGY, c.getName());
    }
    Config c = DEFINITION.parse(known, "", problems);
    Schema reader = null;
    Object rawReader = config.get(READER_SCHEMA);
    if (rawReader instanceof Schema s) {
      reader = s;
    } else if (rawReader != null) {
      try {
        reader = new Schema.Parser().parse(rawReader.toString());
      } catch (RuntimeException e) {
        problems.add("key '" + READER_SCHEMA + "' is not a valid Avro schema: " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException("the Avro serde configuration", problems);
    }
    return new AvroSerdeConfig(
        registry,
        c.get(AUTO_REGISTER),
        c.get(USE_LATEST),
        SubjectNameStrategy.parse(c.get(KEY_STRATEGY)),
        SubjectNameStrategy.parse(c.get(VALUE_STRATEGY)),
        reader,
        c.get(SPECIFIC),
        c.get(CONVERTERS),
        c.get(REMOVE_JAVA));
  }

  /** The strategy for keys or values. */
  public SubjectNameStrategy strategy(boolean isKey) {
    return isKey ? keyStrategy : valueStrategy;
  }

  private static String checkStrategy(String value) {
    try {
      SubjectNameStrategy.parse(value);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }
}
