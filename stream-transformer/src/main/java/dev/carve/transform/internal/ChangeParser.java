package dev.carve.transform.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carve.core.SourcePosition;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.ChangeEvent.SourceOffset;
import dev.carve.transform.api.MappingException;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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

  ChangeEvent parse(byte[] key, byte[] value, SourceOffset source) {
    JsonNode envelope = readJson(value, "value");
    if (!envelope.isObject()) {
      throw new MappingException(
          "the record value is not a Debezium change envelope (JSON object)");
    }
    JsonNode opNode = envelope.get("op");
    if (opNode == null || !opNode.isTextual()) {
      throw new MappingException("the Debezium envelope has no 'op'");
    }
    JsonNode sourceNode = envelope.get("source");
    if (sourceNode == null || !sourceNode.isObject()) {
      throw new MappingException("the Debezium envelope has no 'source' block");
    }
    ChangeEvent.Op op;
    SourcePosition position;
    try {
      op = ChangeEvent.Op.ofCode(opNode.asText());
      position = SourcePosition.fromDebeziumSource(sourceNode);
    } catch (IllegalArgumentException e) {
      throw new MappingException(e.getMessage(), e);
    }
    Map<String, Object> keyRow = key == null ? Map.of() : toRow(readJson(key, "key"), "key");
    Map<String, Object> before = toRow(envelope.get("before"), "before");
    Map<String, Object> after = toRow(envelope.get("after"), "after");
    if (after == null
        && (op == ChangeEvent.Op.CREATE
            || op == ChangeEvent.Op.UPDATE
            || op == ChangeEvent.Op.READ)) {
      throw new MappingException(
          "the Debezium envelope of op '" + opNode.asText() + "' has no 'after' row");
    }
    noteColumns(after != null ? after : before);
    return new ChangeEvent(table, op, before, after, keyRow, position, source);
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
