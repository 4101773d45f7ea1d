package dev.carve.core.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which configuration keys hold secrets, for every place that prints a configuration (logs, diffs,
 * error messages): Kafka client and Connect properties, connector configs, converter settings.
 */
public final class Secrets {
  /** What {@link #mask} shows instead of a secret value. */
  public static final String MASK = "****";

  // Substrings of keys whose values are secrets: Kafka's PASSWORD-typed client settings
  // (ssl.key.password, ssl.keystore.key, sasl.jaas.config, ...), Connect converter credentials
  // (basic.auth.user.info, bearer.auth.token) and the common spellings of API keys.
  private static final List<String> MARKERS =
      List.of(
          "password",
          "secret",
          "jaas",
          "token",
          "credential",
          "user.info",
          "userinfo",
          "api.key",
          "apikey",
          "keystore.key",
          "private.key");

  private Secrets() {}

  /**
   * True for keys whose values are never shown.
   *
   * @param key a configuration key, never null
   */
  public static boolean isSecretKey(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    for (String marker : MARKERS) {
      if (k.contains(marker)) {
        return true;
      }
    }
    return false;
  }

  /** A copy of {@code config} whose secret values (non-null) are {@link #MASK}. */
  public static <V> Map<String, Object> mask(Map<String, V> config) {
    Map<String, Object> out = new LinkedHashMap<>();
    config.forEach((k, v) -> out.put(k, v != null && isSecretKey(k) ? MASK : v));
    return out;
  }
}
