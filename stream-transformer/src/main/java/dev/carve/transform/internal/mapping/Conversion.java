package dev.carve.transform.internal.mapping;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.carve.transform.api.MappingException;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The conversions a field may apply, in the order written ({@code convert: [trim, lower]}). */
enum Conversion {
  /** Text without leading and trailing white space. */
  TRIM("trim"),
  /** Text in lower case (locale independent). */
  LOWER("lower"),
  /** Text in upper case (locale independent). */
  UPPER("upper"),
  /** Empty text becomes null. */
  EMPTY_NULL("empty-null"),
  /** 'Y' is true, 'N' is false, anything else is an error. */
  FLAG("flag"),
  /** Text in {@code pattern} to an Avro {@code date}; a number is an error. */
  DATE("date"),
  /**
   * Text in {@code pattern} to timestamp-micros: at its offset or zone when the pattern has one,
   * else read as UTC; a number is an error.
   */
  TIMESTAMP("timestamp"),
  /** A decimal amount ("12.50") to minor units (1250); more than 2 decimals is an error. */
  CENTS("cents"),
  /** A decimal amount as an exact decimal; the field's schema gives the scale. */
  DECIMAL("decimal"),
  /** A whole number. */
  INT("int"),
  /** A whole number. */
  LONG("long"),
  /** Any value as text. */
  STRING("string"),
  /** The number of elements of a JSON array held as text. */
  JSON_ARRAY_LENGTH("json-array-length");

  // Blob numbers stay exact (19.999999999999999 is not 20.0; big integers stay BigInteger), so the
  // exactness checks of the conversions and of the Avro schema see them as the source wrote them.
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .build();

  private final String yamlName;

  Conversion(String yamlName) {
    this.yamlName = yamlName;
  }

  String yamlName() {
    return yamlName;
  }

  boolean needsPattern() {
    return this == DATE || this == TIMESTAMP;
  }

  static Conversion ofYaml(String name) {
    for (Conversion c : values()) {
      if (c.yamlName.equals(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown conversion '" + name + "'; allowed: " + allowed());
  }

  static String allowed() {
    return Arrays.stream(values()).map(Conversion::yamlName).collect(Collectors.joining(", "));
  }

  /**
   * Applies the conversion; null stays null.
   *
   * @param pattern the date or timestamp pattern; null unless {@link #needsPattern()}
   * @throws MappingException when the value cannot be converted
   */
  Object apply(Object value, DatePattern pattern) {
    if (value == null) {
      return null;
    }
    try {
      return switch (this) {
        case TRIM -> text(value).trim();
        case LOWER -> text(value).toLowerCase(Locale.ROOT);
        case UPPER -> text(value).toUpperCase(Locale.ROOT);
        case EMPTY_NULL -> text(value).isEmpty() ? null : value;
        case FLAG -> flag(value);
        case DATE -> Math.toIntExact(pattern.date(patternText(value, pattern)).toEpochDay());
        case TIMESTAMP ->
            ChronoUnit.MICROS.between(Instant.EPOCH, pattern.instant(patternText(value, pattern)));
        case CENTS -> new BigDecimal(text(value).trim()).movePointRight(2).longValueExact();
        case DECIMAL -> new BigDecimal(text(value).trim());
        case INT -> new BigDecimal(text(value).trim()).intValueExact();
        case LONG -> new BigDecimal(text(value).trim()).longValueExact();
        case STRING -> value.toString();
        case JSON_ARRAY_LENGTH -> jsonArray(value).size();
      };
    } catch (DateTimeParseException e) {
      throw new MappingException(
          "'" + value + "' does not match the " + yamlName + " pattern: " + e.getMessage(), e);
    } catch (NumberFormatException e) {
      throw new MappingException("'" + value + "' is not a number", e);
    } catch (ArithmeticException e) {
      throw new MappingException(
          "'"
              + value
              + "' cannot be converted with '"
              + yamlName
              + "' without losing digits: "
              + e.getMessage(),
          e);
    }
  }

  private String text(Object value) {
    if (value instanceof CharSequence || value instanceof Number) {
      return value.toString();
    }
    throw new MappingException(
        "'"
            + value
            + "' ("
            + value.getClass().getSimpleName()
            + ") is not text ("
            + yamlName
            + ")");
  }

  /**
   * The text a date or timestamp pattern reads. A number is an error, never days or microseconds:
   * the column was text and changed its type (schema drift). Debezium's numeric date and time types
   * (days, microseconds since 1970) are mapped without {@code convert}: the Avro date or
   * timestamp-micros field takes the number as it is.
   */
  private String patternText(Object value, DatePattern pattern) {
    if (value instanceof Number) {
      throw new MappingException(
          "'"
              + value
              + "' is a number ("
              + value.getClass().getSimpleName()
              + "), not text in the "
              + yamlName
              + " pattern '"
              + pattern.pattern()
              + "': the column's type changed (schema drift)? A column of Debezium's numeric"
              + " date/time types (days or microseconds since 1970) is mapped without 'convert'");
    }
    return text(value);
  }

  private Boolean flag(Object value) {
    if (value instanceof Boolean b) {
      return b;
    }
    String s = text(value);
    if (s.equals("Y")) {
      return true;
    }
    if (s.equals("N")) {
      return false;
    }
    throw new MappingException("'" + s + "' is not a flag; expected 'Y' or 'N'");
  }

  /** The last blob parsed by this thread: the entities of one change read the same blob. */
  private static final ThreadLocal<Object[]> LAST_PARSED =
      ThreadLocal.withInitial(() -> new Object[2]);

  /** Parses a JSON array held as text. */
  static JsonNode jsonArray(Object value) {
    Object[] last = LAST_PARSED.get();
    if (last[0] == value) {
      return (JsonNode) last[1];
    }
    JsonNode node;
    try {
      node = JSON.readTree(value.toString());
    } catch (IOException e) {
      throw new MappingException("is not valid JSON: " + e.getMessage(), e);
    }
    if (node == null || !node.isArray()) {
      throw new MappingException("is not a JSON array");
    }
    last[0] = value;
    last[1] = node;
    return node;
  }
}
