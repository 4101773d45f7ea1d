package dev.carve.transform.internal;

import dev.carve.core.SourcePosition;
import dev.carve.core.error.OnError;
import dev.carve.transform.TransformerMetrics;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.ChangeEvent.SourceOffset;
import dev.carve.transform.api.DomainRecord;
import dev.carve.transform.api.ForeignKeyJoin;
import dev.carve.transform.api.MappingException;
import dev.carve.transform.api.MappingScope;
import dev.carve.transform.api.Output;
import dev.carve.transform.api.TableMapper;
import dev.carve.transform.api.Topic;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Maps every change of one raw topic: parse, map, serialize with each typed topic's serde, and
 * forward all results only when the whole change succeeded; otherwise dead-letter the original
 * record (or fail, as the service's {@code on-error} says).
 */
final class MapTableProcessor implements Processor<byte[], byte[], byte[], Routed> {

  private final String service;
  private final Map<String, String> tableByTopic;
  private final String firstTopic;
  private final String deadLetterTopic;
  private final DeadLetters deadLetters;
  private final TableMapper mapper;
  private final TransformerMetrics metrics;
  private final Map<String, ChangeParser> parsers = new HashMap<>();
  private final Map<String, Serializer<Object>> keySerializers = new HashMap<>();
  private final Map<String, Serializer<Object>> valueSerializers = new HashMap<>();
  private final Map<String, KeyValueStore<String, String>> stores = new HashMap<>();
  private final Map<String, String> entities = new HashMap<>();
  private final String positionsStep;
  private final ForeignKeyJoin join;
  private ProcessorContext<byte[], Routed> context;

  MapTableProcessor(
      String service,
      Map<String, String> tableByTopic,
      String deadLetterTopic,
      OnError onError,
      TableMapper mapper,
      TransformerMetrics metrics) {
    this(service, tableByTopic, deadLetterTopic, onError, mapper, metrics, null, null);
  }

  /**
   * A processor whose outputs get strictly increasing positions per output key (a join's output
   * reflects every input seen so far, so it must win over its previous emission at the sink's
   * guard), remembered in the store of step {@code positionsStep}; null keeps the positions the
   * mapper gave. With {@code join}, every change carries the row joined to it in the internal
   * header {@link InternalHeaders#JOINED} (see {@link ForeignKeyJoinTopology}).
   */
  MapTableProcessor(
      String service,
      Map<String, String> tableByTopic,
      String deadLetterTopic,
      OnError onError,
      TableMapper mapper,
      TransformerMetrics metrics,
      String positionsStep,
      ForeignKeyJoin join) {
    this.service = service;
    this.positionsStep = positionsStep;
    this.join = join;
    this.tableByTopic = Map.copyOf(tableByTopic);
    this.firstTopic = tableByTopic.keySet().iterator().next();
    this.deadLetterTopic = deadLetterTopic;
    this.deadLetters = new DeadLetters(service, deadLetterTopic, onError, metrics);
    this.mapper = mapper;
    this.metrics = metrics;
    tableByTopic.forEach((topic, table) -> parsers.put(topic, new ChangeParser(service, table)));
  }

  @Override
  public void init(ProcessorContext<byte[], Routed> context) {
    this.context = context;
    for (String step : mapper.stores()) {
      stores.put(step, context.getStateStore(service + "-" + step));
    }
    if (positionsStep != null) {
      stores.put(positionsStep, context.getStateStore(service + "-" + positionsStep));
    }
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    SourceOffset source = InternalHeaders.source(record.headers());
    if (source == null) {
      source =
          context
              .recordMetadata()
              .map(m -> new SourceOffset(m.topic(), m.partition(), m.offset()))
              .orElse(new SourceOffset(firstTopic, -1, -1));
    }
    String rejected = InternalHeaders.rejection(record.headers());
    String joined = InternalHeaders.joined(record.headers());
    byte[] originalKey = InternalHeaders.originalKey(record.headers(), record.key());
    InternalHeaders.strip(record.headers());
    record = record.withKey(originalKey);
    String table = tableByTopic.getOrDefault(source.topic(), source.topic());
    metrics.recordIn(table);
    if (record.value() == null) {
      metrics.recordTombstone();
      return;
    }
    BufferedScope scope = new BufferedScope(table);
    List<Record<byte[], Routed>> results = new ArrayList<>();
    try {
      if (rejected != null) {
        throw new MappingException(rejected);
      }
      ChangeParser parser = parsers.get(source.topic());
      if (parser == null) {
        throw new MappingException(
            "records of topic '" + source.topic() + "' are not mapped by this processor");
      }
      ChangeEvent change = parser.parse(record.key(), record.value(), source);
      if (join != null) {
        change = ForeignKeyJoinTopology.joinTo(join, change, joined);
      }
      if (change.op() == ChangeEvent.Op.TRUNCATE) {
        throw new MappingException(
            "a truncate of table '"
                + table
                + "' cannot be mapped to deletes of single keys; rebuild the service's topics"
                + " (carve replay)");
      }
      for (Output<?, ?> output : mapper.map(change, scope)) {
        results.add(serialize(increasing(output, scope), record.timestamp()));
      }
    } catch (Exception e) {
      reject(record, source, table, e);
      return;
    }
    scope.commit();
    for (Record<byte[], Routed> result : results) {
      context.forward(result);
      metrics.recordOut(entityOf(result.value().topic()));
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
    String storeKey = output.topic().name() + " " + r.key();
    String stored = scope.get(positionsStep, storeKey);
    SourcePosition position = r.position();
    if (stored != null) {
      int colon = stored.indexOf(':');
      SourcePosition last =
          new SourcePosition(
              Long.parseLong(stored.substring(0, colon)),
              Long.parseLong(stored.substring(colon + 1)));
      if (!position.isNewerThan(last)) {
        position = new SourcePosition(last.commitLsn(), last.changeLsn() + 1);
      }
    }
    scope.put(positionsStep, storeKey, position.commitLsn() + ":" + position.changeLsn());
    return position.equals(r.position())
        ? output
        : Output.to(output.topic(), new DomainRecord<>(r.key(), r.value(), position));
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

  private void reject(
      Record<byte[], byte[]> record, SourceOffset source, String table, Exception error) {
    DeadLetters.Letter letter =
        deadLetters.letter(record.key(), record.value(), record.headers(), source, table, error);
    context.forward(
        new Record<>(record.key(), letter.value(), record.timestamp(), letter.headers()));
  }

  /** Buffers store writes until the whole change has been mapped and serialized. */
  private final class BufferedScope implements MappingScope {
    private final Map<String, Map<String, Optional<String>>> pending = new LinkedHashMap<>();
    private final String table;

    BufferedScope(String table) {
      this.table = table;
    }

    @Override
    public String service() {
      return service;
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
      pending.forEach(
          (store, writes) -> {
            KeyValueStore<String, String> kv = stores.get(store);
            writes.forEach(
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
