package dev.carve.capture;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.core.Topics;
import dev.carve.core.config.ConfigException;
import dev.carve.core.config.Secrets;
import dev.carve.core.config.Substitution;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.StringJoiner;
import java.util.regex.Pattern;

/**
 * One Kafka Connect connector configuration file ({@code {"name": .., "config": {..}}}) for
 * Debezium's PostgreSQL connector, after {@code ${VAR}}, {@code ${VAR:-default}} and {@code
 * ${file:..}} substitution, validated before any I/O. The same configuration is PUT to Kafka
 * Connect and run by {@link EmbeddedCapture}, so both write the same topics with the same bytes.
 *
 * <p>Validation fails once, with every problem naming its key: {@code name} present; {@code
 * connector.class} is Debezium's {@code PostgresConnector}; {@code database.hostname}, {@code
 * database.port} (a port number), {@code database.user}, {@code database.dbname}, {@code
 * topic.prefix}, {@code table.include.list} (literal {@code schema.table} names) present; {@code
 * plugin.name} is {@code pgoutput}; {@code key.converter} and {@code value.converter} present;
 * {@code tasks.max}, when given, is 1.
 */
public final class ConnectorConfig {
  /** The connector class Carve runs. */
  public static final String POSTGRES_CONNECTOR =
      "io.debezium.connector.postgresql.PostgresConnector";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final Pattern TABLE =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*\\.[A-Za-z_][A-Za-z0-9_$]*");
  private static final Pattern TOPIC_PREFIX = Pattern.compile("[A-Za-z0-9._-]+");
  private static final List<String> REQUIRED =
      List.of(
          "connector.class",
          "database.hostname",
          "database.port",
          "database.user",
          "database.dbname",
          "topic.prefix",
          "plugin.name",
          "table.include.list",
          "key.converter",
          "value.converter");

  // Debezium hands both families to pgjdbc, prefix removed (RelationalDatabaseConnectorConfig).
  private static final String DATABASE_PREFIX = "database.";
  private static final String DRIVER_PREFIX = "driver.";
  private static final List<String> TLS_PROPERTIES =
      List.of("sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "sslfactory");

  private final String name;
  private final Map<String, String> config;
  private final String source;
  private final List<String> tables;

  private ConnectorConfig(
      String name, Map<String, String> config, String source, List<String> tables) {
    this.name = name;
    this.config = Collections.unmodifiableMap(new LinkedHashMap<>(config));
    this.source = source;
    this.tables = List.copyOf(tables);
  }

  /**
   * Loads a connector file, substituting references from the process environment.
   *
   * @throws ConfigException when the file cannot be read or is invalid, listing every problem
   */
  public static ConnectorConfig load(Path file) {
    return load(file, Substitution.fromEnvironment());
  }

  /**
   * Loads a connector file.
   *
   * @param file the JSON file, never null
   * @param substitution resolves {@code ${..}} references, never null
   * @throws ConfigException when the file cannot be read or is invalid, listing every problem
   */
  public static ConnectorConfig load(Path file, Substitution substitution) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), "cannot read the connector file: " + e);
    }
    return parse(text, file.toString(), substitution);
  }

  /**
   * Reads only {@code config.topic.prefix} of a connector file, substituting references in that
   * value alone: a transformer needs the prefix of the raw topics it reads, not the connector's
   * database secrets, which may be absent where it runs.
   *
   * @param file the JSON file, never null
   * @param substitution resolves {@code ${..}} references, never null
   * @return the prefix, e.g. {@code legacy}
   * @throws ConfigException when the file cannot be read, is not JSON, or has no valid prefix
   */
  public static String topicPrefix(Path file, Substitution substitution) {
    Objects.requireNonNull(substitution, "substitution");
    String source = file.toString();
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : "line " + e.getLocation().getLineNr() + ": ";
      throw new ConfigException(source, where + "not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigException(source, "cannot read the connector file: " + e);
    }
    JsonNode value = root == null ? null : root.path("config").get("topic.prefix");
    if (value == null || !value.isTextual()) {
      throw new ConfigException(source, "missing required key 'config.topic.prefix'");
    }
    String prefix = substitution.apply(value.asText(), source).trim();
    if (!TOPIC_PREFIX.matcher(prefix).matches()) {
      throw new ConfigException(
          source,
          "key 'config.topic.prefix' is '" + prefix + "'; use letters, digits, '.', '_' and '-'");
    }
    return prefix;
  }

  /**
   * Parses connector JSON text.
   *
   * @param json the text, never null
   * @param source the file name or origin, for messages
   * @param substitution resolves {@code ${..}} references in values, never null
   * @throws ConfigException listing every problem, each naming its key
   */
  public static ConnectorConfig parse(String json, String source, Substitution substitution) {
    Objects.requireNonNull(substitution, "substitution");
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : "line " + e.getLocation().getLineNr() + ": ";
      throw new ConfigException(source, where + "not valid JSON: " + e.getOriginalMessage());
    }
    List<String> problems = new ArrayList<>();
    if (root == null || !root.isObject()) {
      throw new ConfigException(
          source,
          "expected a JSON object {\"name\": ..., \"config\": {...}} as Kafka Connect takes");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!field.equals("name") && !field.equals("config")) {
        problems.add("unknown top-level key '" + field + "'; known keys here: config, name");
      }
    }
    JsonNode nameNode = root.get("name");
    String name = null;
    if (nameNode == null || !nameNode.isTextual() || nameNode.asText().isBlank()) {
      problems.add("missing required key 'name' (string: the connector's name in Kafka Connect)");
    } else {
      name = substitute("name", nameNode.asText(), source, substitution, problems);
    }
    Map<String, String> config = new LinkedHashMap<>();
    JsonNode configNode = root.get("config");
    if (configNode == null || !configNode.isObject()) {
      problems.add("missing required key 'config' (object of string values)");
    } else {
      for (Iterator<Map.Entry<String, JsonNode>> it = configNode.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode v = e.getValue();
        // A null value would reach Properties.setProperty only when the capture starts.
        if (v.isContainerNode() || v.isNull()) {
          problems.add(
              "key 'config."
                  + e.getKey()
                  + "' must be a string, not "
                  + v.getNodeType().name().toLowerCase(Locale.ROOT)
                  + (v.isNull() ? " (leave the key out for the connector's default)" : ""));
          continue;
        }
        config.put(
            e.getKey(),
            substitute("config." + e.getKey(), v.asText(), source, substitution, problems));
      }
    }
    List<String> tables = validate(name, config, problems);
    if (!problems.isEmpty()) {
      throw new ConfigException(source, problems);
    }
    return new ConnectorConfig(name, config, source, tables);
  }

  private static String substitute(
      String key, String raw, String source, Substitution substitution, List<String> problems) {
    try {
      return substitution.apply(raw, source);
    } catch (ConfigException e) {
      for (String p : e.problems()) {
        problems.add("key '" + key + "': " + p.replaceFirst("^line \\d+: ", ""));
      }
      return raw;
    }
  }

  private static List<String> validate(
      String name, Map<String, String> config, List<String> problems) {
    for (String key : REQUIRED) {
      String v = config.get(key);
      if (v == null || v.isBlank()) {
        problems.add("missing required key 'config." + key + "'");
      }
    }
    String cls = config.get("connector.class");
    if (cls != null && !cls.isBlank() && !cls.equals(POSTGRES_CONNECTOR)) {
      problems.add(
          "key 'config.connector.class' is '" + cls + "'; Carve runs only " + POSTGRES_CONNECTOR);
    }
    String port = config.get("database.port");
    if (port != null && !port.isBlank()) {
      try {
        int p = Integer.parseInt(port.trim());
        if (p < 1 || p > 65_535) {
          problems.add("key 'config.database.port' is " + p + "; expected a port number 1-65535");
        }
      } catch (NumberFormatException e) {
        problems.add(
            "key 'config.database.port' is '" + port + "'; expected a port number 1-65535");
      }
    }
    String plugin = config.get("plugin.name");
    if (plugin != null && !plugin.isBlank() && !plugin.equals("pgoutput")) {
      problems.add(
          "key 'config.plugin.name' is '"
              + plugin
              + "'; Carve needs 'pgoutput' (built into PostgreSQL 10+)");
    }
    String prefix = config.get("topic.prefix");
    if (prefix != null && !prefix.isBlank() && !TOPIC_PREFIX.matcher(prefix).matches()) {
      problems.add(
          "key 'config.topic.prefix' is '" + prefix + "'; use letters, digits, '.', '_' and '-'");
    }
    String tasks = config.get("tasks.max");
    if (tasks != null && !tasks.equals("1")) {
      problems.add(
          "key 'config.tasks.max' is '"
              + tasks
              + "'; the PostgreSQL connector runs exactly 1 task");
    }
    String configName = config.get("name");
    if (configName != null && name != null && !configName.equals(name)) {
      problems.add(
          "key 'config.name' is '"
              + configName
              + "' but 'name' is '"
              + name
              + "'; Kafka Connect requires them to match");
    }
    List<String> tables = new ArrayList<>();
    String include = config.get("table.include.list");
    if (include != null && !include.isBlank()) {
      for (String t : include.split(",")) {
        String table = t.trim();
        if (!TABLE.matcher(table).matches()) {
          problems.add(
              "key 'config.table.include.list' has '"
                  + table
                  + "'; list tables as schema.table (e.g. public.orders), without regular expressions");
        } else {
          tables.add(table);
        }
      }
    }
    String signal = config.get("signal.data.collection");
    if (signal != null && !signal.isBlank() && !tables.contains(signal)) {
      problems.add(
          "key 'config.signal.data.collection' is '"
              + signal
              + "' but the table is not in 'config.table.include.list'; add it so its changes reach the connector");
    }
    if (signal != null) {
      tables.remove(signal);
    }
    return tables;
  }

  /** The connector's name. */
  public String name() {
    return name;
  }

  /** Every config value after substitution, in file order; unmodifiable. Holds the password. */
  public Map<String, String> config() {
    return config;
  }

  /**
   * One config value.
   *
   * @return the value, or null when the key is absent
   */
  public String get(String key) {
    return config.get(key);
  }

  /** Where the configuration came from (a file name), for messages. */
  public String source() {
    return source;
  }

  /** {@code topic.prefix}, e.g. {@code legacy}. */
  public String topicPrefix() {
    return config.get("topic.prefix");
  }

  /**
   * The captured tables as {@code schema.table}, from {@code table.include.list}, without the
   * signal table ({@link #signalTable()}).
   */
  public List<String> tables() {
    return tables;
  }

  /** Debezium's signal table ({@code signal.data.collection}) as {@code schema.table}, if any. */
  public Optional<String> signalTable() {
    String signal = config.get("signal.data.collection");
    return signal == null || signal.isBlank() ? Optional.empty() : Optional.of(signal);
  }

  /**
   * The raw change topic of a table: {@code <topic.prefix>.<schema>.<table>}.
   *
   * @param table {@code schema.table}, or a bare table name meaning schema {@code public}
   */
  public String rawTopic(String table) {
    int dot = table.indexOf('.');
    return dot < 0
        ? Topics.raw(topicPrefix(), "public", table)
        : Topics.raw(topicPrefix(), table.substring(0, dot), table.substring(dot + 1));
  }

  /** {@code database.hostname}. */
  public String databaseHost() {
    return config.get("database.hostname");
  }

  /** {@code database.port}. */
  public int databasePort() {
    return Integer.parseInt(config.get("database.port").trim());
  }

  /** {@code database.dbname}. */
  public String databaseName() {
    return config.get("database.dbname");
  }

  /** {@code database.user}. */
  public String databaseUser() {
    return config.get("database.user");
  }

  /** {@code database.password}; null when absent. Never log it. */
  public String databasePassword() {
    return config.get("database.password");
  }

  /**
   * The config keys neither Debezium's PostgreSQL connector nor Kafka Connect knows, each with the
   * nearest known key when one is close ({@code 'decimal.handeling.mode' (did you mean
   * 'decimal.handling.mode'?)}). Both ignore such a key, so its setting stays at the default. Keys
   * under a plugin's prefix ({@code transforms.}, {@code predicates.}, converters) are not judged.
   */
  public List<String> unknownKeys() {
    return dev.carve.capture.internal.ConnectorKeys.unknown(config);
  }

  /**
   * The JDBC URL of the captured database. Connect with {@link #jdbcProperties()}: the URL carries
   * neither the user nor the TLS settings.
   */
  public String jdbcUrl() {
    return "jdbc:postgresql://" + databaseHost() + ":" + databasePort() + "/" + databaseName();
  }

  /**
   * The pgjdbc connection properties Debezium's connector uses for this config, for every
   * connection Carve itself opens to the captured database: each {@code database.*} and {@code
   * driver.*} value with its prefix removed, a {@code database.*} value winning over the {@code
   * driver.*} one of the same name (Debezium 3.3 merges them so). So {@code database.user} and
   * {@code database.password} become {@code user} and {@code password}, and {@code
   * database.sslmode}, {@code database.sslrootcert}, {@code database.sslcert}, {@code
   * database.sslkey}, {@code database.sslpassword} and {@code database.sslfactory} the TLS
   * properties of the same names; pgjdbc ignores the names it does not know ({@code hostname},
   * {@code dbname}). Without {@code sslmode} pgjdbc's default applies, as for Debezium: {@code
   * prefer}, TLS when the server offers it, without certificate checks.
   *
   * <p>Add the connection's own settings (timeouts, {@code ApplicationName}) after these.
   *
   * @return a new, mutable copy; it holds the password and the key password: never log it
   */
  public Properties jdbcProperties() {
    Properties p = new Properties();
    for (String prefix : List.of(DRIVER_PREFIX, DATABASE_PREFIX)) {
      config.forEach(
          (key, value) -> {
            if (value != null && key.startsWith(prefix) && key.length() > prefix.length()) {
              p.setProperty(key.substring(prefix.length()), value);
            }
          });
    }
    return p;
  }

  /**
   * The TLS settings of {@link #jdbcProperties()}, named by the config keys that set them, for
   * messages: {@code database.sslmode=verify-full, database.sslrootcert=/etc/carve/root.crt}; the
   * value of {@code sslpassword} is masked. When no {@code sslmode} is set, says so ({@code
   * database.sslmode not set: pgjdbc's prefer}) first.
   */
  public String jdbcTlsSettings() {
    StringJoiner j = new StringJoiner(", ");
    if (tlsKey("sslmode") == null) {
      j.add(DATABASE_PREFIX + "sslmode not set: pgjdbc's prefer");
    }
    for (String property : TLS_PROPERTIES) {
      String key = tlsKey(property);
      if (key != null) {
        j.add(key + "=" + (isSecretKey(key) ? Secrets.MASK : config.get(key)));
      }
    }
    return j.toString();
  }

  /** The config key that sets a pgjdbc property, {@code database.*} before {@code driver.*}. */
  private String tlsKey(String property) {
    for (String prefix : List.of(DATABASE_PREFIX, DRIVER_PREFIX)) {
      if (config.get(prefix + property) != null) {
        return prefix + property;
      }
    }
    return null;
  }

  /**
   * A copy with some config keys replaced (or removed when the value is null), validated again.
   *
   * @throws ConfigException when the result is invalid
   */
  public ConnectorConfig withOverrides(Map<String, String> overrides) {
    Map<String, String> merged = new LinkedHashMap<>(config);
    overrides.forEach(
        (k, v) -> {
          if (v == null) {
            merged.remove(k);
          } else {
            merged.put(k, v);
          }
        });
    List<String> problems = new ArrayList<>();
    List<String> tables = validate(name, merged, problems);
    if (!problems.isEmpty()) {
      throw new ConfigException(source + " (with overrides)", problems);
    }
    return new ConnectorConfig(name, merged, source, tables);
  }

  /**
   * The configuration as Kafka Connect's REST API takes it ({@code PUT /connectors/{name}/config}):
   * the config object, with real (unmasked) values.
   */
  public String toConnectJson() {
    ObjectNode node = JSON.createObjectNode();
    config.forEach(node::put);
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Could not write the config of connector '" + name + "'", e);
    }
  }

  /**
   * True for keys whose values are never shown: passwords, secrets, JAAS configs, tokens,
   * credentials and user info ({@link Secrets#isSecretKey}).
   */
  public static boolean isSecretKey(String key) {
    return Secrets.isSecretKey(key);
  }

  /** The configuration with secrets masked, for logs. */
  public Map<String, String> masked() {
    Map<String, String> out = new LinkedHashMap<>();
    config.forEach((k, v) -> out.put(k, isSecretKey(k) && v != null ? "****" : v));
    return out;
  }

  /** The name and configuration with every password and secret masked. */
  @Override
  public String toString() {
    StringJoiner j = new StringJoiner(", ", "ConnectorConfig{name=" + name + ", config={", "}}");
    masked().forEach((k, v) -> j.add(k + "=" + v));
    return j.toString();
  }
}
