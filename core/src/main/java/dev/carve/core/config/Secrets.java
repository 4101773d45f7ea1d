package dev.carve.core.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

  /** The user info of {@code scheme://user:password@host}: keeps the user, masks the password. */
  private static final Pattern USER_INFO = Pattern.compile("(//[^/?#@:;,\\s]*):[^/?#\\s]*@");

  /** A URL parameter {@code name=value} after {@code ?}, {@code &} or {@code ;}. */
  private static final Pattern PARAMETER = Pattern.compile("([?&;])([^=&;#\\s]+)=([^&;#\\s]*)");

  private Secrets() {}

  /**
   * True for keys whose values are never shown.
   *
   * @param key a configuration key; null is no secret
   */
  public static boolean isSecretKey(String key) {
    if (key == null) {
      return false;
    }
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

  /** The properties in their order, with the value of every secret key masked. */
  public static Map<String, String> maskProperties(Map<String, String> properties) {
    Map<String, String> out = new LinkedHashMap<>();
    properties.forEach((k, v) -> out.put(k, isSecretKey(k) && v != null ? MASK : v));
    return out;
  }

  /**
   * The URL (or comma list of URLs) with the password of its user info and the value of every
   * secret parameter masked: {@code jdbc:postgresql://db/orders?user=carve&password=****}; null
   * stays null.
   */
  public static String maskUrl(String url) {
    if (url == null) {
      return null;
    }
    String masked = USER_INFO.matcher(url).replaceAll("$1:" + Matcher.quoteReplacement(MASK) + "@");
    Matcher m = PARAMETER.matcher(masked);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement =
          isSecretKey(m.group(2)) ? m.group(1) + m.group(2) + "=" + MASK : m.group();
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * The text with every occurrence of {@code url} replaced by its masked form (an error message
   * that quotes the URL, such as {@code DriverManager}'s "No suitable driver found for ...").
   */
  public static String maskUrlIn(String text, String url) {
    if (text == null || url == null || url.isEmpty()) {
      return text;
    }
    return text.replace(url, maskUrl(url));
  }
}
