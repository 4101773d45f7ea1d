package dev.carve.core.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/** The parsed values of one section, read through the options that declared them. */
public final class Config {
  private final String path;
  private final Map<ConfigOption<?>, Object> values;

  Config(String path, Map<ConfigOption<?>, Object> values) {
    this.path = path;
    this.values = new LinkedHashMap<>(values);
  }

  /**
   * The value of an option.
   *
   * @return the value, its default, or null for an optional option with no default
   * @throws IllegalArgumentException when the option was not declared in this section
   */
  @SuppressWarnings("unchecked")
  public <T> T get(ConfigOption<T> option) {
    if (!values.containsKey(option)) {
      throw new IllegalArgumentException(
          "Option '" + option.key() + "' is not declared in section '" + path + "'");
    }
    return (T) values.get(option);
  }

  /** The section's path, e.g. {@code services.orders.sink}. */
  public String path() {
    return path;
  }

  /** The effective configuration for logs, with secrets masked. */
  @Override
  public String toString() {
    StringJoiner j = new StringJoiner(", ", "{", "}");
    values.forEach(
        (o, v) -> j.add(o.key() + "=" + (o.secret() && v != null ? "****" : String.valueOf(v))));
    return j.toString();
  }
}
