package dev.carve.core.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One configuration option, declared once with its key, type, default, validator and doc text, in
 * the manner of Kafka's {@code ConfigDef} and Flink's {@code ConfigOption}.
 *
 * @param <T> the Java type of the parsed value
 */
public final class ConfigOption<T> {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

  private final String key;
  private final String typeName;
  private final Function<Object, T> parser;
  private final T defaultValue;
  private final boolean required;
  private final Validator<T> validator;
  private final String doc;
  private final boolean secret;

  /** Checks a parsed value; returns null when valid or a sentence saying what is allowed. */
  @FunctionalInterface
  public interface Validator<T> {
    /** Returns null when {@code value} is valid, else what is allowed. */
    String check(T value);
  }

  private ConfigOption(
      String key,
      String typeName,
      Function<Object, T> parser,
      T defaultValue,
      boolean required,
      Validator<T> validator,
      String doc,
      boolean secret) {
    this.key = key;
    this.typeName = typeName;
    this.parser = parser;
    this.defaultValue = defaultValue;
    this.required = required;
    this.validator = validator;
    this.doc = doc;
    this.secret = secret;
  }

  /** A text option. */
  public static Builder<String> string(String key) {
    return new Builder<>(key, "string", v -> scalar(v).toString());
  }

  /** A text option whose value is never logged or printed. */
  public static Builder<String> password(String key) {
    return string(key).secret();
  }

  /** A 32-bit integer option. */
  public static Builder<Integer> integer(String key) {
    return new Builder<>(
        key,
        "integer",
        v -> v instanceof Number n ? Math.toIntExact(n.longValue()) : Integer.parseInt(str(v)));
  }

  /** A 64-bit integer option. */
  public static Builder<Long> longInt(String key) {
    return new Builder<>(
        key, "long", v -> v instanceof Number n ? n.longValue() : Long.parseLong(str(v)));
  }

  /** A boolean option: only {@code true} or {@code false}. */
  public static Builder<Boolean> bool(String key) {
    return new Builder<>(
        key,
        "boolean",
        v -> {
          if (v instanceof Boolean b) {
            return b;
          }
          String s = str(v).toLowerCase(Locale.ROOT);
          if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
          }
          throw new IllegalArgumentException("expected true or false");
        });
  }

  /**
   * A duration option written as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h} or {@code 7d}.
   */
  public static Builder<Duration> duration(String key) {
    return new Builder<>(key, "duration (e.g. 500ms, 30s, 5m, 7d)", ConfigOption::parseDuration);
  }

  /** An enum option; values are matched case-insensitively, with '-' standing for '_'. */
  public static <E extends Enum<E>> Builder<E> enumeration(String key, Class<E> type) {
    String allowed =
        Arrays.stream(type.getEnumConstants())
            .map(e -> e.name().toLowerCase(Locale.ROOT).replace('_', '-'))
            .collect(Collectors.joining(", "));
    return new Builder<>(
        key,
        "one of " + allowed,
        v -> {
          String s = str(v).trim().toUpperCase(Locale.ROOT).replace('-', '_');
          for (E e : type.getEnumConstants()) {
            if (e.name().equals(s)) {
              return e;
            }
          }
          throw new IllegalArgumentException("expected one of " + allowed);
        });
  }

  /** A list of strings, written as a YAML list or a comma-separated string. */
  public static Builder<List<String>> list(String key) {
    return new Builder<>(
        key,
        "list",
        v -> {
          if (v instanceof List<?> l) {
            return l.stream().map(ConfigOption::str).toList();
          }
          return Arrays.stream(str(v).split(","))
              .map(String::trim)
              .filter(s -> !s.isEmpty())
              .toList();
        });
  }

  /** A map of string to string (e.g. extra Kafka client properties). */
  public static Builder<Map<String, String>> map(String key) {
    return new Builder<>(
        key,
        "map",
        v -> {
          if (!(v instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("expected a map of key: value");
          }
          Map<String, String> out = new java.util.LinkedHashMap<>();
          m.forEach((k, val) -> out.put(String.valueOf(k), val == null ? null : str(val)));
          return out;
        });
  }

  /** A nested section kept as a raw map, parsed by the component that owns it. */
  @SuppressWarnings("unchecked")
  public static Builder<Map<String, Object>> section(String key) {
    return new Builder<>(
        key,
        "section",
        v -> {
          if (!(v instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("expected a section of key: value");
          }
          return (Map<String, Object>) m;
        });
  }

  private static Object scalar(Object v) {
    if (v instanceof Map || v instanceof List) {
      throw new IllegalArgumentException(
          "expected a single value, not a " + (v instanceof Map ? "section" : "list"));
    }
    return v;
  }

  private static String str(Object v) {
    return scalar(v).toString();
  }

  /**
   * Parses a duration written as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h} or {@code 7d}
   * (a number alone is milliseconds).
   *
   * @throws IllegalArgumentException saying what is allowed
   */
  public static Duration parseDuration(Object v) {
    if (v instanceof Number n) {
      return Duration.ofMillis(n.longValue());
    }
    Matcher m = DURATION.matcher(str(v).trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a duration such as 500ms, 30s, 5m, 2h or 7d");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  /** The key, relative to the section the option belongs to. */
  public String key() {
    return key;
  }

  /** What values look like, for messages. */
  public String typeName() {
    return typeName;
  }

  /** The default; null when there is none. */
  public T defaultValue() {
    return defaultValue;
  }

  /** True when the option has no default and must be set. */
  public boolean required() {
    return required;
  }

  /** The documentation sentence. */
  public String doc() {
    return doc;
  }

  /** True when the value must never be logged or printed. */
  public boolean secret() {
    return secret;
  }

  /**
   * Parses and validates a raw value.
   *
   * @throws IllegalArgumentException with a sentence saying what is allowed
   */
  T parse(Object raw) {
    T value;
    try {
      value = parser.apply(raw);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("expected " + typeName);
    }
    if (validator != null) {
      String problem = validator.check(value);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
    }
    return value;
  }

  /** Builds a {@link ConfigOption}. */
  public static final class Builder<T> {
    private final String key;
    private final String typeName;
    private final Function<Object, T> parser;
    private T defaultValue;
    private boolean required = true;
    private Validator<T> validator;
    private String doc = "";
    private boolean secret;

    private Builder(String key, String typeName, Function<Object, T> parser) {
      this.key = Objects.requireNonNull(key);
      this.typeName = typeName;
      this.parser = parser;
    }

    /** Sets the default; the option is then optional. */
    public Builder<T> defaultValue(T value) {
      this.defaultValue = value;
      this.required = false;
      return this;
    }

    /** Makes the option optional with no default (its value may be null). */
    public Builder<T> optional() {
      this.required = false;
      return this;
    }

    /** Adds a validator. */
    public Builder<T> validator(Validator<T> validator) {
      this.validator = validator;
      return this;
    }

    /** Sets the documentation sentence. */
    public Builder<T> doc(String doc) {
      this.doc = doc;
      return this;
    }

    /** Marks the value secret: masked in logs and summaries. */
    public Builder<T> secret() {
      this.secret = true;
      return this;
    }

    /** Builds the option. */
    public ConfigOption<T> build() {
      return new ConfigOption<>(
          key, typeName, parser, defaultValue, required, validator, doc, secret);
    }
  }

  /** A validator for integers in a closed range. */
  public static Validator<Integer> between(int min, int max) {
    return v -> v < min || v > max ? "must be between " + min + " and " + max : null;
  }

  /** A validator for positive durations. */
  public static Validator<Duration> positive() {
    return v -> v.isNegative() || v.isZero() ? "must be greater than zero" : null;
  }

  /** A validator for non-blank text. */
  public static Validator<String> notBlank() {
    return v -> v.isBlank() ? "must not be blank" : null;
  }
}
