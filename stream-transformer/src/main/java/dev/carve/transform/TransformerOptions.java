package dev.carve.transform;

import dev.carve.core.config.Config;
import dev.carve.core.config.ConfigDef;
import dev.carve.core.config.ConfigException;
import dev.carve.core.config.ConfigOption;
import dev.carve.core.error.OnError;
import dev.carve.transform.api.StoreType;
import dev.carve.transform.keys.KeyRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The options of one service's transformer. Build them with {@link #of} and the {@code with...}
 * methods, or parse a configuration section with {@link #parse}, which validates every key with
 * {@link #CONFIG_DEF} before any I/O.
 *
 * @param bootstrapServers Kafka bootstrap servers; never null
 * @param kafkaProperties extra Kafka client properties (security.protocol, sasl.*, ssl.*, or
 *     Streams tuning); never null, never holding the keys Carve sets itself
 * @param schemaRegistryUrl the schema registry (comma list; {@code mock://<scope>} in tests); never
 *     null
 * @param stateDir directory of the Kafka Streams state stores; never null
 * @param rawTopicPrefix Debezium's {@code topic.prefix}; never null
 * @param onError what happens to a change that cannot be mapped; never null
 * @param partitions partitions of the topics the runtime creates; -1 for the broker default
 * @param replicationFactor replication of created and internal topics; -1 for the broker default
 * @param storeType where the state stores keep their data; never null
 * @param keyRegistryTopic the key registry's compacted topic, shared by every service; never null
 */
public record TransformerOptions(
    String bootstrapServers,
    Map<String, String> kafkaProperties,
    String schemaRegistryUrl,
    Path stateDir,
    String rawTopicPrefix,
    OnError onError,
    int partitions,
    int replicationFactor,
    StoreType storeType,
    String keyRegistryTopic) {

  /** Kafka Streams settings Carve owns: setting them in {@code properties} is an error. */
  public static final Set<String> RESERVED_PROPERTIES =
      Set.of(
          "application.id",
          "bootstrap.servers",
          "processing.guarantee",
          "state.dir",
          "replication.factor");

  /** {@code bootstrap-servers}: Kafka bootstrap servers (required). */
  public static final ConfigOption<String> BOOTSTRAP_SERVERS =
      ConfigOption.string("bootstrap-servers")
          .validator(ConfigOption.notBlank())
          .doc("Kafka bootstrap servers, host:port[,host:port]")
          .build();

  /** {@code properties}: extra Kafka client properties. */
  public static final ConfigOption<Map<String, String>> PROPERTIES =
      ConfigOption.map("properties")
          .defaultValue(Map.of())
          .validator(
              m -> {
                List<String> reserved =
                    m.keySet().stream().filter(RESERVED_PROPERTIES::contains).sorted().toList();
                return reserved.isEmpty()
                    ? null
                    : "sets "
                        + reserved
                        + ", which Carve sets itself (application.id is carve-<service>,"
                        + " processing.guarantee is exactly_once_v2; use bootstrap-servers,"
                        + " state-dir and replication-factor)";
              })
          .doc("extra Kafka client properties (security.protocol, sasl.*, ssl.*, Streams tuning)")
          .build();

  /** {@code schema-registry-url}: the schema registry (required). */
  public static final ConfigOption<String> SCHEMA_REGISTRY_URL =
      ConfigOption.string("schema-registry-url")
          .validator(ConfigOption.notBlank())
          .doc("schema registry URL(s), comma separated; mock://<scope> for tests")
          .build();

  /** {@code state-dir}: directory of the Streams state stores. */
  public static final ConfigOption<String> STATE_DIR =
      ConfigOption.string("state-dir")
          .defaultValue(".carve/streams")
          .validator(ConfigOption.notBlank())
          .doc("directory of the Kafka Streams state stores")
          .build();

  /** {@code raw-topic-prefix}: Debezium's topic.prefix. */
  public static final ConfigOption<String> RAW_TOPIC_PREFIX =
      ConfigOption.string("raw-topic-prefix")
          .defaultValue("legacy")
          .validator(ConfigOption.notBlank())
          .doc("Debezium's topic.prefix: raw topics are <prefix>.<schema>.<table>")
          .build();

  /** {@code on-error}: dead-letter or fail. */
  public static final ConfigOption<OnError> ON_ERROR =
      ConfigOption.enumeration("on-error", OnError.class)
          .defaultValue(OnError.DEAD_LETTER)
          .doc("what happens to a change that cannot be mapped")
          .build();

  /** {@code partitions}: partitions of created topics, -1 = broker default. */
  public static final ConfigOption<Integer> PARTITIONS =
      ConfigOption.integer("partitions")
          .defaultValue(-1)
          .validator(v -> v == -1 || v >= 1 ? null : "must be -1 (broker default) or at least 1")
          .doc("partitions of the domain and dead-letter topics the runtime creates")
          .build();

  /** {@code replication-factor}: of created and internal topics, -1 = broker default. */
  public static final ConfigOption<Integer> REPLICATION_FACTOR =
      ConfigOption.integer("replication-factor")
          .defaultValue(-1)
          .validator(v -> v == -1 || v >= 1 ? null : "must be -1 (broker default) or at least 1")
          .doc("replication factor of created topics and of Streams' internal topics")
          .build();

  /** {@code store-type}: rocksdb or in-memory. */
  public static final ConfigOption<StoreType> STORE_TYPE =
      ConfigOption.enumeration("store-type", StoreType.class)
          .defaultValue(StoreType.ROCKSDB)
          .doc("where the state stores keep their data (both backed by a compacted changelog)")
          .build();

  /** {@code key-registry-topic}: the compacted topic of the new keys given to legacy keys. */
  public static final ConfigOption<String> KEY_REGISTRY_TOPIC =
      ConfigOption.string("key-registry-topic")
          .defaultValue(KeyRegistry.DEFAULT_TOPIC)
          .validator(ConfigOption.notBlank())
          .doc(
              "the compacted topic recording the new key of every legacy key (allocate:); every"
                  + " service of one migration must name the same topic")
          .build();

  /** Every option, for validation and documentation. */
  public static final ConfigDef CONFIG_DEF =
      new ConfigDef(
          BOOTSTRAP_SERVERS,
          PROPERTIES,
          SCHEMA_REGISTRY_URL,
          STATE_DIR,
          RAW_TOPIC_PREFIX,
          ON_ERROR,
          PARTITIONS,
          REPLICATION_FACTOR,
          STORE_TYPE,
          KEY_REGISTRY_TOPIC);

  /** Validates and copies. */
  public TransformerOptions {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    kafkaProperties = Map.copyOf(Objects.requireNonNull(kafkaProperties, "kafkaProperties"));
    Objects.requireNonNull(schemaRegistryUrl, "schemaRegistryUrl");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(rawTopicPrefix, "rawTopicPrefix");
    Objects.requireNonNull(onError, "onError");
    Objects.requireNonNull(storeType, "storeType");
    Objects.requireNonNull(keyRegistryTopic, "keyRegistryTopic");
    List<String> reserved =
        kafkaProperties.keySet().stream().filter(RESERVED_PROPERTIES::contains).sorted().toList();
    if (!reserved.isEmpty()) {
      throw new IllegalArgumentException(
          "kafkaProperties set " + reserved + ", which Carve sets itself");
    }
  }

  /** Options with the defaults: state dir {@code .carve/streams}, prefix {@code legacy}, DLQ. */
  public static TransformerOptions of(String bootstrapServers, String schemaRegistryUrl) {
    return new TransformerOptions(
        bootstrapServers,
        Map.of(),
        schemaRegistryUrl,
        Path.of(STATE_DIR.defaultValue()),
        RAW_TOPIC_PREFIX.defaultValue(),
        ON_ERROR.defaultValue(),
        -1,
        -1,
        STORE_TYPE.defaultValue(),
        KEY_REGISTRY_TOPIC.defaultValue());
  }

  /**
   * Parses and validates a configuration section (keys of {@link #CONFIG_DEF}).
   *
   * @param raw the section; null means empty
   * @param path the section's path for messages, e.g. {@code services.orders.transform}
   * @param source the file, for messages
   * @throws ConfigException listing every problem, each naming its key
   */
  public static TransformerOptions parse(Map<String, ?> raw, String path, String source) {
    List<String> problems = new ArrayList<>();
    Config c = CONFIG_DEF.parse(raw, path, problems);
    if (!problems.isEmpty()) {
      throw new ConfigException(source, problems);
    }
    Map<String, String> props = new LinkedHashMap<>();
    c.get(PROPERTIES).forEach((k, v) -> props.put(k, v == null ? "" : v));
    return new TransformerOptions(
        c.get(BOOTSTRAP_SERVERS),
        props,
        c.get(SCHEMA_REGISTRY_URL),
        Path.of(c.get(STATE_DIR)),
        c.get(RAW_TOPIC_PREFIX),
        c.get(ON_ERROR),
        c.get(PARTITIONS),
        c.get(REPLICATION_FACTOR),
        c.get(STORE_TYPE),
        c.get(KEY_REGISTRY_TOPIC));
  }

  /** A copy with other extra Kafka properties. */
  public TransformerOptions withKafkaProperties(Map<String, String> properties) {
    return new TransformerOptions(
        bootstrapServers,
        properties,
        schemaRegistryUrl,
        stateDir,
        rawTopicPrefix,
        onError,
        partitions,
        replicationFactor,
        storeType,
        keyRegistryTopic);
  }

  /** A copy with another state directory. */
  public TransformerOptions withStateDir(Path dir) {
    return new TransformerOptions(
        bootstrapServers,
        kafkaProperties,
        schemaRegistryUrl,
        dir,
        rawTopicPrefix,
        onError,
        partitions,
        replicationFactor,
        storeType,
        keyRegistryTopic);
  }

  /** A copy with another raw topic prefix. */
  public TransformerOptions withRawTopicPrefix(String prefix) {
    return new TransformerOptions(
        bootstrapServers,
        kafkaProperties,
        schemaRegistryUrl,
        stateDir,
        prefix,
        onError,
        partitions,
        replicationFactor,
        storeType,
        keyRegistryTopic);
  }

  /** A copy with another on-error behaviour. */
  public TransformerOptions withOnError(OnError behaviour) {
    return new TransformerOptions(
        bootstrapServers,
        kafkaProperties,
        schemaRegistryUrl,
        stateDir,
        rawTopicPrefix,
        behaviour,
        partitions,
        replicationFactor,
        storeType,
        keyRegistryTopic);
  }

  /** A copy with other partitions and replication of created topics (-1 = broker default). */
  public TransformerOptions withTopicLayout(int partitionCount, int replication) {
    return new TransformerOptions(
        bootstrapServers,
        kafkaProperties,
        schemaRegistryUrl,
        stateDir,
        rawTopicPrefix,
        onError,
        partitionCount,
        replication,
        storeType,
        keyRegistryTopic);
  }

  /** A copy with another store type. */
  public TransformerOptions withStoreType(StoreType type) {
    return new TransformerOptions(
        bootstrapServers,
        kafkaProperties,
        schemaRegistryUrl,
        stateDir,
        rawTopicPrefix,
        onError,
        partitions,
        replicationFactor,
        type,
        keyRegistryTopic);
  }

  /** A copy with another key registry topic. */
  public TransformerOptions withKeyRegistryTopic(String topic) {
    return new TransformerOptions(
        bootstrapServers,
        kafkaProperties,
        schemaRegistryUrl,
        stateDir,
        rawTopicPrefix,
        onError,
        partitions,
        replicationFactor,
        storeType,
        topic);
  }

  /** The options for logs, with every property whose key suggests a secret masked. */
  @Override
  public String toString() {
    Map<String, String> shown =
        new TreeMap<>(dev.carve.core.config.Secrets.maskProperties(kafkaProperties));
    return "TransformerOptions{bootstrap-servers="
        + bootstrapServers
        + ", properties="
        + shown
        + ", schema-registry-url="
        + schemaRegistryUrl
        + ", state-dir="
        + stateDir
        + ", raw-topic-prefix="
        + rawTopicPrefix
        + ", on-error="
        + onError
        + ", partitions="
        + partitions
        + ", replication-factor="
        + replicationFactor
        + ", store-type="
        + storeType
        + ", key-registry-topic="
        + keyRegistryTopic
        + "}";
  }
}
