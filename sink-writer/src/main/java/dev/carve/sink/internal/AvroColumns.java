package dev.carve.sink.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;

/**
 * Maps Avro schemas to PostgreSQL columns and Avro values to the text PostgreSQL casts into those
 * columns.
 *
 * <table>
 * <caption>Type mapping</caption>
 * <tr><th>Avro</th><th>PostgreSQL</th></tr>
 * <tr><td>long</td><td>bigint</td></tr>
 * <tr><td>int</td><td>integer</td></tr>
 * <tr><td>string</td><td>text</td></tr>
 * <tr><td>boolean</td><td>boolean</td></tr>
 * <tr><td>double / float</td><td>double precision / real</td></tr>
 * <tr><td>bytes, fixed</td><td>bytea</td></tr>
 * <tr><td>decimal(p,s)</td><td>numeric(p,s)</td></tr>
 * <tr><td>timestamp-millis/micros</td><td>timestamp with time zone (an instant)</td></tr>
 * <tr><td>local-timestamp-millis/micros</td><td>timestamp without time zone</td></tr>
 * <tr><td>date</td><td>date</td></tr>
 * <tr><td>time-millis/micros</td><td>time without time zone</td></tr>
 * <tr><td>uuid</td><td>uuid</td></tr>
 * <tr><td>enum</td><td>text</td></tr>
 * <tr><td>array, map, record</td><td>jsonb</td></tr>
 * <tr><td>["null", T]</td><td>T, nullable</td></tr>
 * </table>
 */
public final class AvroColumns {
  private static final HexFormat HEX = HexFormat.of();

  // PostgreSQL's time accepts 24:00:00 (the end of a day), which java.time.LocalTime cannot hold.
  private static final long MICROS_PER_DAY = 86_400_000_000L;
  private static final int MILLIS_PER_DAY = 86_400_000;
  private static final String END_OF_DAY = "24:00:00";

  private AvroColumns() {}

  /**
   * Derives the table shape from the key and value schemas: key fields become the primary key; the
   * value's other fields follow in schema order.
   *
   * @param valueSchema the value's writer schema; null when only the key is known (a delete)
   * @throws UnsupportedSchemaException naming the table and field when a type cannot be mapped
   */
  public static TableSpec tableSpec(
      String schema, String table, Schema keySchema, Schema valueSchema) {
    List<Column> keys = columns(table, keySchema, true);
    Set<String> keyNames = new LinkedHashSet<>();
    keys.forEach(k -> keyNames.add(k.name()));
    List<Column> values = new ArrayList<>();
    if (valueSchema != null) {
      for (Column c : columns(table, valueSchema, false)) {
        if (!keyNames.contains(c.name())) {
          values.add(c);
        }
      }
    }
    return new TableSpec(schema, table, keys, values);
  }

  private static List<Column> columns(String table, Schema record, boolean key) {
    if (record.getType() != Schema.Type.RECORD) {
      throw new UnsupportedSchemaException(
          "Table '"
              + table
              + "': the "
              + (key ? "key" : "value")
              + " schema must be an Avro record, not "
              + record.getType());
    }
    List<Column> columns = new ArrayList<>();
    for (Schema.Field f : record.getFields()) {
      Schema fieldSchema = f.schema();
      boolean nullable = isNullable(fieldSchema);
      if (key && nullable) {
        throw new UnsupportedSchemaException(
            "Table '" + table + "' key column '" + f.name() + "': key fields must not be nullable");
      }
      columns.add(new Column(f.name(), sqlType(table, f.name(), nonNull(fieldSchema)), nullable));
    }
    return columns;
  }

  /** True for a union that contains null. */
  public static boolean isNullable(Schema schema) {
    return schema.getType() == Schema.Type.UNION
        && schema.getTypes().stream().anyMatch(s -> s.getType() == Schema.Type.NULL);
  }

  /** The non-null branch of {@code ["null", T]}, or the schema itself. */
  public static Schema nonNull(Schema schema) {
    if (schema.getType() != Schema.Type.UNION) {
      return schema;
    }
    List<Schema> branches =
        schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).toList();
    return branches.size() == 1 ? branches.get(0) : schema;
  }

  /**
   * The PostgreSQL type of a (non-null) Avro schema, spelled as {@code format_type()} prints it.
   */
  static String sqlType(String table, String column, Schema s) {
    LogicalType logical = s.getLogicalType();
    switch (s.getType()) {
      case LONG:
        if (logical instanceof LogicalTypes.TimestampMillis
            || logical instanceof LogicalTypes.TimestampMicros) {
          return "timestamp with time zone";
        }
        if (logical instanceof LogicalTypes.LocalTimestampMillis
            || logical instanceof LogicalTypes.LocalTimestampMicros) {
          return "timestamp without time zone";
        }
        if (logical instanceof LogicalTypes.TimeMicros) {
          return "time without time zone";
        }
        return "bigint";
      case INT:
        if (logical instanceof LogicalTypes.Date) {
          return "date";
        }
        if (logical instanceof LogicalTypes.TimeMillis) {
          return "time without time zone";
        }
        return "integer";
      case STRING:
        return logical != null && logical.getName().equals("uuid") ? "uuid" : "text";
      case BOOLEAN:
        return "boolean";
      case DOUBLE:
        return "double precision";
      case FLOAT:
        return "real";
      case BYTES:
      case FIXED:
        if (logical instanceof LogicalTypes.Decimal d) {
          return "numeric(" + d.getPrecision() + "," + d.getScale() + ")";
        }
        return s.getType() == Schema.Type.FIXED
                && logical != null
                && logical.getName().equals("uuid")
            ? "uuid"
            : "bytea";
      case ENUM:
        return "text";
      case ARRAY:
      case MAP:
      case RECORD:
        return "jsonb";
      default:
        throw new UnsupportedSchemaException(
            "Table '"
                + table
                + "' column '"
                + column
                + "': Avro type "
                + s
                + " has no PostgreSQL mapping (use a nullable union of one type)");
    }
  }

  /**
   * Encodes an Avro value as the text PostgreSQL casts to the column's type.
   *
   * @param value the datum as a GenericRecord holds it (Utf8, ByteBuffer, Long...) or converted by
   *     a logical-type conversion (BigDecimal, Instant, LocalDate...); may be null
   * @param schema the field's writer schema (a nullable union is allowed)
   * @return the text, or null for null
   * @throws RuntimeException (DateTimeException, ArithmeticException, IllegalArgumentException)
   *     when the value has no text of the column's type (a time beyond 24:00, an instant out of
   *     range, a decimal of zero bytes): the record's own fault
   */
  public static String toText(Object value, Schema schema) {
    if (value == null) {
      return null;
    }
    Schema s = nonNull(schema);
    LogicalType logical = s.getLogicalType();
    switch (s.getType()) {
      case LONG:
        if (value instanceof Long l) {
          if (logical instanceof LogicalTypes.TimestampMicros) {
            return Instant.EPOCH.plus(l, ChronoUnit.MICROS).toString();
          }
          if (logical instanceof LogicalTypes.TimestampMillis) {
            return Instant.ofEpochMilli(l).toString();
          }
          if (logical instanceof LogicalTypes.LocalTimestampMicros) {
            return LocalDateTime.ofEpochSecond(0, 0, ZoneOffset.UTC)
                .plus(l, ChronoUnit.MICROS)
                .toString();
          }
          if (logical instanceof LogicalTypes.LocalTimestampMillis) {
            return LocalDateTime.ofEpochSecond(0, 0, ZoneOffset.UTC)
                .plus(l, ChronoUnit.MILLIS)
                .toString();
          }
          if (logical instanceof LogicalTypes.TimeMicros) {
            return l == MICROS_PER_DAY ? END_OF_DAY : LocalTime.ofNanoOfDay(l * 1000).toString();
          }
        }
        return value.toString();
      case INT:
        if (value instanceof Integer i) {
          if (logical instanceof LogicalTypes.Date) {
            return LocalDate.ofEpochDay(i).toString();
          }
          if (logical instanceof LogicalTypes.TimeMillis) {
            return i == MILLIS_PER_DAY
                ? END_OF_DAY
                : LocalTime.ofNanoOfDay(i * 1_000_000L).toString();
          }
        }
        return value.toString();
      case BYTES:
      case FIXED:
        if (value instanceof BigDecimal d) {
          return d.toPlainString();
        }
        byte[] bytes = bytes(value);
        if (logical instanceof LogicalTypes.Decimal d) {
          if (bytes.length == 0) {
            throw new IllegalArgumentException("a decimal of zero bytes has no value");
          }
          return new BigDecimal(new BigInteger(bytes), d.getScale()).toPlainString();
        }
        return "\\x" + HEX.formatHex(bytes);
      case ARRAY:
      case MAP:
      case RECORD:
      case UNION:
        return GenericData.get().toString(value);
      default:
        return value.toString();
    }
  }

  private static byte[] bytes(Object value) {
    if (value instanceof ByteBuffer b) {
      ByteBuffer dup = b.duplicate();
      byte[] out = new byte[dup.remaining()];
      dup.get(out);
      return out;
    }
    if (value instanceof GenericFixed f) {
      return f.bytes();
    }
    if (value instanceof byte[] a) {
      return a;
    }
    throw new IllegalArgumentException(
        "expected bytes, got " + value.getClass().getName() + ": " + value);
  }
}
