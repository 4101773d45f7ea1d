package dev.carve.schemas.registry;

import dev.carve.core.config.Config;
import dev.carve.core.config.ConfigDef;
import dev.carve.core.config.ConfigException;
import dev.carve.core.config.ConfigOption;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.types.Password;

/**
 * How to reach a schema registry, read from Confluent's configuration keys, so that the same
 * properties work for Carve and for Confluent's serializers.
 *
 * <table>
 * <caption>Keys</caption>
 * <tr><th>key</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@code schema.registry.url}</td><td>required</td><td>comma list of {@code http(s)://}
 *     URLs tried in order (fail over), or one {@code mock://<scope>}</td></tr>
 * <tr><td>{@code basic.auth.credentials.source}</td><td>{@code USER_INFO} when
 *     {@code basic.auth.user.info} is set, else {@code URL}</td><td>{@code USER_INFO} or
 *     {@code URL} (credentials in the URL's user info)</td></tr>
 * <tr><td>{@code basic.auth.user.info}</td><td>none</td><td>{@code user:password}</td></tr>
 * <tr><td>{@code schema.registry.ssl.truststore.location}</td><td>none (JDK trust)</td>
 *     <td>truststore file for https</td></tr>
 * <tr><td>{@code schema.registry.ssl.truststore.password}</td><td>none</td><td></td></tr>
 * <tr><td>{@code schema.registry.ssl.truststore.type}</td><td>{@code JKS}</td>
 *     <td>{@code JKS} or {@code PKCS12}</td></tr>
 * <tr><td>{@code carve.registry.max.attempts}</td><td>5</td><td>attempts per request over all
 *     URLs (connect failures and 5xx are retried)</td></tr>
 * <tr><td>{@code carve.registry.retry.backoff.ms}</td><td>100</td><td>first delay, doubled</td></tr>
 * <tr><td>{@code carve.registry.retry.max.backoff.ms}</td><td>5000</td><td>largest delay</td></tr>
 * <tr><td>{@code carve.registry.request.timeout.ms}</td><td>30000</td><td>per HTTP request</td></tr>
 * </table>
 *
 * <p>Other keys in the map are ignored, since Kafka hands a serializer every client property.
 *
 * @param urls the registry URLs without user info; never empty
 * @param userInfo {@code user:password} for basic authentication, or null for none
 * @param truststoreLocation the truststore file, or null for the JDK's default trust
 * @param truststorePassword the truststore password, or null
 * @param truststoreType {@code JKS} or {@code PKCS12}
 * @param maxAttempts attempts per request, at least 1
 * @param retryBackoff the first delay between attempts
 * @param maxRetryBackoff the largest delay between attempts
 * @param requestTimeout the timeout of one HTTP request (and of connecting)
 */
public record RegistryClientConfig(
    List<String> urls,
    String userInfo,
    String truststoreLocation,
    String truststorePassword,
    String truststoreType,
    int maxAttempts,
    Duration retryBackoff,
    Duration maxRetryBackoff,
    Duration requestTimeout) {

  /** The registry URLs. */
  public static final String URL = "schema.registry.url";

  /** Where basic-auth credentials come from: {@code USER_INFO} or {@code URL}. */
  public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";

  /** {@code user:password} for basic authentication. */
  public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";

  /** The truststore file. */
  public static final String TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";

  /** The truststore password. */
  public static final String TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";

  /** The truststore type. */
  public static final String TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";

  /** Attempts per request. */
  public static final String MAX_ATTEMPTS = "carve.registry.max.attempts";

  /** First delay between attempts, in ms. */
  public static final String RETRY_BACKOFF_MS = "carve.registry.retry.backoff.ms";

  /** Largest delay between attempts, in ms. */
  public static final String RETRY_MAX_BACKOFF_MS = "carve.registry.retry.max.backoff.ms";

  /** Timeout of one HTTP request, in ms. */
  public static final String REQUEST_TIMEOUT_MS = "carve.registry.request.timeout.ms";

  /** The source of basic-auth credentials. */
  public enum CredentialsSource {
    /** From {@code basic.auth.user.info}. */
    USER_INFO,
    /** From the user info of the registry URL ({@code https://user:pass@host}). */
    URL
  }

  private static final ConfigOption<List<String>> URL_OPTION =
      ConfigOption.list(URL)
          .validator(v -> v.isEmpty() ? "must list at least one registry URL" : null)
          .doc("comma list of registry URLs, or mock://<scope>")
          .build();
  private static final ConfigOption<CredentialsSource> SOURCE_OPTION =
      ConfigOption.enumeration(BASIC_AUTH_CREDENTIALS_SOURCE, CredentialsSource.class)
          .optional()
          .build();
  private static final ConfigOption<String> USER_INFO_OPTION =
      ConfigOption.password(BASIC_AUTH_USER_INFO)
          .optional()
          .validator(v -> v.contains(":") ? null : "must be user:password")
          .build();
  private static final ConfigOption<String> TRUSTSTORE_LOCATION_OPTION =
      ConfigOption.string(TRUSTSTORE_LOCATION).optional().build();
  private static final ConfigOption<String> TRUSTSTORE_PASSWORD_OPTION =
      ConfigOption.password(TRUSTSTORE_PASSWORD).optional().build();
  private static final ConfigOption<String> TRUSTSTORE_TYPE_OPTION =
      ConfigOption.string(TRUSTSTORE_TYPE)
          .defaultValue("JKS")
          .validator(
              v ->
                  v.equalsIgnoreCase("JKS") || v.equalsIgnoreCase("PKCS12")
                      ? null
                      : "must be JKS or PKCS12")
          .build();
  private static final ConfigOption<Integer> MAX_ATTEMPTS_OPTION =
      ConfigOption.integer(MAX_ATTEMPTS)
          .defaultValue(5)
          .validator(ConfigOption.between(1, 100))
          .build();
  private static final ConfigOption<Long> BACKOFF_OPTION =
      ConfigOption.longInt(RETRY_BACKOFF_MS)
          .defaultValue(100L)
          .validator(v -> v < 0 ? "must not be negative" : null)
          .build();
  private static final ConfigOption<Long> MAX_BACKOFF_OPTION =
      ConfigOption.longInt(RETRY_MAX_BACKOFF_MS)
          .defaultValue(5000L)
          .validator(v -> v < 0 ? "must not be negative" : null)
          .build();
  private static final ConfigOption<Long> TIMEOUT_OPTION =
      ConfigOption.longInt(REQUEST_TIMEOUT_MS)
          .defaultValue(30000L)
          .validator(v -> v <= 0 ? "must be greater than zero" : null)
          .build();

  /** The definition of the keys this class reads. */
  public static final ConfigDef DEFINITION =
      new ConfigDef(
          URL_OPTION,
          SOURCE_OPTION,
          USER_INFO_OPTION,
          TRUSTSTORE_LOCATION_OPTION,
          TRUSTSTORE_PASSWORD_OPTION,
          TRUSTSTORE_TYPE_OPTION,
          MAX_ATTEMPTS_OPTION,
          BACKOFF_OPTION,
          MAX_BACKOFF_OPTION,
          TIMEOUT_OPTION);

  /** Checks the values. */
  public RegistryClientConfig {
    urls = List.copyOf(urls);
    if (urls.isEmpty()) {
      throw new IllegalArgumentException("at least one registry URL is needed");
    }
    Objects.requireNonNull(truststoreType, "truststoreType");
    Objects.requireNonNull(retryBackoff, "retryBackoff");
    Objects.requireNonNull(maxRetryBackoff, "maxRetryBackoff");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
  }

  /**
   * Reads the keys above from a map that may hold other keys too.
   *
   * @throws ConfigException listing every invalid key
   */
  public static RegistryClientConfig parse(Map<String, ?> config) {
    Map<String, Object> known = known(config, DEFINITION);
    List<String> problems = new ArrayList<>();
    Config c = DEFINITION.parse(known, "", problems);
    List<String> raw = value(c, URL_OPTION) == null ? List.<String>of() : value(c, URL_OPTION);
    String userInfo = value(c, USER_INFO_OPTION);
    CredentialsSource source = value(c, SOURCE_OPTION);
    if (source == null) {
      source = userInfo != null ? CredentialsSource.USER_INFO : CredentialsSource.URL;
    }
    if (source == CredentialsSource.USER_INFO
        && userInfo == null
        && !known.containsKey(BASIC_AUTH_USER_INFO)) {
      problems.add(
          "key '"
              + BASIC_AUTH_CREDENTIALS_SOURCE
              + "' is USER_INFO but '"
              + BASIC_AUTH_USER_INFO
              + "' is not set");
    }
    boolean mock = raw.stream().anyMatch(u -> u.startsWith(MockSchemaRegistry.SCHEME));
    if (mock && raw.size() > 1) {
      problems.add("key '" + URL + "' may hold one mock://<scope> URL only, was " + raw);
    }
    List<String> urls = new ArrayList<>();
    String urlUserInfo = null;
    for (String u : raw) {
      if (u.startsWith(MockSchemaRegistry.SCHEME)) {
        if (MockSchemaRegistry.scopeOf(u).isEmpty()) {
          problems.add("key '" + URL + "': mock:// needs a scope, e.g. mock://orders-test");
        }
        urls.add(u);
        continue;
      }
      try {
        URI uri = new URI(u);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
          problems.add(
              "key '"
                  + URL
                  + "' has value '"
                  + redact(u)
                  + "': expected http://host:port, https://host:port or mock://<scope>");
          continue;
        }
        if (uri.getUserInfo() != null) {
          if (!uri.getUserInfo().contains(":")) {
            // Basic authentication needs user:password; a lone token is refused, never printed.
            problems.add(
                "key '"
                    + URL
                    + "' has value '"
                    + redact(u)
                    + "': the credentials in the URL must be user:password");
            continue;
          }
          urlUserInfo = uri.getUserInfo();
        }
        URI plain = new URI(scheme, null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
        String s = plain.toString();
        urls.add(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
      } catch (URISyntaxException e) {
        problems.add(
            "key '" + URL + "' has value '" + redact(u) + "': not a URL (" + e.getReason() + ")");
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException("the schema registry client configuration", problems);
    }
    return new RegistryClientConfig(
        urls,
        source == CredentialsSource.USER_INFO ? userInfo : urlUserInfo,
        value(c, TRUSTSTORE_LOCATION_OPTION),
        value(c, TRUSTSTORE_PASSWORD_OPTION),
        value(c, TRUSTSTORE_TYPE_OPTION).toUpperCase(Locale.ROOT),
        value(c, MAX_ATTEMPTS_OPTION),
        Duration.ofMillis(value(c, BACKOFF_OPTION)),
        Duration.ofMillis(value(c, MAX_BACKOFF_OPTION)),
        Duration.ofMillis(value(c, TIMEOUT_OPTION)));
  }

  /** The value of an option, or null when it failed to parse (its problem is already listed). */
  private static <T> T value(Config config, ConfigOption<T> option) {
    try {
      return config.get(option);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** A configuration for these URLs with every other value at its default. */
  public static RegistryClientConfig of(String... urls) {
    return parse(Map.of(URL, String.join(",", urls)));
  }

  /** True for a {@code mock://<scope>} registry. */
  public boolean isMock() {
    return urls.get(0).startsWith(MockSchemaRegistry.SCHEME);
  }

  /** Creates the client this configuration describes. */
  public SchemaRegistryClient createClient() {
    if (isMock()) {
      return MockSchemaRegistry.client(MockSchemaRegistry.scopeOf(urls.get(0)));
    }
    return new RestSchemaRegistryClient(this);
  }

  @Override
  public String toString() {
    return "RegistryClientConfig[urls="
        + urls
        + ", basicAuth="
        + maskedUserInfo()
        + ", truststore="
        + truststoreLocation
        + ", maxAttempts="
        + maxAttempts
        + ", requestTimeout="
        + requestTimeout
        + "]";
  }

  /** The user name and a mask; only a mask when there is no user:password separator. */
  private String maskedUserInfo() {
    if (userInfo == null) {
      return "none";
    }
    int colon = userInfo.indexOf(':');
    return colon < 0 ? "****" : userInfo.substring(0, colon) + ":****";
  }

  /**
   * The entries of {@code config} whose keys {@code definition} declares, with Kafka {@link
   * Password} values unwrapped; for components that receive every client property.
   */
  public static Map<String, Object> known(Map<String, ?> config, ConfigDef definition) {
    Map<String, Object> known = new HashMap<>();
    for (ConfigOption<?> option : definition.options()) {
      Object value = config.get(option.key());
      if (value instanceof Password p) {
        value = p.value();
      }
      if (value != null) {
        known.put(option.key(), value);
      }
    }
    return known;
  }

  private static String redact(String url) {
    return url.replaceAll("//[^/@]*@", "//****@");
  }
}
