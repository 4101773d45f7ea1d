package dev.carve.transform.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.ChangeEvent.SourceOffset;
import dev.carve.transform.api.PartitionKey;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Re-keys the changes of a joined table by the primary-table key they belong to, so they meet the
 * primary table's changes in one partition. Deletes, whose {@code before} holds only the primary
 * key, reuse the key remembered in the link store. The original key and source offset travel in
 * internal headers; a change that cannot be re-keyed keeps its key and carries a rejection reason,
 * so the mapping processor dead-letters it with everything else.
 */
final class RekeyProcessor implements Processor<byte[], byte[], byte[], byte[]> {

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
        if (key == null) {
          throw new IllegalArgumentException(
              "change of table '" + table + "' with key " + sourceKey + " belongs to no row");
        }
        target = FlatJson.write(key);
        if (sourceKey != null) {
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

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
