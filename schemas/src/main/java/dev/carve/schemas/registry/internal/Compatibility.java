package dev.carve.schemas.registry.internal;

import dev.carve.schemas.registry.CompatibilityLevel;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Checks a new schema against earlier versions under a compatibility level with Avro's own {@link
 * SchemaCompatibility}, and words each incompatibility for people.
 */
public final class Compatibility {

  /** Which way data flows in a failed check. */
  public enum Direction {
    /** The new schema could not read data of an earlier version. */
    BACKWARD,
    /** An earlier version could not read data of the new schema. */
    FORWARD
  }

  /**
   * An earlier version of a subject.
   *
   * @param version its version number
   * @param schema its schema
   */
  public record Version(int version, Schema schema) {}

  /**
   * One incompatible change.
   *
   * @param version the earlier version it breaks
   * @param direction which way the data could not be read
   * @param type Avro's name of the rule broken, e.g. {@code READER_FIELD_MISSING_DEFAULT_VALUE}
   * @param field the dotted path of the field concerned, or {@code "(record)"} for the record
   * @param description what changed, for people ("field 'total_cents' was removed without a
   *     default")
   * @param avroMessage Avro's own message
   * @param location Avro's JSON pointer into the reading schema
   */
  public record Violation(
      int version,
      Direction direction,
      String type,
      String field,
      String description,
      String avroMessage,
      String location) {}

  private Compatibility() {}

  /**
   * Checks {@code candidate} against {@code earlier} (oldest first) under {@code level}: only the
   * latest one unless the level is transitive.
   *
   * @return every incompatibility; empty when compatible
   */
  public static List<Violation> check(
      CompatibilityLevel level, Schema candidate, List<Version> earlier) {
    List<Violation> violations = new ArrayList<>();
    if (level == CompatibilityLevel.NONE || earlier.isEmpty()) {
      return violations;
    }
    List<Version> against = level.transitive() ? earlier : List.of(earlier.get(earlier.size() - 1));
    for (Version old : against) {
      if (level.backward()) {
        violations.addAll(check(old.version(), Direction.BACKWARD, candidate, old.schema()));
      }
      if (level.forward()) {
        violations.addAll(check(old.version(), Direction.FORWARD, old.schema(), candidate));
      }
    }
    return violations;
  }

  private static List<Violation> check(
      int version, Direction direction, Schema reader, Schema writer) {
    SchemaPairCompatibility result =
        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    List<Violation> out = new ArrayList<>();
    if (result.getType() == SchemaCompatibilityType.COMPATIBLE) {
      return out;
    }
    for (Incompatibility i : result.getResult().getIncompatibilities()) {
      String field = fieldPath(reader, i.getLocation());
      out.add(
          new Violation(
              version,
              direction,
              i.getType().name(),
              field,
              describe(i, direction, field),
              i.getMessage(),
              i.getLocation()));
    }
    return out;
  }

  private static String describe(Incompatibility i, Direction direction, String field) {
    boolean backward = direction == Direction.BACKWARD;
    return switch (i.getType()) {
      case READER_FIELD_MISSING_DEFAULT_VALUE ->
          backward
              ? "field '" + join(field, i.getMessage()) + "' was added without a default"
              : "field '" + join(field, i.getMessage()) + "' was removed without a default";
      case TYPE_MISMATCH ->
          "field '"
              + field
              + "' changed type from "
              + typeName(backward ? i.getWriterFragment() : i.getReaderFragment())
              + " to "
              + typeName(backward ? i.getReaderFragment() : i.getWriterFragment());
      case MISSING_ENUM_SYMBOLS ->
          backward
              ? "enum of field '" + field + "' lost symbols " + i.getMessage()
              : "enum of field '" + field + "' gained symbols " + i.getMessage();
      case MISSING_UNION_BRANCH ->
          "union of field '" + field + "' no longer matches: " + i.getMessage();
      case NAME_MISMATCH -> "the name of '" + field + "' changed: " + i.getMessage();
      case FIXED_SIZE_MISMATCH -> "the size of fixed '" + field + "' changed: " + i.getMessage();
      default -> "'" + field + "': " + i.getMessage();
    };
  }

  private static String join(String path, String name) {
    if (path.equals("(record)")) {
      return name;
    }
    return path.endsWith(name) ? path : path + "." + name;
  }

  private static String typeName(Schema schema) {
    if (schema == null) {
      return "?";
    }
    if (schema.getLogicalType() != null) {
      return schema.getType().getName() + "(" + schema.getLogicalType().getName() + ")";
    }
    return switch (schema.getType()) {
      case RECORD, ENUM, FIXED -> schema.getFullName();
      default -> schema.getType().getName();
    };
  }

  /** Turns Avro's JSON pointer ({@code /fields/3/type/1}) into a dotted field path. */
  static String fieldPath(Schema root, String location) {
    if (location == null || location.isEmpty() || location.equals("/")) {
      return "(record)";
    }
    String[] tokens = location.substring(1).split("/");
    List<String> names = new ArrayList<>();
    Schema current = root;
    for (int t = 0; t < tokens.length && current != null; t++) {
      String token = tokens[t];
      if (token.equals("fields")
          && current.getType() == Schema.Type.RECORD
          && t + 1 < tokens.length
          && isNumber(tokens[t + 1])) {
        int index = Integer.parseInt(tokens[++t]);
        if (index >= current.getFields().size()) {
          break;
        }
        Schema.Field f = current.getFields().get(index);
        names.add(f.name());
        current = f.schema();
      } else if (token.equals("items") && current.getType() == Schema.Type.ARRAY) {
        current = current.getElementType();
      } else if (token.equals("values") && current.getType() == Schema.Type.MAP) {
        current = current.getValueType();
      } else if (isNumber(token) && current.getType() == Schema.Type.UNION) {
        int index = Integer.parseInt(token);
        current = index < current.getTypes().size() ? current.getTypes().get(index) : null;
      } else if (!token.equals("type")) {
        break;
      }
    }
    return names.isEmpty() ? "(record)" : String.join(".", names);
  }

  private static boolean isNumber(String s) {
    return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
  }

  /** A Confluent-style verbose message for a violation. */
  public static String confluentMessage(Violation v) {
    return "{errorType:'"
        + v.type()
        + "', description:'"
        + v.description()
        + "', additionalInfo:'"
        + v.avroMessage()
        + "', location:'"
        + v.location()
        + "', oldSchemaVersion:"
        + v.version()
        + ", direction:'"
        + v.direction()
        + "'}";
  }
}
