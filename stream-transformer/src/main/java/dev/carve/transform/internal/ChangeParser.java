package dev.carve.transform.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.core.SourcePosition;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.ChangeEvent.SourceOffset;
import dev.carve.transform.api.MappingException;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses Debezium's JSON (converter with {@code schemas.enable=false}) into {@link ChangeEvent}s,
 * and logs once per table every column that appears after the table's first change (schema drift).
 */
final class ChangeParser {
  private static final Logger LOG = LoggerFactory.getLogger(ChangeParser.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String service;
  private final String table;
  private Set<String> knownColumns;

  ChangeParser(String service, String table) {
    this.service = service;
    this.table = table;
  }

  /**
   * Where the record being processed was read (topic, partition, offset); {@code topic} with
   * partition and offset -1 when Kafka Streams does not know (a punctuation, a test driver).
   */
  static SourceOffset offsetOf(Optional<RecordMetadata> metadata, String topic) {
    return metadata
        .map(m -> new SourceOffset(m.topic(), m.partition(), m.offset()))
        .orElse(new SourceOffset(topic, -1, -1));
  }

  /**
   * Parses the change of one row: a truncate, which names no single keys to delete, is a {@link
   * MappingException}.
   */
  ChangeEvent parseRow(byte[] key, byte[] value, SourceOffset source) {
    ChangeEvent change = parse(key, value, source);
    if (change.op() == ChangeEvent.Op.TRUNCATE) {
      throw new MappingException(
          "a truncate of table '"
              + table
              + "' cannot be mapped to deletes of single keys; rebuild the service's topics"
              + " (carve replay)");
    }
    return change;
  }

  ChangeEvent parse(byte[] key, byte[] value, SourceOffset source) {
    Envelope envelope = readEnvelope(value);
    if (!envelope.object) {
      throw new MappingException(
          "the record value is not a Debezium change envelope (JSON object)");
    }
    if (envelope.op == null) {
      throw new MappingException("the Debezium envelope has no 'op'");
    }
    if (envelope.source == null) {
      throw new MappingException("the Debezium envelope has no 'source' block");
    }
    ChangeEvent.Op op;
    SourcePosition position;
    try {
      op = ChangeEvent.Op.ofCode(envelope.op);
      position = SourcePosition.fromDebeziumSource(envelope.source);
    } catch (IllegalArgumentException e) {
      throw new MappingException(e.getMessage(), e);
    }
    Map<String, Object> keyRow = key == null ? Map.of() : toRow(readJson(key, "key"), "key");
    if (envelope.beforeNotObject) {
      throw notObject("before");
    }
    if (envelope.afterNotObject) {
      throw notObject("after");
    }
    Map<String, Object> before = envelope.before;
    Map<String, Object> after = envelope.after;
    if (after == null
        && (op == ChangeEvent.Op.CREATE
            || op == ChangeEvent.Op.UPDATE
            || op == ChangeEvent.Op.READ)) {
      throw new MappingException(
          "the Debezium envelope of op '" + envelope.op + "' has no 'after' row");
    }
    noteColumns(after != null ? after : before);
    return new ChangeEvent(table, op, before, after, keyRow, position, source);
  }

  /**
   * The parts of a Debezium envelope, read in one pass without building a tree of the rows (the
   * rows come out as {@link #toRow} makes them of a tree). Null {@code op}: missing or not text;
   * null {@code source}: missing or not an object.
   */
  private static final class Envelope {
    boolean object;
    String op;
    JsonNode source;
    Map<String, Object> before;
    Map<String, Object> after;
    boolean beforeNotObject;
    boolean afterNotObject;
  }

  private static Envelope readEnvelope(byte[] value) {
    Envelope envelope = new Envelope();
    try (JsonParser p = JSON.createParser(value)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return envelope;
      }
      envelope.object = true;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken token = p.nextToken();
        switch (name) {
          case "op" -> envelope.op = token == JsonToken.VALUE_STRING ? p.getText() : null;
          case "source" -> {
            if (token == JsonToken.START_OBJECT) {
              envelope.source = readSource(p);
            } else {
              envelope.source = null;
              p.skipChildren();
            }
          }
          case "before" -> {
            envelope.before = token == JsonToken.START_OBJECT ? readRow(p) : null;
            envelope.beforeNotObject = !isObjectOrNull(token);
            p.skipChildren();
          }
          case "after" -> {
            envelope.after = token == JsonToken.START_OBJECT ? readRow(p) : null;
            envelope.afterNotObject = !isObjectOrNull(token);
            p.skipChildren();
          }
          default -> p.skipChildren();
        }
      }
      return envelope;
    } catch (IOException e) {
      throw new MappingException("the record value is not valid JSON: " + e.getMessage(), e);
    }
  }

  /**
   * The fields of the {@code source} block (at its START_OBJECT) that make a change's position
   * ({@code snapshot}, {@code lsn}, {@code sequence}); the others are skipped, not built.
   */
  private static JsonNode readSource(JsonParser p) throws IOException {
    ObjectNode source = JSON.createObjectNode();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      p.nextToken();
      if (name.equals("snapshot") || name.equals("lsn") || name.equals("sequence")) {
        // The plain values without a tree parser per value: the same nodes a tree would hold.
        switch (p.currentToken()) {
          case VALUE_STRING -> source.put(name, p.getText());
          case VALUE_NULL -> source.putNull(name);
          case VALUE_NUMBER_INT -> {
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
              source.set(name, JSON.readTree(p));
            } else {
              source.put(name, p.getLongValue());
            }
          }
          default -> source.set(name, JSON.readTree(p));
        }
      } else {
        p.skipChildren();
      }
    }
    return source;
  }

  private static boolean isObjectOrNull(JsonToken token) {
    return token == JsonToken.START_OBJECT || token == JsonToken.VALUE_NULL;
  }

  private static MappingException notObject(String what) {
    return new MappingException("'" + what + "' of the Debezium envelope is not a JSON object");
  }

  /** Reads the object at the parser (at its START_OBJECT) as {@link #toRow} does a tree. */
  static Map<String, Object> readRow(JsonParser p) throws IOException {
    Map<String, Object> row = new LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String column = p.currentName();
      JsonToken token = p.nextToken();
      row.put(column, readValue(p, token));
    }
    return row;
  }

  private static Object readValue(JsonParser p, JsonToken token) throws IOException {
    return switch (token) {
      case VALUE_NULL -> null;
      case VALUE_STRING -> p.getText();
      case VALUE_NUMBER_INT ->
          p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
              ? p.getBigIntegerValue()
              : (Object) p.getLongValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      default -> toValue(JSON.readTree(p));
    };
  }

  private void noteColumns(Map<String, Object> row) {
    if (row == null) {
      return;
    }
    if (knownColumns == null) {
      knownColumns = new TreeSet<>(row.keySet());
      return;
    }
    if (knownColumns.containsAll(row.keySet())) {
      return;
    }
    Set<String> added = new TreeSet<>(row.keySet());
    added.removeAll(knownColumns);
    if (!added.isEmpty()) {
      knownColumns.addAll(added);
      LOG.info(
          "Service '{}': table '{}' has new column(s) {}; mappings that do not use them ignore them",
          service,
          table,
          added);
    }
  }

  /**
   * A source key as {@link #parse} reads a record key (so both give one state key), from the JSON
   * of {@code what} (a header).
   */
  static Map<String, Object> keyOf(byte[] json, String what) {
    Map<String, Object> key = toRow(readJson(json, what), what);
    return key == null ? Map.of() : key;
  }

  private static JsonNode readJson(byte[] bytes, String what) {
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      throw new MappingException("the record " + what + " is not valid JSON: " + e.getMessage(), e);
    }
  }

  static Map<String, Object> toRow(JsonNode node, String what) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isObject()) {
      throw new MappingException("'" + what + "' of the Debezium envelope is not a JSON object");
    }
    Map<String, Object> row = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      row.put(field.getKey(), toValue(field.getValue()));
    }
    return row;
  }

  private static Object toValue(JsonNode v) {
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isTextual()) {
      return v.asText();
    }
    if (v.isIntegralNumber()) {
      return v.canConvertToLong() ? (Object) v.asLong() : v.bigIntegerValue();
    }
    if (v.isNumber()) {
      return v.decimalValue();
    }
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    return v.toString();
  }
}
