package dev.carve.transform.internal;

import dev.carve.core.SourcePosition;
import dev.carve.transform.TransformerMetrics;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.DomainRecord;
import dev.carve.transform.api.LegacyKeys;
import dev.carve.transform.api.MappingException;
import dev.carve.transform.api.Output;
import dev.carve.transform.api.TableMapper;
import dev.carve.transform.api.Topic;
import dev.carve.transform.keys.KeyRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The mapping of one change inside a processor (one instance per task): runs the {@link
 * TableMapper} with its state stores, serializes every output with its typed topic's serde, and
 * keeps the mapper's store writes until the caller knows the whole change succeeded.
 */
final class ChangeMapping {
  private final String service;
  private final TableMapper mapper;
  private final TransformerMetrics metrics;
  private final String positionsStep;
  private final Map<String, Serializer<Object>> keySerializers = new HashMap<>();
  private final Map<String, Serializer<Object>> valueSerializers = new HashMap<>();
  private final Map<String, KeyValueStore<String, String>> stores = new HashMap<>();
  private final Map<String, String> entities = new HashMap<>();
  private final KeyRegistryStore.Ref keyRegistry;
  private KeyRegistry.Allocation keys;

  /**
   * @param positionsStep the store step of the last position emitted per output topic and key, so
   *     outputs get strictly increasing positions per key (see {@link #map}); null keeps the
   *     positions the mapper gave
   * @param keyRegistry the key registry's global store and topic, where {@link LegacyKeys} finds
   *     and records the new keys the mapper allocates
   */
  ChangeMapping(
      String service,
      TableMapper mapper,
      TransformerMetrics metrics,
      String positionsStep,
      KeyRegistryStore.Ref keyRegistry) {
    this.service = service;
    this.mapper = mapper;
    this.metrics = metrics;
    this.positionsStep = positionsStep;
    this.keyRegistry = Objects.requireNonNull(keyRegistry, "keyRegistry");
  }

  /**
   * Looks up the mapper's stores (and the positions store) in the processor's context, and the key
   * registry's global store. A (re)started task forgets the keys it claimed: a claim of an aborted
   * transaction was never recorded.
   */
  void init(ProcessorContext<?, ?> context) {
    ReadOnlyKeyValueStore<String, String> registry = context.getStateStore(keyRegistry.store());
    keys = new KeyRegistry.Allocation(KeyRegistryStore.recorded(registry));
    for (String step : mapper.stores()) {
      stores.put(step, context.getStateStore(service + "-" + step));
    }
    if (positionsStep != null) {
      stores.put(positionsStep, context.getStateStore(service + "-" + positionsStep));
    }
  }

  /**
   * Maps a change; nothing is written to a store until {@link Mapped#commit}.
   *
   * @throws Exception whatever the mapper or a serializer throws (the caller dead-letters it)
   */
  Mapped map(ChangeEvent change, long timestamp) throws Exception {
    return map(change, timestamp, null);
  }

  /**
   * Maps a change read with {@code headers} (Debezium's {@code __debezium.oldkey} and {@code
   * __debezium.newkey} of a primary-key update reach the mapper through {@link
   * SourceStateScope#oldKey} and {@link SourceStateScope#keyMoved}); null headers: none.
   */
  Mapped map(ChangeEvent change, long timestamp, Headers headers) throws Exception {
    BufferedScope scope = new BufferedScope(change.table());
    if (headers != null) {
      Header oldKey = headers.lastHeader(ToastFill.OLD_KEY_HEADER);
      if (oldKey != null && oldKey.value() != null) {
        scope.oldKey = ChangeParser.keyOf(oldKey.value(), ToastFill.OLD_KEY_HEADER);
      }
      scope.keyMoved = ToastFill.keyMoved(change, headers);
    }
    List<Record<byte[], Routed>> results = new ArrayList<>();
    Map<String, Long> claims;
    try (LegacyKeys.Binding bound = LegacyKeys.bind(keys)) {
      for (Output<?, ?> output : mapper.map(change, scope)) {
        results.add(serialize(increasing(output, scope), timestamp));
      }
      claims = keys.takeClaims();
    } catch (Exception e) {
      keys.discardClaims();
      // The change is dead-lettered (or stops the service), but the source row did change: the
      // state that records it (TOAST values) is kept, so the next change is filled from this row.
      scope.commitSourceState();
      throw e;
    }
    return new Mapped(scope, results, claims);
  }

  /** The outputs of one change, its pending store writes and the new keys it allocated. */
  final class Mapped {
    private final BufferedScope scope;
    private final List<Record<byte[], Routed>> records;
    private final Map<String, Long> claims;

    private Mapped(
        BufferedScope scope, List<Record<byte[], Routed>> records, Map<String, Long> claims) {
      this.scope = scope;
      this.records = records;
      this.claims = claims;
    }

    /**
     * Writes the mapper's state, records the new keys in the key registry and forwards every
     * output: all in the task's transaction, so no output refers to a key the registry lacks.
     */
    void commit(ProcessorContext<byte[], Routed> context) {
      scope.commit();
      if (!claims.isEmpty()) {
        long timestamp =
            records.isEmpty() ? context.currentSystemTimeMs() : records.get(0).timestamp();
        claims.forEach(
            (recordKey, key) ->
                context.forward(
                    new Record<>(
                        recordKey.getBytes(StandardCharsets.UTF_8),
                        new Routed(
                            keyRegistry.topic(),
                            Long.toString(key).getBytes(StandardCharsets.UTF_8)),
                        timestamp)));
        keys.recorded(claims);
      }
      for (Record<byte[], Routed> result : records) {
        context.forward(result);
        metrics.recordOut(entityOf(result.value().topic()));
      }
    }
  }

  private String entityOf(String topic) {
    return entities.computeIfAbsent(
        topic, t -> t.startsWith(service + ".") ? t.substring(service.length() + 1) : t);
  }

  /**
   * The output with a position newer than the last one emitted for its topic and key: its own when
   * newer, else the last one plus one change LSN. Any real later change has a newer commit, or a
   * later WAL record of the same transaction (records are at least 24 bytes apart), so it still
   * wins over such a bumped position.
   */
  private <K, V> Output<K, V> increasing(Output<K, V> output, BufferedScope scope) {
    if (positionsStep == null) {
      return output;
    }
    DomainRecord<K, V> r = output.record();
    String storeKey = output.topic().name() + " " + keyText(r.key());
    String stored = scope.get(positionsStep, storeKey);
    SourcePosition position = r.position();
    if (stored != null) {
      SourcePosition last = parsePosition(stored);
      if (!position.isNewerThan(last)) {
        position = new SourcePosition(last.commitLsn(), last.changeLsn() + 1);
      }
    }
    scope.put(positionsStep, storeKey, writePosition(position));
    return position.equals(r.position())
        ? output
        : Output.to(output.topic(), new DomainRecord<>(r.key(), r.value(), position));
  }

  /**
   * The key as the positions store names it: its {@code toString()}, which for an Avro record is
   * Avro's JSON-like text ({@code {"invoice_id": 42}}). Built here without Avro's general rendering
   * for records of numbers, booleans, nulls and printable ASCII text (the usual keys), to the same
   * text; anything else goes through {@code toString()}.
   */
  static String keyText(Object key) {
    if (!(key instanceof GenericRecord record)) {
      return String.valueOf(key);
    }
    List<Schema.Field> fields = record.getSchema().getFields();
    StringBuilder sb = new StringBuilder(16 + 24 * fields.size()).append('{');
    for (int i = 0; i < fields.size(); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      String name = fields.get(i).name();
      if (!plain(name)) {
        return record.toString();
      }
      sb.append('"').append(name).append("\": ");
      Object value = record.get(i);
      if (value == null
          || value instanceof Long
          || value instanceof Integer
          || value instanceof Boolean) {
        sb.append(value);
      } else if (value instanceof CharSequence text && plain(text)) {
        sb.append('"').append(text).append('"');
      } else {
        return record.toString();
      }
    }
    return sb.append('}').toString();
  }

  /** Printable ASCII without quote or backslash: Avro's rendering escapes nothing in it. */
  private static boolean plain(CharSequence text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
        return false;
      }
    }
    return true;
  }

  /** {@code commitLsn:changeLsn}, as the positions stores keep it. */
  static String writePosition(SourcePosition position) {
    return position.commitLsn() + ":" + position.changeLsn();
  }

  /** Reads {@link #writePosition}'s text. */
  static SourcePosition parsePosition(String text) {
    int colon = text.indexOf(':');
    return new SourcePosition(
        Long.parseLong(text, 0, colon, 10), Long.parseLong(text, colon + 1, text.length(), 10));
  }

  @SuppressWarnings("unchecked")
  private <K, V> Record<byte[], Routed> serialize(Output<K, V> output, long timestamp) {
    Topic<K, V> topic = output.topic();
    DomainRecord<K, V> domainRecord = output.record();
    Headers headers = new RecordHeaders();
    domainRecord.position().writeTo(headers);
    Serializer<Object> keySerializer =
        keySerializers.computeIfAbsent(
            topic.name(), n -> (Serializer<Object>) topic.keySerde().serializer());
    Serializer<Object> valueSerializer =
        valueSerializers.computeIfAbsent(
            topic.name(), n -> (Serializer<Object>) topic.valueSerde().serializer());
    refusePlaceholder(topic.name(), "key", domainRecord.key());
    refusePlaceholder(topic.name(), "value", domainRecord.value());
    byte[] key;
    byte[] value;
    try {
      key = keySerializer.serialize(topic.name(), headers, domainRecord.key());
    } catch (RuntimeException e) {
      throw new MappingException(
          "cannot serialize the key for topic '" + topic.name() + "': " + e.getMessage(), e);
    }
    try {
      value =
          domainRecord.value() == null
              ? null
              : valueSerializer.serialize(topic.name(), headers, domainRecord.value());
    } catch (RuntimeException e) {
      throw new MappingException(
          "cannot serialize the value for topic '" + topic.name() + "': " + e.getMessage(), e);
    }
    return new Record<>(key, new Routed(topic.name(), value), timestamp, headers);
  }

  /**
   * The last line of defence against Debezium's unchanged-TOAST placeholder ({@link
   * ChangeEvent#isUnavailable}, any form) reaching a target: whatever the mapper (YAML or Java, a
   * copied {@code change.row()} included), an output holding it is refused and the change
   * dead-lettered.
   */
  private void refusePlaceholder(String topic, String part, Object record) {
    if (!(record instanceof IndexedRecord indexed)) {
      return;
    }
    String field = placeholderIn(indexed, null);
    if (field != null) {
      throw new MappingException(
          "field '"
              + field
              + "' of the "
              + part
              + " for topic '"
              + topic
              + "' (service '"
              + service
              + "', entity '"
              + entityOf(topic)
              + "') holds Debezium's unchanged-TOAST placeholder; the mapper copied a TOASTed"
              + " column without its last value (YAML: list the column under 'toast:' of the"
              + " entity; or set REPLICA IDENTITY FULL on the table)");
    }
  }

  /** The path of the first field of {@code value} that holds the placeholder, or null. */
  private static String placeholderIn(Object value, String path) {
    if (value instanceof IndexedRecord record) {
      List<Schema.Field> fields = record.getSchema().getFields();
      for (int i = 0; i < fields.size(); i++) {
        String name = fields.get(i).name();
        String found = placeholderIn(record.get(i), path == null ? name : path + "." + name);
        if (found != null) {
          return found;
        }
      }
      return null;
    }
    if (ChangeEvent.isUnavailable(value)) {
      return path;
    }
    if (value instanceof java.util.Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        String found = placeholderIn(item, path + "[" + i++ + "]");
        if (found != null) {
          return found;
        }
      }
    } else if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String found = placeholderIn(e.getValue(), path + "[" + e.getKey() + "]");
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  /**
   * Buffers store writes until the whole change has been mapped and serialized; writes of source
   * state are applied even when it fails.
   */
  private final class BufferedScope implements SourceStateScope {
    private Map<String, Object> oldKey;
    private boolean keyMoved;
    private final Map<String, Map<String, Optional<String>>> pending = new LinkedHashMap<>();
    private final Map<String, Map<String, Optional<String>>> sourceState = new LinkedHashMap<>();
    private final String table;

    BufferedScope(String table) {
      this.table = table;
    }

    @Override
    public String service() {
      return service;
    }

    @Override
    public Map<String, Object> oldKey() {
      return oldKey;
    }

    @Override
    public boolean keyMoved() {
      return keyMoved;
    }

    @Override
    public String get(String store, String key) {
      KeyValueStore<String, String> kv = store(store);
      Map<String, Optional<String>> writes = pending.get(store);
      if (writes != null && writes.containsKey(key)) {
        return writes.get(key).orElse(null);
      }
      return kv.get(key);
    }

    @Override
    public void put(String store, String key, String value) {
      store(store);
      pending
          .computeIfAbsent(store, s -> new LinkedHashMap<>())
          .put(key, Optional.ofNullable(value));
    }

    @Override
    public void putSourceState(String store, String key, String value) {
      put(store, key, value);
      sourceState
          .computeIfAbsent(store, s -> new LinkedHashMap<>())
          .put(key, Optional.ofNullable(value));
    }

    private KeyValueStore<String, String> store(String store) {
      KeyValueStore<String, String> kv = stores.get(store);
      if (kv == null) {
        throw new IllegalArgumentException(
            "Store '"
                + store
                + "' is not declared by the mapper of table '"
                + table
                + "'; declared: "
                + stores.keySet());
      }
      return kv;
    }

    void commit() {
      apply(pending);
    }

    /** Applies the writes of source state alone (the change failed). */
    void commitSourceState() {
      apply(sourceState);
    }

    private void apply(Map<String, Map<String, Optional<String>>> writes) {
      writes.forEach(
          (store, byKey) -> {
            KeyValueStore<String, String> kv = stores.get(store);
            byKey.forEach(
                (k, v) -> {
                  if (v.isPresent()) {
                    kv.put(k, v.get());
                  } else {
                    kv.delete(k);
                  }
                });
          });
    }
  }
}
