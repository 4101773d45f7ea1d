package dev.carve.cli.verify;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;

/**
 * One canonical text form per value of an Avro field, reached from both sides of a comparison: from
 * the Avro value the mapping produced, and from the JDBC value the sink stored. Two values are
 * equal exactly when their canonical forms are.
 */
final class Canonical {
  static final String NULL = "\u2205";

  private Canonical() {}

  /** The canonical form of an Avro value of {@code schema}. */
  static String ofAvro(Schema schema, Object value) {
    if (value == null) {
      return NULL;
    }
    Schema s = nonNull(schema);
    LogicalType logical = s.getLogicalType();
    if (logical instanceof LogicalTypes.Decimal decimal) {
      BigDecimal d;
      if (value instanceof BigDecimal bd) {
        d = bd;
      } else if (value instanceof ByteBuffer buf) {
        byte[] bytes = new byte[buf.remaining()];
        buf.duplicate().get(bytes);
        d = new BigDecimal(new java.math.BigInteger(bytes), decimal.getScale());
      } else if (value instanceof GenericFixed fixed) {
        d = new BigDecimal(new java.math.BigInteger(fixed.bytes()), decimal.getScale());
      } else {
        d = new BigDecimal(value.toString());
      }
      return decimal(d, decimal.getScale());
    }
    if (logical instanceof LogicalTypes.Date) {
      return value instanceof LocalDate ld
          ? ld.toString()
          : LocalDate.ofEpochDay(((Number) value).longValue()).toString();
    }
    if (logical instanceof LogicalTypes.TimestampMicros) {
      return value instanceof Instant i ? micros(i) : Long.toString(((Number) value).longValue());
    }
    if (logical instanceof LogicalTypes.TimestampMillis) {
      return value instanceof Instant i
          ? micros(i)
          : Long.toString(((Number) value).longValue() * 1000);
    }
    return switch (s.getType()) {
      case STRING, ENUM -> value.toString();
      case INT, LONG -> Long.toString(((Number) value).longValue());
      case FLOAT, DOUBLE -> Double.toString(((Number) value).doubleValue());
      case BOOLEAN -> value.toString();
      case BYTES -> {
        ByteBuffer buf = ((ByteBuffer) value).duplicate();
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        yield HexFormat.of().formatHex(bytes);
      }
      case FIXED -> HexFormat.of().formatHex(((GenericFixed) value).bytes());
      default -> GenericData.get().toString(value);
    };
  }

  /**
   * The canonical form of column {@code column} of the current row, read as Avro field {@code
   * schema}.
   */
  static String ofJdbc(Schema schema, ResultSet rs, String column) throws SQLException {
    Object raw = rs.getObject(column);
    if (raw == null) {
      return NULL;
    }
    Schema s = nonNull(schema);
    LogicalType logical = s.getLogicalType();
    if (logical instanceof LogicalTypes.Decimal decimal) {
      return decimal(rs.getBigDecimal(column), decimal.getScale());
    }
    if (logical instanceof LogicalTypes.Date) {
      return rs.getObject(column, LocalDate.class).toString();
    }
    if (logical instanceof LogicalTypes.TimestampMicros
        || logical instanceof LogicalTypes.TimestampMillis) {
      int index = rs.findColumn(column);
      if (rs.getMetaData().getColumnTypeName(index).equalsIgnoreCase("timestamptz")) {
        return micros(rs.getObject(index, OffsetDateTime.class).toInstant());
      }
      // timestamp without time zone holds UTC wall-clock time (docs/contracts.md)
      return micros(rs.getObject(index, LocalDateTime.class).toInstant(ZoneOffset.UTC));
    }
    return switch (s.getType()) {
      case INT, LONG -> Long.toString(rs.getLong(column));
      case FLOAT, DOUBLE -> Double.toString(rs.getDouble(column));
      case BOOLEAN -> Boolean.toString(rs.getBoolean(column));
      case BYTES, FIXED -> HexFormat.of().formatHex(rs.getBytes(column));
      default -> raw.toString();
    };
  }

  /** A stable text of a whole record: field=value pairs in schema order. */
  static String ofRecord(GenericRecord record) {
    StringBuilder sb = new StringBuilder();
    for (Schema.Field f : record.getSchema().getFields()) {
      sb.append(f.name())
          .append('=')
          .append(ofAvro(f.schema(), record.get(f.pos())))
          .append('\u001f');
    }
    return sb.toString();
  }

  /** The same text as {@link #ofRecord}, from the current JDBC row. */
  static String ofRow(Schema schema, ResultSet rs) throws SQLException {
    StringBuilder sb = new StringBuilder();
    for (Schema.Field f : schema.getFields()) {
      sb.append(f.name()).append('=').append(ofJdbc(f.schema(), rs, f.name())).append('\u001f');
    }
    return sb.toString();
  }

  /** The text of the named fields of a row, in the given order. */
  static String fields(Map<String, String> row, List<String> names) {
    StringBuilder sb = new StringBuilder();
    for (String n : names) {
      sb.append(n).append('=').append(row.get(n)).append('\u001f');
    }
    return sb.toString();
  }

  /** Field name to canonical value of a record, ordered by name. */
  static Map<String, String> fieldsOf(GenericRecord record) {
    Map<String, String> m = new TreeMap<>();
    for (Schema.Field f : record.getSchema().getFields()) {
      m.put(f.name(), ofAvro(f.schema(), record.get(f.pos())));
    }
    return m;
  }

  /** A short hash of a canonical text (hex of the first 8 bytes of SHA-256). */
  static String hash(String text) {
    try {
      byte[] d =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  private static final ThreadLocal<java.security.MessageDigest> SHA256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return java.security.MessageDigest.getInstance("SHA-256");
            } catch (java.security.NoSuchAlgorithmException e) {
              throw new IllegalStateException("SHA-256 is required by every Java platform", e);
            }
          });

  /** The first 8 bytes of the SHA-256 of a canonical text, as a long: the per-key value hash. */
  static long hash64(String text) {
    byte[] d = SHA256.get().digest(text.getBytes(StandardCharsets.UTF_8));
    long h = 0;
    for (int i = 0; i < 8; i++) {
      h = (h << 8) | (d[i] & 0xff);
    }
    return h;
  }

  /** The text of the given fields of a record, in the given order (as {@link #ofRecord}). */
  static String ofRecord(GenericRecord record, List<Schema.Field> fields) {
    StringBuilder sb = new StringBuilder();
    for (Schema.Field f : fields) {
      Schema.Field own = record.getSchema().getField(f.name());
      sb.append(f.name())
          .append('=')
          .append(own == null ? NULL : ofAvro(own.schema(), record.get(own.pos())))
          .append('\u001f');
    }
    return sb.toString();
  }

  /** The text of the given fields of the current JDBC row (as {@link #ofRow}). */
  static String ofRow(List<Schema.Field> fields, ResultSet rs) throws SQLException {
    StringBuilder sb = new StringBuilder();
    for (Schema.Field f : fields) {
      sb.append(f.name()).append('=').append(ofJdbc(f.schema(), rs, f.name())).append('\u001f');
    }
    return sb.toString();
  }

  /** A record text for a person: {@code a=1, b=x}. */
  static String display(String text) {
    StringBuilder sb = new StringBuilder();
    split(text)
        .forEach(
            (k, v) -> {
              if (sb.length() > 0) {
                sb.append(", ");
              }
              sb.append(k).append('=').append(v);
            });
    return sb.toString();
  }

  /** Splits a record text back into field name to canonical value, in order. */
  static Map<String, String> split(String text) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    for (String part : text.split("\u001f")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        m.put(part.substring(0, eq), part.substring(eq + 1));
      }
    }
    return m;
  }

  private static String decimal(BigDecimal d, int scale) {
    return d.setScale(scale, java.math.RoundingMode.UNNECESSARY).toPlainString();
  }

  private static String micros(Instant i) {
    return Long.toString(ChronoUnit.MICROS.between(Instant.EPOCH, i));
  }

  private static Schema nonNull(Schema schema) {
    if (schema.getType() == Schema.Type.UNION) {
      for (Schema branch : schema.getTypes()) {
        if (branch.getType() != Schema.Type.NULL) {
          return branch;
        }
      }
    }
    return schema;
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
