package dev.carve.sink;

import dev.carve.core.config.Config;
import dev.carve.core.config.ConfigDef;
import dev.carve.core.config.ConfigException;
import dev.carve.core.config.ConfigOption;
import dev.carve.core.config.Secrets;
import dev.carve.core.error.OnError;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The validated options of one service's sink ({@link ServiceSink}, {@link ReplayJob}, {@link
 * FailureLog}). Every key is declared once in {@link #DEFINITION}; {@link #parse} checks them all
 * before any I/O and fails once listing every problem. {@link #toString()} masks every secret: the
 * password options, Kafka properties whose key names a secret ({@code sasl.jaas.config}, {@code
 * ssl.keystore.password}, ...) and passwords inside the JDBC and registry URLs.
 */
public final class SinkOptions {
  /** Kafka bootstrap servers (required). */
  public static final ConfigOption<String> BOOTSTRAP_SERVERS =
      ConfigOption.string("bootstrap-servers")
          .validator(ConfigOption.notBlank())
          .doc("Kafka bootstrap servers, host:port[,host:port]")
          .build();

  /** Extra Kafka client properties (security.protocol, sasl.*, ssl.*). */
  public static final ConfigOption<Map<String, String>> KAFKA_PROPERTIES =
      ConfigOption.map("kafka-properties")
          .defaultValue(Map.of())
          .doc("extra Kafka client properties for the consumer and the dead-letter producer")
          .build();

  /** Schema registry URL, for building the Avro deserializers (optional here). */
  public static final ConfigOption<String> SCHEMA_REGISTRY_URL =
      ConfigOption.string("schema-registry-url")
          .optional()
          .doc("schema registry URL (mock://<scope> for tests)")
          .build();

  /**
   * {@code user:password} for the schema registry's HTTP basic authentication; secret, never
   * logged. Sent as Confluent's {@code basic.auth.user.info} with {@code
   * basic.auth.credentials.source=USER_INFO}.
   */
  public static final ConfigOption<String> SCHEMA_REGISTRY_USER_INFO =
      ConfigOption.password("schema-registry-basic-auth-user-info")
          .optional()
          .doc("user:password for the schema registry's HTTP basic authentication")
          .build();

  /** JDBC URL of the service database (required). */
  public static final ConfigOption<String> JDBC_URL =
      ConfigOption.string("jdbc-url")
          .validator(
              v -> v.startsWith("jdbc:postgresql:") ? null : "must start with jdbc:postgresql:")
          .doc("JDBC URL of the service's PostgreSQL database")
          .build();

  /** Database user. */
  public static final ConfigOption<String> USERNAME =
      ConfigOption.string("username").optional().doc("database user").build();

  /** Database password; secret, never logged. */
  public static final ConfigOption<String> PASSWORD =
      ConfigOption.password("password").optional().doc("database password").build();

  /** Target schema. */
  public static final ConfigOption<String> SCHEMA =
      ConfigOption.string("schema")
          .defaultValue("public")
          .validator(ConfigOption.notBlank())
          .doc("PostgreSQL schema of the target tables")
          .build();

  /** What the sink does about target tables. */
  public static final ConfigOption<DdlMode> DDL =
      ConfigOption.enumeration("ddl", DdlMode.class)
          .defaultValue(DdlMode.CREATE)
          .doc("create missing tables and columns, or only validate them")
          .build();

  /** The entities (or their topics) of the service (required, not empty). */
  public static final ConfigOption<List<String>> ENTITIES =
      ConfigOption.list("entities")
          .validator(v -> v.isEmpty() ? "must name at least one entity" : null)
          .doc("entity names (order) or domain topics (orders.order) of the service")
          .build();

  /** Records per poll and per database transaction. */
  public static final ConfigOption<Integer> BATCH_SIZE =
      ConfigOption.integer("batch-size")
          .defaultValue(1000)
          .validator(ConfigOption.between(1, 100_000))
          .doc("records per poll and per database transaction")
          .build();

  /** Retries of a transient database error with exponential backoff before waiting patiently. */
  public static final ConfigOption<Integer> MAX_RETRIES =
      ConfigOption.integer("max-retries")
          .defaultValue(5)
          .validator(ConfigOption.between(0, 1000))
          .doc(
              "retries with exponential backoff of a transient database error; afterwards the"
                  + " sink keeps retrying every retry-max-backoff until the database is back")
          .build();

  /** First retry delay. */
  public static final ConfigOption<Duration> RETRY_BACKOFF =
      ConfigOption.duration("retry-backoff")
          .defaultValue(Duration.ofMillis(200))
          .validator(ConfigOption.positive())
          .doc("delay after the first failed attempt; doubled each time")
          .build();

  /** Largest retry delay. */
  public static final ConfigOption<Duration> RETRY_MAX_BACKOFF =
      ConfigOption.duration("retry-max-backoff")
          .defaultValue(Duration.ofSeconds(10))
          .validator(ConfigOption.positive())
          .doc("largest delay between attempts")
          .build();

  /** Consumer poll timeout. */
  public static final ConfigOption<Duration> POLL_TIMEOUT =
      ConfigOption.duration("poll-timeout")
          .defaultValue(Duration.ofMillis(500))
          .validator(ConfigOption.positive())
          .doc("how long one poll waits for records")
          .build();

  /** Whether failed records are also published to {@code <service>.dlq}. */
  public static final ConfigOption<Boolean> DLQ =
      ConfigOption.bool("dlq")
          .defaultValue(true)
          .doc(
              "publish records that cannot be written to <service>.dlq (always logged in carve_failures)")
          .build();

  /** What to do with a record that can never be written. */
  public static final ConfigOption<OnError> ON_ERROR =
      ConfigOption.enumeration("on-error", OnError.class)
          .defaultValue(OnError.DEAD_LETTER)
          .doc("dead-letter a record that cannot be written, or fail (stop before its offset)")
          .build();

  /** How long delete positions are kept. */
  public static final ConfigOption<Duration> TOMBSTONE_RETENTION =
      ConfigOption.duration("tombstone-retention")
          .defaultValue(Duration.ofDays(7))
          .validator(ConfigOption.positive())
          .doc(
              "how long a delete's position is kept to stop older upserts (like delete.retention.ms)")
          .build();

  /** How long failure-log entries are kept. */
  public static final ConfigOption<Duration> FAILURE_RETENTION =
      ConfigOption.duration("failure-retention")
          .defaultValue(Duration.ofDays(30))
          .validator(ConfigOption.positive())
          .doc("how long entries of the failure log carve_failures are kept")
          .build();

  /**
   * How long each statement of a replay's swap waits for its table lock ({@code SET LOCAL
   * lock_timeout}).
   */
  public static final ConfigOption<Duration> SWAP_LOCK_TIMEOUT =
      ConfigOption.duration("swap-lock-timeout")
          .defaultValue(Duration.ofSeconds(5))
          .validator(ConfigOption.positive())
          .doc(
              "how long a replay's swap waits for the lock of a live table before it gives up"
                  + " (and retries): a swap queued behind a long reader would block every new"
                  + " reader of the table")
          .build();

  /** How often a replay tries its swap before it fails, leaving the live tables untouched. */
  public static final ConfigOption<Integer> SWAP_ATTEMPTS =
      ConfigOption.integer("swap-attempts")
          .defaultValue(3)
          .validator(ConfigOption.between(1, 100))
          .doc(
              "attempts of a replay's swap (each bounded by swap-lock-timeout, with the retry"
                  + " backoff between them) before the replay fails with the live tables untouched")
          .build();

  /** Every option, in declaration order. */
  public static final ConfigDef DEFINITION =
      new ConfigDef(
          BOOTSTRAP_SERVERS,
          KAFKA_PROPERTIES,
          SCHEMA_REGISTRY_URL,
          SCHEMA_REGISTRY_USER_INFO,
          JDBC_URL,
          USERNAME,
          PASSWORD,
          SCHEMA,
          DDL,
          ENTITIES,
          BATCH_SIZE,
          MAX_RETRIES,
          RETRY_BACKOFF,
          RETRY_MAX_BACKOFF,
          POLL_TIMEOUT,
          DLQ,
          ON_ERROR,
          TOMBSTONE_RETENTION,
          FAILURE_RETENTION,
          SWAP_LOCK_TIMEOUT,
          SWAP_ATTEMPTS);

  /** Kafka properties the sink sets itself; overriding them would break its guarantees. */
  static final Set<String> MANAGED_KAFKA_PROPERTIES =
      Set.of(
          "group.id",
          "enable.auto.commit",
          "auto.offset.reset",
          "isolation.level",
          "key.deserializer",
          "value.deserializer",
          "max.poll.records",
          "bootstrap.servers");

  private final Config config;

  private SinkOptions(Config config) {
    this.config = config;
  }

  /**
   * Parses and validates the options.
   *
   * @param raw keys of {@link #DEFINITION} to values (YAML scalars, lists and maps, or strings)
   * @param path the section path for messages, e.g. {@code services.orders.sink}; may be empty
   * @param source the file or origin for messages
   * @throws ConfigException listing every problem
   */
  public static SinkOptions parse(Map<String, ?> raw, String path, String source) {
    List<String> problems = new ArrayList<>();
    Config config = DEFINITION.parse(raw, path, problems);
    // A value quoted in a problem must not show a password a URL carries.
    for (ConfigOption<String> url : List.of(JDBC_URL, SCHEMA_REGISTRY_URL)) {
      if (raw != null && raw.get(url.key()) instanceof String value) {
        problems.replaceAll(p -> Secrets.maskUrlIn(p, value));
      }
    }
    String prefix = path == null || path.isEmpty() ? "" : path + ".";
    if (problems.isEmpty()) {
      if (config.get(RETRY_MAX_BACKOFF).compareTo(config.get(RETRY_BACKOFF)) < 0) {
        problems.add(
            "key '"
                + prefix
                + RETRY_MAX_BACKOFF.key()
                + "' must not be smaller than '"
                + prefix
                + RETRY_BACKOFF.key()
                + "'");
      }
      for (String k : config.get(KAFKA_PROPERTIES).keySet()) {
        if (MANAGED_KAFKA_PROPERTIES.contains(k.toLowerCase(Locale.ROOT))) {
          problems.add(
              "key '"
                  + prefix
                  + KAFKA_PROPERTIES.key()
                  + "."
                  + k
                  + "' is set by the sink itself and cannot be overridden (managed: "
                  + String.join(", ", MANAGED_KAFKA_PROPERTIES.stream().sorted().toList())
                  + ")");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(source, problems);
    }
    return new SinkOptions(config);
  }

  /** Parses options from a flat map, with the origin {@code "sink options"}. */
  public static SinkOptions parse(Map<String, ?> raw) {
    return parse(raw, "", "sink options");
  }

  /** The value of an option of {@link #DEFINITION}. */
  public <T> T get(ConfigOption<T> option) {
    return config.get(option);
  }

  /** Kafka bootstrap servers. */
  public String bootstrapServers() {
    return config.get(BOOTSTRAP_SERVERS);
  }

  /** Extra Kafka client properties; never null. */
  public Map<String, String> kafkaProperties() {
    return config.get(KAFKA_PROPERTIES);
  }

  /** The schema registry URL, or null when not set. */
  public String schemaRegistryUrl() {
    return config.get(SCHEMA_REGISTRY_URL);
  }

  /** The schema registry's basic-auth {@code user:password}, or null. Never log it. */
  public String schemaRegistryUserInfo() {
    return config.get(SCHEMA_REGISTRY_USER_INFO);
  }

  /** The JDBC URL. */
  public String jdbcUrl() {
    return config.get(JDBC_URL);
  }

  /** The database user, or null. */
  public String username() {
    return config.get(USERNAME);
  }

  /** The database password, or null. Never log it. */
  public String password() {
    return config.get(PASSWORD);
  }

  /** The target schema. */
  public String schema() {
    return config.get(SCHEMA);
  }

  /** The DDL mode. */
  public DdlMode ddl() {
    return config.get(DDL);
  }

  /** The entities or topics as configured. */
  public List<String> entities() {
    return config.get(ENTITIES);
  }

  /** Records per batch. */
  public int batchSize() {
    return config.get(BATCH_SIZE);
  }

  /** Retries with backoff of a transient error. */
  public int maxRetries() {
    return config.get(MAX_RETRIES);
  }

  /** First retry delay. */
  public Duration retryBackoff() {
    return config.get(RETRY_BACKOFF);
  }

  /** Largest retry delay. */
  public Duration retryMaxBackoff() {
    return config.get(RETRY_MAX_BACKOFF);
  }

  /** Poll timeout. */
  public Duration pollTimeout() {
    return config.get(POLL_TIMEOUT);
  }

  /** Whether dead letters are published to the dead-letter topic. */
  public boolean dlqEnabled() {
    return config.get(DLQ);
  }

  /** What to do with a record that cannot be written. */
  public OnError onError() {
    return config.get(ON_ERROR);
  }

  /** Tombstone retention. */
  public Duration tombstoneRetention() {
    return config.get(TOMBSTONE_RETENTION);
  }

  /** Failure-log retention. */
  public Duration failureRetention() {
    return config.get(FAILURE_RETENTION);
  }

  /** How long each statement of a replay's swap waits for a table lock. */
  public Duration swapLockTimeout() {
    return config.get(SWAP_LOCK_TIMEOUT);
  }

  /** Attempts of a replay's swap. */
  public int swapAttempts() {
    return config.get(SWAP_ATTEMPTS);
  }

  /**
   * The effective options for logs, with every secret masked: password options, secret Kafka
   * properties ({@link Secrets#isSecretKey}) and passwords inside the JDBC and registry URLs.
   */
  @Override
  public String toString() {
    StringJoiner j = new StringJoiner(", ", "{", "}");
    for (ConfigOption<?> option : DEFINITION.options()) {
      Object value = config.get(option);
      Object shown;
      if (value == null) {
        shown = null;
      } else if (option.secret()) {
        shown = Secrets.MASK;
      } else if (option == KAFKA_PROPERTIES) {
        shown = Secrets.maskProperties(config.get(KAFKA_PROPERTIES));
      } else if (option == JDBC_URL || option == SCHEMA_REGISTRY_URL) {
        shown = Secrets.maskUrl((String) value);
      } else {
        shown = value;
      }
      j.add(option.key() + "=" + shown);
    }
    return j.toString();
  }
}
