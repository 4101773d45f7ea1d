package dev.carve.transform.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.ChangeEvent.SourceOffset;
import dev.carve.transform.api.PartitionKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Re-keys the changes of a joined table by the primary-table key they belong to, so they meet the
 * primary table's changes in one partition. Deletes, whose {@code before} holds only the primary
 * key, reuse the key remembered in the link store. A change that moves its row to another primary
 * row (or to none) is preceded by a delete of the row sent to the old one (a detach). The original
 * key and source offset travel in internal headers; a change that cannot be re-keyed keeps its key
 * and carries a rejection reason, so the mapping processor dead-letters it with everything else.
 */
final class RekeyProcessor implements Processor<byte[], byte[], byte[], byte[]> {
  // Reads and rewrites a change without changing its numbers' text (30.00 stays 30.00).
  private static final ObjectMapper EXACT =
      JsonMapper.builder()
          .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .build();

  private final String table;
  private final String linkStore;
  private final PartitionKey partitionKey;
  private final ChangeParser parser;
  private ProcessorContext<byte[], byte[]> context;
  private KeyValueStore<String, String> links;

  RekeyProcessor(String service, String table, String linkStore, PartitionKey partitionKey) {
    this.table = table;
    this.linkStore = linkStore;
    this.partitionKey = partitionKey;
    this.parser = new ChangeParser(service, table);
  }

  @Override
  public void init(ProcessorContext<byte[], byte[]> context) {
    this.context = context;
    this.links = context.getStateStore(linkStore);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    SourceOffset source = ChangeParser.offsetOf(context.recordMetadata(), table);
    InternalHeaders.stamp(record.headers(), source, record.key());
    String sourceKey =
        record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    if (record.value() == null) {
      // A Debezium tombstone: skipped downstream; route it like its delete.
      String linked = sourceKey == null ? null : links.get(sourceKey);
      context.forward(linked == null ? record : record.withKey(utf8(linked)));
      return;
    }
    try {
      ChangeEvent change = parser.parse(record.key(), record.value(), source);
      String target;
      if (change.isDelete()) {
        target = sourceKey == null ? null : links.get(sourceKey);
        if (target == null) {
          throw new IllegalArgumentException(
              "delete of table '"
                  + table
                  + "' with key "
                  + sourceKey
                  + " belongs to no known row (its earlier changes were never seen)");
        }
        links.delete(sourceKey);
      } else {
        Map<String, Object> key = partitionKey.of(change);
        String linked = sourceKey == null ? null : links.get(sourceKey);
        target = key == null ? null : FlatJson.write(key);
        if (linked != null && !linked.equals(target)) {
          // The row moved to another primary row (or to none): the old one, whose state may be in
          // another task, must let go of it before the new one takes it, or both count it.
          context.forward(detach(record, linked));
          links.delete(sourceKey);
        }
        if (key == null) {
          throw new IllegalArgumentException(
              "change of table '" + table + "' with key " + sourceKey + " belongs to no row");
        }
        if (sourceKey != null && !target.equals(linked)) {
          links.put(sourceKey, target);
        }
      }
      context.forward(record.withKey(utf8(target)));
    } catch (RuntimeException | JsonProcessingException e) {
      InternalHeaders.reject(
          record.headers(), "cannot find the row it belongs to: " + e.getMessage());
      context.forward(record);
    }
  }

  /**
   * A Debezium delete of the changed row for the primary row it belonged to: the change's envelope
   * with op {@code d}, no {@code after} and its key columns as {@code before} (as Debezium writes a
   * delete with the default replica identity); its {@code source} block, so its position, and its
   * internal headers are the change's.
   */
  private Record<byte[], byte[]> detach(Record<byte[], byte[]> record, String linked) {
    ObjectNode envelope;
    try {
      envelope = (ObjectNode) EXACT.readTree(record.value());
      envelope.set("before", EXACT.readTree(record.key()));
    } catch (IOException e) {
      // Parsed once already: not reached.
      throw new IllegalStateException(
          "cannot read a change of table '" + table + "' again: " + e.getMessage(), e);
    }
    envelope.putNull("after");
    envelope.put("op", "d");
    return new Record<>(
        utf8(linked),
        utf8(envelope.toString()),
        record.timestamp(),
        new RecordHeaders(record.headers().toArray()));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
