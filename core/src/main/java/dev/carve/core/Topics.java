package dev.carve.core;

import java.util.Locale;
import java.util.regex.Pattern;

/** The naming rules of Carve's topics, in one place (ARCHITECTURE.md, "Data flow"). */
public final class Topics {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]*");

  private Topics() {}

  /** The raw change topic Debezium writes for a table: {@code <prefix>.<schema>.<table>}. */
  public static String raw(String topicPrefix, String schema, String table) {
    return topicPrefix + "." + schema + "." + table;
  }

  /** The domain topic of an entity of a service: {@code <service>.<entity>}. */
  public static String domain(String service, String entity) {
    return checkName("service", service) + "." + checkName("entity", entity);
  }

  /** The dead-letter topic of a service: {@code <service>.dlq}. */
  public static String deadLetter(String service) {
    return checkName("service", service) + ".dlq";
  }

  /**
   * Checks a service or entity name: lower case letters, digits, '_' and '-', starting with a
   * letter.
   *
   * @return the name
   * @throws IllegalArgumentException naming what is wrong
   */
  public static String checkName(String what, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "Invalid "
              + what
              + " name '"
              + name
              + "': use lower case letters, digits, '_' and '-', starting with a letter (e.g. '"
              + (name == null
                  ? "orders"
                  : name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "_"))
              + "')");
    }
    return name;
  }
}
