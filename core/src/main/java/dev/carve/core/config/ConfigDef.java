package dev.carve.core.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The options of one configuration section. {@link #parse} validates a whole section before any
 * I/O, collects every problem and rejects unknown keys, listing the known ones.
 */
public final class ConfigDef {
  private final Map<String, ConfigOption<?>> options = new LinkedHashMap<>();

  /** Creates a definition from its options. */
  public ConfigDef(ConfigOption<?>... options) {
    for (ConfigOption<?> o : options) {
      if (this.options.put(o.key(), o) != null) {
        throw new IllegalArgumentException("Option '" + o.key() + "' declared twice");
      }
    }
  }

  /** The declared options, in declaration order. */
  public Collection<ConfigOption<?>> options() {
    return options.values();
  }

  /**
   * Parses a section, throwing once with every problem.
   *
   * @param raw the section's raw values (from YAML or properties); null means empty
   * @param path the section's path for messages, e.g. {@code services.orders.sink}
   * @param source the file or origin, for messages
   * @throws ConfigException listing every problem
   */
  public Config parse(Map<String, ?> raw, String path, String source) {
    List<String> problems = new ArrayList<>();
    Config config = parse(raw, path, problems);
    if (!problems.isEmpty()) {
      throw new ConfigException(source, problems);
    }
    return config;
  }

  /**
   * Parses a section, adding problems to {@code problems} instead of throwing, so that a caller
   * validating several sections can fail once.
   */
  public Config parse(Map<String, ?> raw, String path, List<String> problems) {
    Map<String, ?> values = raw == null ? Map.of() : raw;
    String prefix = path == null || path.isEmpty() ? "" : path + ".";
    Map<ConfigOption<?>, Object> parsed = new LinkedHashMap<>();
    for (Map.Entry<String, ?> e : values.entrySet()) {
      if (!options.containsKey(e.getKey())) {
        Set<String> known = new TreeSet<>(options.keySet());
        problems.add(
            "unknown key '"
                + prefix
                + e.getKey()
                + "'; known keys here: "
                + String.join(", ", known));
      }
    }
    for (ConfigOption<?> option : options.values()) {
      Object rawValue = values.get(option.key());
      if (rawValue == null) {
        if (option.required()) {
          problems.add(
              "missing required key '"
                  + prefix
                  + option.key()
                  + "' ("
                  + option.typeName()
                  + (option.doc().isEmpty() ? "" : ": " + option.doc())
                  + ")");
        } else {
          parsed.put(option, option.defaultValue());
        }
        continue;
      }
      try {
        parsed.put(option, option.parse(rawValue));
      } catch (IllegalArgumentException ex) {
        String shown = option.secret() ? "****" : "'" + rawValue + "'";
        problems.add(
            "key '" + prefix + option.key() + "' has value " + shown + ": " + ex.getMessage());
      }
    }
    return new Config(path, parsed);
  }
}
