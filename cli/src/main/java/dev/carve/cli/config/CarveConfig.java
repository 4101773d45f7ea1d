package dev.carve.cli.config;

import dev.carve.core.Topics;
import dev.carve.core.config.Config;
import dev.carve.core.config.ConfigDef;
import dev.carve.core.config.ConfigException;
import dev.carve.core.config.ConfigOption;
import dev.carve.core.config.Substitution;
import dev.carve.core.config.YamlConfig;
import dev.carve.core.error.OnError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole of {@code carve.yaml}, validated at once before any I/O (see docs/contracts.md §6).
 * Every problem of every section is reported together, each naming its key.
 *
 * @param kafka the Kafka cluster
 * @param registryUrl the schema registry URL list (comma separated)
 * @param registryUserInfo {@code user:password} for basic auth; null when none (secret)
 * @param capture the capture settings
 * @param source the monolith database, for verify and preflight; null when not configured
 * @param services the services by name, in file order
 * @param baseDir the directory relative paths are resolved against
 */
public record CarveConfig(
    KafkaSettings kafka,
    String registryUrl,
    String registryUserInfo,
    CaptureSettings capture,
    Database source,
    Map<String, ServiceSettings> services,
    Path baseDir) {

  /**
   * The Kafka cluster: bootstrap servers, extra client properties (security, SASL, TLS) and the key
   * registry topic every service's transformer shares.
   */
  public record KafkaSettings(
      String bootstrapServers, Map<String, String> properties, String keyRegistryTopic) {}

  /**
   * The capture: the connector config file, the topic holding its offsets and that topic's
   * replication factor when the capture creates it (-1: the broker's default).
   */
  public record CaptureSettings(
      Path connector, String offsetsTopic, int offsetsTopicReplicationFactor) {}

  /** A PostgreSQL database. The password is never printed. */
  public record Database(
      String jdbcUrl, String username, String password, String schema, String ddl) {
    @Override
    public String toString() {
      return "Database[jdbcUrl="
          + jdbcUrl
          + ", username="
          + username
          + ", password=****, schema="
          + schema
          + ", ddl="
          + ddl
          + "]";
    }
  }

  /**
   * One service: its topology, its error policy, its target database and sink tuning.
   *
   * @param tombstoneRetention how long the sink keeps a delete's position ({@code
   *     tombstone-retention})
   * @param failureRetention how long the sink keeps failure-log entries ({@code failure-retention})
   */
  public record ServiceSettings(
      String name,
      String topology,
      OnError onError,
      Database target,
      int batchSize,
      int maxRetries,
      java.time.Duration tombstoneRetention,
      java.time.Duration failureRetention) {}

  /** The DDL modes of a target. */
  public enum DdlMode {
    /** Create missing tables and add new optional columns from the Avro schema. */
    CREATE,
    /** The service owns its DDL: check at start that the tables match the schema. */
    VALIDATE
  }

  static final ConfigOption<Map<String, Object>> KAFKA = ConfigOption.section("kafka").build();
  static final ConfigOption<Map<String, Object>> REGISTRY =
      ConfigOption.section("schema-registry").build();
  static final ConfigOption<Map<String, Object>> CAPTURE =
      ConfigOption.section("capture").optional().build();
  static final ConfigOption<Map<String, Object>> SOURCE =
      ConfigOption.section("source").optional().build();
  static final ConfigOption<Map<String, Object>> SERVICES =
      ConfigOption.section("services").build();
  static final ConfigDef ROOT = new ConfigDef(KAFKA, REGISTRY, CAPTURE, SOURCE, SERVICES);

  static final ConfigOption<String> BOOTSTRAP =
      ConfigOption.string("bootstrap-servers")
          .validator(ConfigOption.notBlank())
          .doc("host:port list of the Kafka brokers")
          .build();
  static final ConfigOption<Map<String, String>> KAFKA_PROPS =
      ConfigOption.map("properties")
          .defaultValue(Map.of())
          .doc("extra Kafka client properties")
          .build();
  static final ConfigOption<String> KEY_REGISTRY_TOPIC =
      ConfigOption.string("key-registry-topic")
          .defaultValue(dev.carve.transform.keys.KeyRegistry.DEFAULT_TOPIC)
          .validator(ConfigOption.notBlank())
          .doc(
              "compacted topic keeping the new key of every legacy key (allocate:), shared by"
                  + " every service")
          .build();
  static final ConfigDef KAFKA_DEF = new ConfigDef(BOOTSTRAP, KAFKA_PROPS, KEY_REGISTRY_TOPIC);

  static final ConfigOption<String> REGISTRY_URL =
      ConfigOption.string("url")
          .validator(
              v ->
                  v.startsWith("http://") || v.startsWith("https://") || v.startsWith("mock://")
                      ? null
                      : "must start with http:// or https://")
          .doc("schema registry URL(s), comma separated")
          .build();
  static final ConfigOption<String> REGISTRY_AUTH =
      ConfigOption.password("basic-auth-user-info")
          .optional()
          .doc("user:password for HTTP basic auth")
          .build();
  static final ConfigDef REGISTRY_DEF = new ConfigDef(REGISTRY_URL, REGISTRY_AUTH);

  static final ConfigOption<String> CONNECTOR =
      ConfigOption.string("connector")
          .defaultValue("cdc-connector-config/connectors/legacy-shop.json")
          .doc("Kafka Connect JSON config of the Debezium connector")
          .build();
  static final ConfigOption<String> OFFSETS_TOPIC =
      ConfigOption.string("offsets-topic")
          .defaultValue("carve-capture-offsets")
          .doc("topic holding the embedded engine's offsets")
          .build();
  static final ConfigOption<Integer> OFFSETS_TOPIC_REPLICATION_FACTOR =
      dev.carve.capture.EmbeddedCapture.OFFSETS_TOPIC_REPLICATION_FACTOR;
  static final ConfigDef CAPTURE_DEF =
      new ConfigDef(CONNECTOR, OFFSETS_TOPIC, OFFSETS_TOPIC_REPLICATION_FACTOR);

  static final ConfigOption<String> JDBC_URL =
      ConfigOption.string("jdbc-url")
          .validator(
              v ->
                  v.startsWith("jdbc:postgresql://")
                      ? null
                      : "must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/database)")
          .build();
  static final ConfigOption<String> USERNAME =
      ConfigOption.string("username").validator(ConfigOption.notBlank()).build();
  static final ConfigOption<String> PASSWORD =
      ConfigOption.password("password").defaultValue("").build();
  static final ConfigOption<String> SCHEMA =
      ConfigOption.string("schema").defaultValue("public").build();
  static final ConfigOption<DdlMode> DDL =
      ConfigOption.enumeration("ddl", DdlMode.class).defaultValue(DdlMode.CREATE).build();
  static final ConfigDef SOURCE_DEF = new ConfigDef(JDBC_URL, USERNAME, PASSWORD);
  static final ConfigDef TARGET_DEF = new ConfigDef(JDBC_URL, USERNAME, PASSWORD, SCHEMA, DDL);

  static final ConfigOption<String> TOPOLOGY =
      ConfigOption.string("topology")
          .doc("YAML mapping path, or the class name of a Java DomainTopology")
          .build();
  static final ConfigOption<OnError> ON_ERROR =
      ConfigOption.enumeration("on-error", OnError.class).defaultValue(OnError.DEAD_LETTER).build();
  static final ConfigOption<Map<String, Object>> TARGET = ConfigOption.section("target").build();
  static final ConfigOption<Integer> BATCH_SIZE =
      ConfigOption.integer("batch-size")
          .defaultValue(1000)
          .validator(ConfigOption.between(1, 100_000))
          .build();
  static final ConfigOption<Integer> MAX_RETRIES =
      ConfigOption.integer("max-retries")
          .defaultValue(10)
          .validator(ConfigOption.between(0, 1000))
          .build();
  static final ConfigOption<java.time.Duration> TOMBSTONE_RETENTION =
      ConfigOption.duration("tombstone-retention")
          .defaultValue(dev.carve.sink.SinkOptions.TOMBSTONE_RETENTION.defaultValue())
          .validator(ConfigOption.positive())
          .doc("how long a delete's position is kept to stop older upserts")
          .build();
  static final ConfigOption<java.time.Duration> FAILURE_RETENTION =
      ConfigOption.duration("failure-retention")
          .defaultValue(dev.carve.sink.SinkOptions.FAILURE_RETENTION.defaultValue())
          .validator(ConfigOption.positive())
          .doc("how long entries of the failure log carve_failures are kept")
          .build();
  static final ConfigDef SERVICE_DEF =
      new ConfigDef(
          TOPOLOGY,
          ON_ERROR,
          TARGET,
          BATCH_SIZE,
          MAX_RETRIES,
          TOMBSTONE_RETENTION,
          FAILURE_RETENTION);

  /**
   * Loads and validates {@code carve.yaml}.
   *
   * @throws ConfigException listing every problem with its key
   */
  public static CarveConfig load(Path file, Substitution substitution) {
    Map<String, Object> raw = YamlConfig.load(file, substitution);
    Path base = file.toAbsolutePath().getParent();
    return fromMap(raw, base, file.toString());
  }

  /** Validates already-parsed configuration (e.g. built in code by {@code carve up}). */
  @SuppressWarnings("unchecked")
  public static CarveConfig fromMap(Map<String, Object> raw, Path baseDir, String sourceName) {
    List<String> problems = new ArrayList<>();
    Config root = ROOT.parse(raw, "", problems);
    if (!problems.isEmpty()) {
      throw new ConfigException(sourceName, problems);
    }
    Config kafka = KAFKA_DEF.parse(root.get(KAFKA), "kafka", problems);
    Config registry = REGISTRY_DEF.parse(root.get(REGISTRY), "schema-registry", problems);
    Config capture = CAPTURE_DEF.parse(root.get(CAPTURE), "capture", problems);
    Config source =
        root.get(SOURCE) == null ? null : SOURCE_DEF.parse(root.get(SOURCE), "source", problems);
    Map<String, ServiceSettings> services = new LinkedHashMap<>();
    Map<String, Object> rawServices = root.get(SERVICES);
    if (rawServices.isEmpty()) {
      problems.add("'services' is empty: declare at least one service");
    }
    for (Map.Entry<String, Object> e : rawServices.entrySet()) {
      String name = e.getKey();
      String path = "services." + name;
      try {
        Topics.checkName("service", name);
      } catch (IllegalArgumentException ex) {
        problems.add("key '" + path + "': " + ex.getMessage());
        continue;
      }
      if (!(e.getValue() instanceof Map<?, ?> section)) {
        problems.add("key '" + path + "' must be a section with topology, target, ...");
        continue;
      }
      Config service = SERVICE_DEF.parse((Map<String, Object>) section, path, problems);
      Config target =
          service.get(TARGET) == null
              ? null
              : TARGET_DEF.parse(service.get(TARGET), path + ".target", problems);
      if (target != null && problems.isEmpty()) {
        services.put(
            name,
            new ServiceSettings(
                name,
                service.get(TOPOLOGY),
                service.get(ON_ERROR),
                database(target, true),
                service.get(BATCH_SIZE),
                service.get(MAX_RETRIES),
                service.get(TOMBSTONE_RETENTION),
                service.get(FAILURE_RETENTION)));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(sourceName, problems);
    }
    return new CarveConfig(
        new KafkaSettings(
            kafka.get(BOOTSTRAP), kafka.get(KAFKA_PROPS), kafka.get(KEY_REGISTRY_TOPIC)),
        registry.get(REGISTRY_URL),
        registry.get(REGISTRY_AUTH),
        new CaptureSettings(
            baseDir.resolve(capture.get(CONNECTOR)),
            capture.get(OFFSETS_TOPIC),
            capture.get(OFFSETS_TOPIC_REPLICATION_FACTOR)),
        source == null ? null : database(source, false),
        services,
        baseDir);
  }

  private static Database database(Config c, boolean target) {
    return new Database(
        c.get(JDBC_URL),
        c.get(USERNAME),
        c.get(PASSWORD),
        target ? c.get(SCHEMA) : "public",
        target ? c.get(DDL).name().toLowerCase(java.util.Locale.ROOT) : "validate");
  }

  /**
   * The settings of one service.
   *
   * @throws IllegalArgumentException naming the unknown service and the known ones
   */
  public ServiceSettings service(String name) {
    ServiceSettings s = services.get(name);
    if (s == null) {
      throw new IllegalArgumentException(
          "Unknown service '"
              + name
              + "'; services in the configuration: "
              + String.join(", ", services.keySet()));
    }
    return s;
  }

  /**
   * The registry client and serde settings (Confluent's keys) for {@code url}: the configured URL,
   * or an override such as the embedded registry's, with the configured basic auth.
   */
  public Map<String, Object> registryClientConfig(String url) {
    Map<String, Object> registry = new java.util.HashMap<>();
    registry.put("schema.registry.url", url);
    if (registryUserInfo != null) {
      registry.put("basic.auth.credentials.source", "USER_INFO");
      registry.put("basic.auth.user.info", registryUserInfo);
    }
    return registry;
  }

  /** Resolves a path of the configuration (topology, connector) against the base directory. */
  public Path resolve(String path) {
    return baseDir.resolve(path);
  }
}
