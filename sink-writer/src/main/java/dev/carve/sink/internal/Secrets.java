package dev.carve.sink.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks secrets wherever the sink prints configuration: Kafka client properties whose key names a
 * secret, and passwords inside URLs (a {@code password=} parameter of a JDBC URL, the user info of
 * {@code scheme://user:password@host}).
 */
public final class Secrets {
  /** What a secret value is shown as. */
  public static final String MASK = "****";

  private static final List<String> SECRET_KEY_PARTS =
      List.of("password", "secret", "jaas", "token", "credentials", "user.info", "userinfo");

  /** The user info of {@code scheme://user:password@host}: keeps the user, masks the password. */
  private static final Pattern USER_INFO = Pattern.compile("(//[^/?#@:;,\\s]*):[^/?#\\s]*@");

  /** A URL parameter {@code name=value} after {@code ?}, {@code &} or {@code ;}. */
  private static final Pattern PARAMETER = Pattern.compile("([?&;])([^=&;#\\s]+)=([^&;#\\s]*)");

  private Secrets() {}

  /**
   * True for configuration keys whose values must never be shown: keys containing {@code password},
   * {@code secret}, {@code jaas}, {@code token}, {@code credentials} or {@code user.info}
   * (case-insensitive), e.g. {@code sasl.jaas.config}, {@code ssl.keystore.password}, {@code
   * basic.auth.user.info}. Masking a harmless key (a token endpoint URL) costs nothing.
   */
  public static boolean isSecretKey(String key) {
    if (key == null) {
      return false;
    }
    String k = key.toLowerCase(Locale.ROOT);
    for (String part : SECRET_KEY_PARTS) {
      if (k.contains(part)) {
        return true;
      }
    }
    return false;
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
