package dev.carve.transform.internal;

import dev.carve.core.error.OnError;
import dev.carve.transform.TransformerMetrics;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.ChangeEvent.SourceOffset;
import dev.carve.transform.api.ForeignKeyJoin;
import dev.carve.transform.api.MappingException;
import dev.carve.transform.api.TableMapper;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Maps every change of one raw topic: parse, map, serialize with each typed topic's serde, and
 * forward all results only when the whole change succeeded; otherwise dead-letter the original
 * record (or fail, as the service's {@code on-error} says).
 */
final class MapTableProcessor implements Processor<byte[], byte[], byte[], Routed> {

  private final Map<String, String> tableByTopic;
  private final String firstTopic;
  private final String deadLetterTopic;
  private final DeadLetters deadLetters;
  private final TransformerMetrics metrics;
  private final Map<String, ChangeParser> parsers = new HashMap<>();
  private final ChangeMapping mapping;
  private final ForeignKeyJoin join;
  private ProcessorContext<byte[], Routed> context;

  MapTableProcessor(
      String service,
      Map<String, String> tableByTopic,
      String deadLetterTopic,
      OnError onError,
      TableMapper mapper,
      TransformerMetrics metrics,
      KeyRegistryStore.Ref keyRegistry) {
    this(service, tableByTopic, deadLetterTopic, onError, mapper, metrics, keyRegistry, null, null);
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
      KeyRegistryStore.Ref keyRegistry,
      String positionsStep,
      ForeignKeyJoin join) {
    this.join = join;
    this.mapping = new ChangeMapping(service, mapper, metrics, positionsStep, keyRegistry);
    this.tableByTopic = Map.copyOf(tableByTopic);
    this.firstTopic = tableByTopic.keySet().iterator().next();
    this.deadLetterTopic = deadLetterTopic;
    this.deadLetters = new DeadLetters(service, deadLetterTopic, onError, metrics);
    this.metrics = metrics;
    tableByTopic.forEach((topic, table) -> parsers.put(topic, new ChangeParser(service, table)));
  }

  @Override
  public void init(ProcessorContext<byte[], Routed> context) {
    this.context = context;
    mapping.init(context);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    SourceOffset source = InternalHeaders.source(record.headers());
    if (source == null) {
      source = ChangeParser.offsetOf(context.recordMetadata(), firstTopic);
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
    ChangeMapping.Mapped mapped;
    try {
      if (rejected != null) {
        throw new MappingException(rejected);
      }
      ChangeParser parser = parsers.get(source.topic());
      if (parser == null) {
        throw new MappingException(
            "records of topic '" + source.topic() + "' are not mapped by this processor");
      }
      ChangeEvent change = parser.parseRow(record.key(), record.value(), source);
      if (join != null) {
        change = ForeignKeyJoinTopology.joinTo(join, change, joined);
      }
      mapped = mapping.map(change, record.timestamp(), record.headers());
    } catch (Exception e) {
      reject(record, source, table, e);
      return;
    }
    mapped.commit(context);
  }

  private void reject(
      Record<byte[], byte[]> record, SourceOffset source, String table, Exception error) {
    DeadLetters.Letter letter =
        deadLetters.letter(record.key(), record.value(), record.headers(), source, table, error);
    context.forward(
        new Record<>(record.key(), letter.value(), record.timestamp(), letter.headers()));
  }
}
