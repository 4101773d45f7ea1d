package dev.carve.sink.internal;

import dev.carve.core.CarveHeaders;
import dev.carve.core.SourcePosition;
import dev.carve.schemas.registry.RegistryException;
import dev.carve.schemas.serde.AvroSerdeException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Decodes raw domain records: Avro key and value through the given deserializers, the source
 * position and the repair flag from the headers (docs/contracts.md §2).
 */
public final class RecordDecoder {
  private final Map<String, String> tableByTopic;
  private final Deserializer<GenericRecord> keyDeserializer;
  private final Deserializer<GenericRecord> valueDeserializer;

  /**
   * Creates a decoder.
   *
   * @param tableByTopic the target table of each subscribed topic
   */
  public RecordDecoder(
      Map<String, String> tableByTopic,
      Deserializer<GenericRecord> keyDeserializer,
      Deserializer<GenericRecord> valueDeserializer) {
    this.tableByTopic = Map.copyOf(tableByTopic);
    this.keyDeserializer = Objects.requireNonNull(keyDeserializer, "keyDeserializer");
    this.valueDeserializer = Objects.requireNonNull(valueDeserializer, "valueDeserializer");
  }

  /**
   * Decodes one record.
   *
   * @throws BadRecordException saying what is wrong (no key, no position headers, undecodable
   *     bytes), with topic, partition and offset
   * @throws RegistryUnavailableException when the key or value could not be decoded because the
   *     schema registry could not be used (not reached, or it refused the client: credentials, a
   *     wrong URL): the record is not bad, another attempt may succeed
   */
  public ChangeRecord decode(ConsumerRecord<byte[], byte[]> r)
      throws BadRecordException, RegistryUnavailableException {
    String where = r.topic() + "/" + r.partition() + "@" + r.offset();
    String table = tableByTopic.get(r.topic());
    if (table == null) {
      throw new BadRecordException(
          "Record " + where + " comes from a topic the sink does not own", null);
    }
    SourcePosition position;
    try {
      position = SourcePosition.readFrom(r.headers());
    } catch (IllegalArgumentException e) {
      throw new BadRecordException(
          "Record " + where + " has a bad position header: " + e.getMessage(), e);
    }
    if (position == null) {
      throw new BadRecordException(
          "Record "
              + where
              + " has no position headers ("
              + CarveHeaders.COMMIT_LSN
              + ", "
              + CarveHeaders.CHANGE_LSN
              + ")",
          null);
    }
    if (r.key() == null) {
      throw new BadRecordException("Record " + where + " has no key", null);
    }
    GenericRecord key;
    GenericRecord value;
    try {
      key = keyDeserializer.deserialize(r.topic(), r.headers(), r.key());
    } catch (RuntimeException e) {
      rethrowIfRegistryUnavailable(where, "key", e);
      throw new BadRecordException("Record " + where + ": cannot decode the key: " + e, e);
    }
    try {
      value =
          r.value() == null
              ? null
              : valueDeserializer.deserialize(r.topic(), r.headers(), r.value());
    } catch (RuntimeException e) {
      rethrowIfRegistryUnavailable(where, "value", e);
      throw new BadRecordException("Record " + where + ": cannot decode the value: " + e, e);
    }
    if (key == null) {
      throw new BadRecordException("Record " + where + " has no key", null);
    }
    return new ChangeRecord(r, table, key, value, position, isRepair(r));
  }

  /**
   * A deserializer error that says the registry could not be used (no answer, 5xx, 429, 408; or a
   * refusal of the client, such as 401/403 for wrong credentials or a 404 of no registry endpoint)
   * is not the record's fault: it would fail every record alike, and dead-lettering them would lose
   * good records and commit their offsets.
   */
  private static void rethrowIfRegistryUnavailable(String where, String part, RuntimeException e)
      throws RegistryUnavailableException {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      boolean retriable =
          (t instanceof AvroSerdeException s && s.retriable())
              || (t instanceof RegistryException r && r.unavailable());
      if (retriable) {
        throw new RegistryUnavailableException(
            "Record "
                + where
                + ": cannot decode the "
                + part
                + ", the schema registry is unavailable: "
                + e.getMessage(),
            e);
      }
    }
  }

  private static boolean isRepair(ConsumerRecord<byte[], byte[]> r) {
    Header h = r.headers().lastHeader(CarveHeaders.REPAIR);
    return h != null
        && h.value() != null
        && new String(h.value(), StandardCharsets.UTF_8).trim().equalsIgnoreCase("true");
  }

  /** Decodes only the key (for messages about a record that failed otherwise). */
  public GenericRecord decodeKey(ConsumerRecord<byte[], byte[]> r) {
    return keyDeserializer.deserialize(r.topic(), r.headers(), r.key());
  }

  /** The table of a topic, or null when the topic is not subscribed. */
  public String tableOf(String topic) {
    return tableByTopic.get(topic);
  }
}
