package dev.carve.transform.internal.mapping;

import dev.carve.transform.api.MappingException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;

/** Converts mapped Java values to the Avro representation of a field's schema, strictly. */
final class AvroValues {
  private static final Conversions.DecimalConversion DECIMAL = new Conversions.DecimalConversion();

  private AvroValues() {}

  /** The non-null branch of a {@code ["null", X]} union, or the schema itself. */
  static Schema nonNull(Schema schema) {
    if (schema.getType() != Schema.Type.UNION) {
      return schema;
    }
    for (Schema branch : schema.getTypes()) {
      if (branch.getType() != Schema.Type.NULL) {
        return branch;
      }
    }
    return schema;
  }

  static boolean nullable(Schema schema) {
    return schema.getType() == Schema.Type.NULL
        || (schema.getType() == Schema.Type.UNION
            && schema.getTypes().stream().anyMatch(s -> s.getType() == Schema.Type.NULL));
  }

  /** Null when {@code schema} is supported by mappings, else what is not. */
  static String unsupported(Schema schema) {
    if (schema.getType() == Schema.Type.UNION) {
      List<Schema> types = schema.getTypes();
      if (types.size() != 2 || !nullable(schema)) {
        return "only [\"null\", T] unions are supported";
      }
      return unsupported(nonNull(schema));
    }
    return switch (schema.getType()) {
      case STRING, LONG, INT, BOOLEAN, ENUM, DOUBLE, FLOAT -> null;
      case BYTES ->
          schema.getLogicalType() instanceof LogicalTypes.Decimal
              ? null
              : "bytes without logicalType decimal are not supported";
      default -> "Avro type " + schema.getType() + " is not supported by mappings";
    };
  }

  /**
   * Converts {@code value} to the Avro value of {@code schema}.
   *
   * @throws MappingException saying what the value was and what the field needs
   */
  static Object coerce(Object value, Schema schema) {
    if (value == null) {
      if (nullable(schema)) {
        return null;
      }
      throw new MappingException("is null but the field is not nullable");
    }
    Schema type = nonNull(schema);
    LogicalType logical = type.getLogicalType();
    return switch (type.getType()) {
      case STRING -> {
        if (value instanceof CharSequence || value instanceof Number || value instanceof Boolean) {
          yield value.toString();
        }
        throw wrongType(value, "text");
      }
      case LONG -> {
        try {
          if (value instanceof Instant instant) {
            yield ChronoUnit.MICROS.between(Instant.EPOCH, instant);
          }
          yield toBigDecimal(value, "a whole number").longValueExact();
        } catch (ArithmeticException e) {
          throw notWhole(value, "long");
        }
      }
      case INT -> {
        try {
          if (value instanceof LocalDate date) {
            yield Math.toIntExact(date.toEpochDay());
          }
          yield toBigDecimal(value, "a whole number").intValueExact();
        } catch (ArithmeticException e) {
          throw notWhole(value, "int");
        }
      }
      case DOUBLE -> {
        double d = toBigDecimal(value, "a number").doubleValue();
        if (!Double.isFinite(d)) {
          throw outOfRange(value, "double");
        }
        yield d;
      }
      case FLOAT -> {
        float f = toBigDecimal(value, "a number").floatValue();
        if (!Float.isFinite(f)) {
          throw outOfRange(value, "float");
        }
        yield f;
      }
      case BOOLEAN -> {
        if (value instanceof Boolean b) {
          yield b;
        }
        throw wrongType(value, "a boolean (convert 'Y'/'N' with 'convert: flag')");
      }
      case ENUM -> {
        String symbol = value.toString();
        if (!type.getEnumSymbols().contains(symbol)) {
          throw new MappingException(
              "'" + symbol + "' is not one of the symbols " + type.getEnumSymbols());
        }
        yield new GenericData.EnumSymbol(type, symbol);
      }
      case BYTES -> {
        LogicalTypes.Decimal decimal = (LogicalTypes.Decimal) logical;
        BigDecimal number = toBigDecimal(value, "a decimal number");
        BigDecimal scaled;
        try {
          scaled = number.setScale(decimal.getScale(), RoundingMode.UNNECESSARY);
        } catch (ArithmeticException e) {
          throw new MappingException(
              "'" + value + "' has more than " + decimal.getScale() + " decimal places");
        }
        if (scaled.precision() > decimal.getPrecision()) {
          throw new MappingException(
              "'" + value + "' has more than " + decimal.getPrecision() + " digits");
        }
        yield DECIMAL.toBytes(scaled, type, decimal);
      }
      default -> throw new MappingException("Avro type " + type.getType() + " is not supported");
    };
  }

  private static BigDecimal toBigDecimal(Object value, String what) {
    try {
      if (value instanceof BigDecimal d) {
        return d;
      }
      if (value instanceof BigInteger i) {
        return new BigDecimal(i);
      }
      if (value instanceof Long || value instanceof Integer || value instanceof Short) {
        return BigDecimal.valueOf(((Number) value).longValue());
      }
      if (value instanceof Number n) {
        return new BigDecimal(n.toString());
      }
      if (value instanceof CharSequence s) {
        return new BigDecimal(s.toString().trim());
      }
    } catch (NumberFormatException e) {
      throw wrongType(value, what);
    }
    throw wrongType(value, what);
  }

  private static MappingException notWhole(Object value, String type) {
    return new MappingException(
        "'" + value + "' is not a whole number within the range of an Avro " + type);
  }

  /**
   * BigDecimal's doubleValue and floatValue give an infinity beyond their range, never an error.
   */
  private static MappingException outOfRange(Object value, String type) {
    return new MappingException(
        "'" + value + "' is beyond the range of an Avro " + type + " (it would become infinite)");
  }

  private static MappingException wrongType(Object value, String what) {
    return new MappingException(
        "'" + value + "' (" + value.getClass().getSimpleName() + ") is not " + what);
  }
}
