package dev.carve.sink.internal;

import dev.carve.core.SourcePosition;
import java.util.Objects;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One decoded domain record, ready to write.
 *
 * @param source the Kafka record it was decoded from (original bytes and headers, for dead letters)
 * @param table the target table (the entity name)
 * @param key the primary key; never null
 * @param value the entity, or null for a delete
 * @param position the source position from the headers; never null
 * @param repair true when the record carries {@code carve.repair=true}: it wins a tie
 */
public record ChangeRecord(
    ConsumerRecord<byte[], byte[]> source,
    String table,
    GenericRecord key,
    GenericRecord value,
    SourcePosition position,
    boolean repair) {

  /** Checks the required parts. */
  public ChangeRecord {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(position, "position");
  }

  /** True for a delete (null value). */
  public boolean isDelete() {
    return value == null;
  }

  /** {@code topic/partition@offset}, for messages. */
  public String where() {
    return source.topic() + "/" + source.partition() + "@" + source.offset();
  }
}
