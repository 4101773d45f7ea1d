package dev.carve.transform.internal;

import dev.carve.core.CarveHeaders;
import dev.carve.core.error.Decision;
import dev.carve.core.error.OnError;
import dev.carve.core.error.PoisonRecordPolicy;
import dev.carve.transform.TransformerMetrics;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.ChangeEvent.SourceOffset;
import dev.carve.transform.api.DomainRecord;
import dev.carve.transform.api.MappingException;
import dev.carve.transform.api.MappingScope;
import dev.carve.transform.api.Output;
import dev.carve.transform.api.TableMapper;
import dev.carve.transform.api.Topic;
import java.nio.charset.StandardCharsets;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps every change of one raw topic: parse, map, serialize with each typed topic's serde, and
 * forward all results only when the whole change succeeded; otherwise dead-letter the original
 * record (or fail, as the service's {@code on-error} says).
 */
final class MapTableProcessor implements Processor<byte[], byte[], byte[], Routed> {
  private static final Logger LOG = LoggerFactory.getLogger(MapTableProcessor.class);
  private static final String STAGE = "transform";

  private final String service;
  private final Map<String, String> tableByTopic;
  private final String firstTopic;
  private final String deadLetterTopic;
  private final PoisonRecordPolicy policy;
  private final TableMapper mapper;
  private final TransformerMetrics metrics;
  private final Map<String, ChangeParser> parsers = new HashMap<>();
  private final Map<String, Serializer<Object>> keySerializers = new HashMap<>();
  private final Map<String, Serializer<Object>> valueSerializers = new HashMap<>();
  private final Map<String, KeyValueStore<String, String>> stores = new HashMap<>();
  private final Map<String, String> entities = new HashMap<>();
  private ProcessorContext<byte[], Routed> context;

  MapTableProcessor(
      String service,
      Map<String, String> tableByTopic,
      String deadLetterTopic,
      OnError onError,
      TableMapper mapper,
      TransformerMetrics metrics) {
    this.service = service;
    this.tableByTopic = Map.copyOf(tableByTopic);
    this.firstTopic = tableByTopic.keySet().iterator().next();
    this.deadLetterTopic = deadLetterTopic;
    this.policy = new PoisonRecordPolicy(onError, 1, e -> false);
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
      if (change.op() == ChangeEvent.Op.TRUNCATE) {
        throw new MappingException(
            "a truncate of table '"
                + table
                + "' cannot be mapped to deletes of single keys; rebuild the service's topics"
                + " (carve replay)");
      }
      for (Output<?, ?> output : mapper.map(change, scope)) {
        results.add(serialize(output, record.timestamp()));
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
    String key = record.key() == null ? "null" : new String(record.key(), StandardCharsets.UTF_8);
    String message =
        "Service '"
            + service
            + "' cannot map the change of table '"
            + table
            + "' with key "
            + key
            + " at "
            + source
            + ": "
            + error.getMessage();
    if (policy.decide(error, 1) == Decision.FAIL) {
      throw new TransformFailedException(message + " (on-error: fail stops the service)", error);
    }
    LOG.warn("Dead-lettering to {}: {}", deadLetterTopic, message);
    Headers headers = new RecordHeaders(record.headers().toArray());
    put(headers, CarveHeaders.DLQ_STAGE, STAGE);
    put(headers, CarveHeaders.DLQ_SERVICE, service);
    put(headers, CarveHeaders.DLQ_ERROR, error.getClass().getName() + ": " + message);
    put(headers, CarveHeaders.DLQ_TOPIC, source.topic());
    put(headers, CarveHeaders.DLQ_PARTITION, Integer.toString(source.partition()));
    put(headers, CarveHeaders.DLQ_OFFSET, Long.toString(source.offset()));
    put(headers, CarveHeaders.DLQ_TIMESTAMP, Long.toString(System.currentTimeMillis()));
    context.forward(
        new Record<>(
            record.key(),
            new Routed(deadLetterTopic, record.value()),
            record.timestamp(),
            headers));
    metrics.recordDeadLetter(table);
  }

  private static void put(Headers headers, String name, String value) {
    headers.remove(name);
    headers.add(name, value.getBytes(StandardCharsets.UTF_8));
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
