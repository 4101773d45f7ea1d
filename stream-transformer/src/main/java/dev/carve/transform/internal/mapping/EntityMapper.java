package dev.carve.transform.internal.mapping;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.carve.core.SourcePosition;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.DomainRecord;
import dev.carve.transform.api.MappingException;
import dev.carve.transform.api.MappingScope;
import dev.carve.transform.api.Output;
import dev.carve.transform.api.Topic;
import dev.carve.transform.internal.FlatJson;
import dev.carve.transform.internal.SourceStateScope;
import dev.carve.transform.internal.ToastFill;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/** Maps the changes of one legacy table to the records of one entity. */
final class EntityMapper {
  private final EntityDefinition def;
  private final Topic<GenericRecord, GenericRecord> topic;
  private final Map<String, FieldMapper> fieldsByName = new LinkedHashMap<>();
  private final String toastStore;
  private final String countStore;
  private final int[] fieldPositions;
  private final int[] keyPositions;
  private final int[] keyValuePositions;

  EntityMapper(EntityDefinition def, Topic<GenericRecord, GenericRecord> topic) {
    this(def, topic, true);
  }

  /**
   * @param fillToast false when the placeholders of the entity's toast columns are filled before
   *     the mapping (a foreign-key join fills them before it may collapse changes)
   */
  EntityMapper(EntityDefinition def, Topic<GenericRecord, GenericRecord> topic, boolean fillToast) {
    this.def = def;
    this.topic = topic;
    def.fields().forEach(f -> fieldsByName.put(f.field(), f));
    this.toastStore = !fillToast || def.toastColumns().isEmpty() ? null : def.entity() + "-toast";
    this.countStore = def.explodeColumn() == null ? null : def.entity() + "-count";
    this.fieldPositions =
        def.fields().stream().mapToInt(f -> position(def.valueSchema(), f.field())).toArray();
    this.keyPositions =
        def.keyFields().stream().mapToInt(f -> position(def.keySchema(), f)).toArray();
    this.keyValuePositions =
        def.keyFields().stream().mapToInt(f -> position(def.valueSchema(), f)).toArray();
  }

  /** The position of {@code field} in {@code schema}; -1 when absent (a put by name fails). */
  private static int position(Schema schema, String field) {
    Schema.Field f = schema.getField(field);
    return f == null ? -1 : f.pos();
  }

  /** Store steps: {@code <entity>-toast} (last TOAST values), {@code <entity>-count} (children). */
  Set<String> stores() {
    Set<String> stores = new LinkedHashSet<>();
    if (toastStore != null) {
      stores.add(toastStore);
    }
    if (countStore != null) {
      stores.add(countStore);
    }
    return stores;
  }

  /**
   * The first step of a change, run for every entity of the table before any is mapped: fills the
   * placeholders of the entity's TOAST columns and keeps their values (or forgets them on a delete)
   * as source state, which holds even when the mapping of the change then fails, since the source
   * row changed all the same.
   *
   * @return the columns to map: the change's row, filled
   * @throws MappingException when a placeholder has no previous value
   */
  Map<String, Object> fill(ChangeEvent change, MappingScope scope) {
    if (toastStore == null) {
      return change.row();
    }
    String sourceKey = sourceKey(change);
    SourceStateScope source = scope instanceof SourceStateScope s ? s : null;
    if (change.isDelete()) {
      if (source == null || !source.keyMoved()) {
        SourceStateScope.put(scope, toastStore, sourceKey, null);
      }
      // else a primary-key update: the create of the new key fills its placeholders from these
      // values and moves them to the new key.
      return change.row();
    }
    Map<String, Object> oldKey = source == null ? null : source.oldKey();
    String oldSourceKey = oldKey == null || oldKey.isEmpty() ? null : writeMap(oldKey);
    if (sourceKey.equals(oldSourceKey)) {
      oldSourceKey = null;
    }
    String fromKey = oldSourceKey;
    ToastFill.Filled filled =
        ToastFill.fill(
            def.toastColumns(),
            change.row(),
            () -> {
              String own = scope.get(toastStore, sourceKey);
              return own != null || fromKey == null ? own : scope.get(toastStore, fromKey);
            },
            def.table(),
            sourceKey,
            oldSourceKey);
    SourceStateScope.put(scope, toastStore, sourceKey, filled.kept());
    if (oldSourceKey != null) {
      SourceStateScope.put(scope, toastStore, oldSourceKey, null);
    }
    return filled.row();
  }

  /**
   * Maps a change.
   *
   * @param columns the change's row as {@link #fill} gave it
   */
  void map(
      ChangeEvent change, Map<String, Object> columns, MappingScope scope, List<Output<?, ?>> out) {
    SourcePosition position = change.position();
    String sourceKey = countStore != null ? sourceKey(change) : null;
    if (change.isDelete()) {
      Row row = new Row(def.table(), change.row(), change.joined());
      if (countStore != null) {
        writeChildren(row, List.of(), sourceKey, scope, position, out);
      } else {
        out.add(Output.to(topic, DomainRecord.delete(keyOf(row), position)));
      }
      return;
    }
    Row row = new Row(def.table(), columns, change.joined());
    boolean keep = keep(row);
    if (countStore != null) {
      List<Map<String, Object>> items = keep ? items(row) : List.of();
      writeChildren(row, items, sourceKey, scope, position, out);
    } else if (keep) {
      GenericRecord value = valueOf(row);
      out.add(Output.to(topic, DomainRecord.upsert(keyFrom(value), value, position)));
    } else {
      out.add(Output.to(topic, DomainRecord.delete(keyOf(row), position)));
    }
  }

  private boolean keep(Row row) {
    if (def.filter() == null) {
      return true;
    }
    Object result = Expressions.evaluate(def.filter(), row);
    if (result instanceof Boolean b) {
      return b;
    }
    throw new MappingException(
        "filter '"
            + def.filter().getSourceText()
            + "' of entity '"
            + def.entity()
            + "' gave "
            + result
            + ", not true or false");
  }

  private void writeChildren(
      Row row,
      List<Map<String, Object>> items,
      String sourceKey,
      MappingScope scope,
      SourcePosition position,
      List<Output<?, ?>> out) {
    for (int i = 1; i <= items.size(); i++) {
      GenericRecord value = valueOf(row.withItem(items.get(i - 1), i, def.explodeColumn()));
      out.add(Output.to(topic, DomainRecord.upsert(keyFrom(value), value, position)));
    }
    String stored = scope.get(countStore, sourceKey);
    int previous = stored == null ? 0 : Integer.parseInt(stored);
    for (int i = items.size() + 1; i <= previous; i++) {
      GenericRecord key = keyOf(row.withItem(Map.of(), i, def.explodeColumn()));
      out.add(Output.to(topic, DomainRecord.delete(key, position)));
    }
    String count = items.isEmpty() ? null : Integer.toString(items.size());
    if (!Objects.equals(count, stored)) {
      // Most changes keep the number of children: no store write, no changelog record.
      scope.put(countStore, sourceKey, count);
    }
  }

  private List<Map<String, Object>> items(Row row) {
    Object blob = row.get(def.explodeColumn());
    if (blob == null) {
      return List.of();
    }
    JsonNode array;
    try {
      array = Conversion.jsonArray(blob);
    } catch (MappingException e) {
      throw new MappingException(
          "column '" + def.explodeColumn() + "' of table '" + def.table() + "' " + e.getMessage(),
          e);
    }
    List<Map<String, Object>> items = new java.util.ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      JsonNode element = array.get(i);
      if (!element.isObject()) {
        throw new MappingException(
            "element "
                + (i + 1)
                + " of column '"
                + def.explodeColumn()
                + "' of table '"
                + def.table()
                + "' is not a JSON object: "
                + element);
      }
      Map<String, Object> item = new LinkedHashMap<>();
      element
          .fields()
          .forEachRemaining(
              e ->
                  item.put(
                      e.getKey(),
                      e.getValue().isNull()
                          ? null
                          : e.getValue().isValueNode()
                              ? (e.getValue().isTextual()
                                  ? e.getValue().asText()
                                  : e.getValue().numberValue() != null
                                      ? e.getValue().numberValue()
                                      : (Object) e.getValue().asBoolean())
                              : e.getValue().toString()));
      items.add(item);
    }
    return items;
  }

  private GenericRecord valueOf(Row row) {
    GenericData.Record value = new GenericData.Record(def.valueSchema());
    def.defaults().forEach(value::put);
    List<FieldMapper> fields = def.fields();
    for (int i = 0; i < fieldPositions.length; i++) {
      FieldMapper field = fields.get(i);
      Object avro = field.apply(row);
      if (fieldPositions[i] < 0) {
        value.put(field.field(), avro);
      } else {
        value.put(fieldPositions[i], avro);
      }
    }
    return value;
  }

  private GenericRecord keyFrom(GenericRecord value) {
    GenericData.Record key = new GenericData.Record(def.keySchema());
    List<String> fields = def.keyFields();
    for (int i = 0; i < keyPositions.length; i++) {
      Object v =
          keyValuePositions[i] < 0 ? value.get(fields.get(i)) : value.get(keyValuePositions[i]);
      if (keyPositions[i] < 0) {
        key.put(fields.get(i), v);
      } else {
        key.put(keyPositions[i], v);
      }
    }
    return key;
  }

  /** The key computed from the key fields alone, for deletes (the row may hold only the PK). */
  private GenericRecord keyOf(Row row) {
    GenericData.Record key = new GenericData.Record(def.keySchema());
    for (String field : def.keyFields()) {
      key.put(field, fieldsByName.get(field).apply(row));
    }
    return key;
  }

  private String sourceKey(ChangeEvent change) {
    if (change.key().isEmpty()) {
      throw new MappingException(
          "table '"
              + def.table()
              + "' has no primary key in the change record; entity '"
              + def.entity()
              + "' keeps state per source key (toast or explode) and needs one");
    }
    Object[] last = LAST_KEY.get();
    if (last[0] != change.key()) {
      last[1] = writeMap(change.key());
      last[0] = change.key();
    }
    return (String) last[1];
  }

  /** The last source key written by this thread: the entities of one change share its key. */
  private static final ThreadLocal<Object[]> LAST_KEY =
      ThreadLocal.withInitial(() -> new Object[2]);

  private static String writeMap(Map<String, Object> map) {
    try {
      return FlatJson.write(map);
    } catch (JsonProcessingException e) {
      throw new MappingException("cannot write state as JSON: " + e.getOriginalMessage(), e);
    }
  }
}
