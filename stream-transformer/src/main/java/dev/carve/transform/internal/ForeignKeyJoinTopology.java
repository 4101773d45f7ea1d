package dev.carve.transform.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.core.SourcePosition;
import dev.carve.transform.TransformerMetrics;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.ChangeEvent.SourceOffset;
import dev.carve.transform.api.ForeignKeyJoin;
import dev.carve.transform.api.MappingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The pieces of a foreign-key join ({@code TopologyContext#joinForeignKey}) between the raw topics
 * and Kafka Streams' KTable foreign-key join, and the text they exchange (JSON, and lines of text
 * where a change's bytes are carried: the serdes are plain strings and the state stores readable).
 *
 * <ul>
 *   <li>Left side: {@link LeftParser} turns each raw change into a {@link LeftValue} (the canonical
 *       reference, the source offset and the original bytes as text), kept in a KTable by the raw
 *       key. Deletes stay as values (their {@code ref} is null), so the join forwards them to the
 *       mapper; Debezium tombstones are skipped.
 *   <li>Right side: {@link RightParser} turns each raw change into {@code {key, row, pos, ref}} or
 *       a KTable delete (delete, filtered out, null reference); then re-keyed by {@code ref} and
 *       aggregated into {@code {<canonical source key>: {key, row, pos}}}.
 *   <li>The joiner keeps the left value and the right row with the smallest key ({@link
 *       ForeignKeyJoin#compareKeys}); {@link Unpacker} restores the original key and bytes, stamps
 *       the source offset and carries the right row in {@link InternalHeaders#JOINED} to the
 *       mapping processor, which parses the change and calls {@link #joinTo}.
 * </ul>
 */
final class ForeignKeyJoinTopology {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * For the aggregates of right rows per reference, whose field names are right keys: one new name
   * per right row. Not canonicalized (nor interned), so they neither cost a symbol-table insert per
   * read nor crowd out the column names every other parse of {@link #JSON} finds there.
   */
  private static final ObjectMapper AGGREGATE_JSON =
      new ObjectMapper(
          JsonFactory.builder().disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).build());

  private ForeignKeyJoinTopology() {}

  /** A parsed change, or the dead letter of a change that cannot be parsed. */
  record Parsed(String json, Routed deadLetter) {
    boolean rejected() {
      return deadLetter != null;
    }
  }

  /** The left change joined with the row carried in {@code joinedJson} (null: no row). */
  static ChangeEvent joinTo(ForeignKeyJoin join, ChangeEvent change, String joinedJson) {
    if (joinedJson == null) {
      return join.join(change, null, null);
    }
    RightRow right = RightRow.read(joinedJson);
    return join.join(change, right.row(), right.position());
  }

  /** A right row as the lookup keeps it, read: its columns and the position of its change. */
  record RightRow(Map<String, Object> row, SourcePosition position) {
    /**
     * Reads the {@code row} and {@code pos} of a right row's JSON in one pass, with the values
     * {@link ChangeParser#toRow} gives from a tree (every left change of a join reads one).
     */
    static RightRow read(String json) {
      Map<String, Object> row = null;
      SourcePosition position = null;
      try (JsonParser p = JSON.createParser(json)) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
          throw new JsonParseException(p, "not a JSON object");
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          JsonToken token = p.nextToken();
          if (name.equals("row") && token == JsonToken.START_OBJECT) {
            row = ChangeParser.readRow(p);
          } else if (name.equals("row") && token != JsonToken.VALUE_NULL) {
            throw new JsonParseException(p, "'row' is not a JSON object");
          } else if (name.equals("pos") && token == JsonToken.START_ARRAY) {
            p.nextToken();
            long commitLsn = p.getLongValue();
            p.nextToken();
            long changeLsn = p.getLongValue();
            p.nextToken();
            position = new SourcePosition(commitLsn, changeLsn);
          } else {
            p.skipChildren();
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException(
            "cannot read the join's own state (" + e.getMessage() + "): " + json, e);
      }
      if (position == null) {
        throw new IllegalStateException("cannot read the join's own state (no 'pos'): " + json);
      }
      return new RightRow(row, position);
    }
  }

  /** The canonical text of a key or reference: JSON of the map in its order. */
  static String canonical(Map<String, Object> map) {
    try {
      return FlatJson.write(map);
    } catch (JsonProcessingException e) {
      throw new MappingException("cannot write " + map + " as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** The reference of a left value, the foreign key of the KTable join; null for none. */
  static String referenceOf(String leftValue) {
    return LeftValue.referenceOf(leftValue);
  }

  /** The reference a right value answers to (never null: null references are not kept). */
  static String referenceOfRight(String rightJson) {
    return read(rightJson).get("ref").asText();
  }

  /** The aggregate of right rows per reference with {@code rightJson} added. */
  static String add(String aggregate, String rightJson) {
    ObjectNode rows = (ObjectNode) read(AGGREGATE_JSON, aggregate);
    JsonNode right = read(rightJson);
    rows.set(right.get("id").asText(), right);
    return rows.toString();
  }

  /** The aggregate of right rows per reference with {@code rightJson} removed. */
  static String remove(String aggregate, String rightJson) {
    ObjectNode rows = (ObjectNode) read(AGGREGATE_JSON, aggregate);
    rows.remove(read(rightJson).get("id").asText());
    return rows.toString();
  }

  /**
   * The joiner: the chosen right row's JSON (empty for none), a newline, then the left value as it
   * is. Neither part is escaped into the other (Jackson writes no raw newline), so the mapping side
   * splits it without decoding the left value ({@link Unpacker}).
   */
  static String joined(String leftJson, String aggregate) {
    String right = chosen(aggregate);
    return (right == null ? "" : right) + '\n' + leftJson;
  }

  /**
   * The right row a reference joins, of the aggregate of the right rows answering to it: the one
   * with the smallest key ({@link ForeignKeyJoin#compareKeys}); null when there is none.
   */
  static String chosen(String aggregate) {
    JsonNode chosen = null;
    Map<String, Object> chosenKey = null;
    if (aggregate != null) {
      Iterator<JsonNode> rows = read(AGGREGATE_JSON, aggregate).elements();
      while (rows.hasNext()) {
        JsonNode candidate = rows.next();
        Map<String, Object> key = ChangeParser.toRow(candidate.get("key"), "key");
        if (chosen == null || ForeignKeyJoin.compareKeys(key, chosenKey) < 0) {
          chosen = candidate;
          chosenKey = key;
        }
      }
    }
    return chosen == null ? null : chosen.toString();
  }

  private static JsonNode read(String json) {
    return read(JSON, json);
  }

  private static JsonNode read(ObjectMapper mapper, String json) {
    try {
      return mapper.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "cannot read the join's own state (" + e.getOriginalMessage() + "): " + json, e);
    }
  }

  private static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  /** Shared parsing and dead-lettering of both sides. */
  private abstract static class SideParser implements FixedKeyProcessor<byte[], byte[], Parsed> {
    final String table;
    final String topic;
    final ForeignKeyJoin join;
    final ChangeParser parser;
    final DeadLetters deadLetters;
    final TransformerMetrics metrics;
    FixedKeyProcessorContext<byte[], Parsed> context;

    SideParser(
        String service,
        String table,
        String topic,
        ForeignKeyJoin join,
        DeadLetters deadLetters,
        TransformerMetrics metrics) {
      this.table = table;
      this.topic = topic;
      this.join = join;
      this.parser = new ChangeParser(service, table);
      this.deadLetters = deadLetters;
      this.metrics = metrics;
    }

    @Override
    public void init(FixedKeyProcessorContext<byte[], Parsed> context) {
      this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<byte[], byte[]> record) {
      if (record.value() == null) {
        metrics.recordTombstone();
        return; // a Debezium tombstone: the delete before it already did the work
      }
      SourceOffset source = ChangeParser.offsetOf(context.recordMetadata(), topic);
      try {
        ChangeEvent change = parser.parseRow(record.key(), record.value(), source);
        if (record.key() == null) {
          throw new MappingException(
              "table '"
                  + table
                  + "' has no primary key in the change record; a joined table needs one");
        }
        context.forward(record.withValue(new Parsed(json(change, record, source), null)));
      } catch (Exception e) {
        DeadLetters.Letter letter =
            deadLetters.letter(record.key(), record.value(), record.headers(), source, table, e);
        context.forward(
            record.withValue(new Parsed(null, letter.value())).withHeaders(letter.headers()));
      }
    }

    abstract String json(
        ChangeEvent change, FixedKeyRecord<byte[], byte[]> record, SourceOffset source);
  }

  /** Parses a left change into the left KTable's value. */
  static final class LeftParser extends SideParser {
    private final String toastStoreName;
    private KeyValueStore<String, String> toast;

    /**
     * @param toastStore the store of the last values of {@link ForeignKeyJoin#toastColumns()} by
     *     raw key; null when the join fills none
     */
    LeftParser(
        String service,
        String table,
        String topic,
        ForeignKeyJoin join,
        DeadLetters deadLetters,
        TransformerMetrics metrics,
        String toastStore) {
      super(service, table, topic, join, deadLetters, metrics);
      this.toastStoreName = toastStore;
    }

    @Override
    public void init(FixedKeyProcessorContext<byte[], Parsed> context) {
      super.init(context);
      if (toastStoreName != null) {
        toast = context.getStateStore(toastStoreName);
      }
    }

    @Override
    String json(ChangeEvent change, FixedKeyRecord<byte[], byte[]> record, SourceOffset source) {
      String key = text(record.key());
      String value = text(record.value());
      Map<String, Object> row = change.isDelete() ? null : change.row();
      if (toast != null) {
        if (change.isDelete()) {
          if (!ToastFill.keyMoved(change, record.headers())) {
            toast.delete(key);
          } // else a primary-key update: the create of the new key takes the values over
        } else {
          String oldKey = ToastFill.oldKey(record.headers(), key);
          ToastFill.Filled filled =
              ToastFill.fill(
                  join.toastColumns(),
                  row,
                  () -> {
                    String own = toast.get(key);
                    return own != null || oldKey == null ? own : toast.get(oldKey);
                  },
                  table,
                  key,
                  oldKey);
          toast.put(key, filled.kept());
          if (oldKey != null) {
            toast.delete(oldKey);
          }
          if (filled.filledAny(row)) {
            value = ToastFill.withFilled(value, join.toastColumns(), row, filled.row(), table);
            row = filled.row();
          }
        }
      }
      Map<String, Object> reference = row == null ? null : join.referenceOf(row, table);
      return new LeftValue(
              reference == null ? null : canonical(reference),
              source.topic(),
              source.partition(),
              source.offset(),
              key,
              value)
          .write();
    }
  }

  /** Parses a right change into the right KTable's value; null deletes the row from it. */
  static final class RightParser extends SideParser {
    RightParser(
        String service,
        String table,
        String topic,
        ForeignKeyJoin join,
        DeadLetters deadLetters,
        TransformerMetrics metrics) {
      super(service, table, topic, join, deadLetters, metrics);
    }

    @Override
    public void process(FixedKeyRecord<byte[], byte[]> record) {
      metrics.recordIn(table);
      super.process(record);
    }

    @Override
    String json(ChangeEvent change, FixedKeyRecord<byte[], byte[]> record, SourceOffset source) {
      if (change.isDelete()) {
        return null;
      }
      Map<String, Object> reference = join.referencedBy(change.row());
      if (reference == null) {
        return null;
      }
      ObjectNode out = JSON.createObjectNode();
      out.put("id", canonical(change.key()));
      out.set("key", JSON.valueToTree(change.key()));
      out.set("row", JSON.valueToTree(change.row()));
      ArrayNode pos = out.putArray("pos");
      pos.add(change.position().commitLsn());
      pos.add(change.position().changeLsn());
      out.put("ref", canonical(reference));
      return out.toString();
    }
  }

  /**
   * The left KTable's value: a left change with its reference, source offset and original key and
   * bytes. Written as lines of text with the raw key and value last and unescaped, so the join's
   * foreign-key extractor reads the reference from the first line without decoding the change:
   *
   * <pre>
   * L1
   * &lt;reference, canonical JSON; empty for none&gt;
   * &lt;raw topic&gt;
   * &lt;raw partition&gt;
   * &lt;raw offset&gt;
   * &lt;length of the key in chars; -1 for none&gt;
   * &lt;key&gt;&lt;value&gt;
   * </pre>
   *
   * <p>Values written by earlier versions (a JSON object with the same fields) are still read.
   */
  record LeftValue(String ref, String topic, int partition, long offset, String key, String value) {
    static final String MAGIC = "L1\n";

    LeftValue {
      if (value == null) {
        throw new IllegalArgumentException("a left value needs the change's bytes");
      }
    }

    String write() {
      StringBuilder sb =
          new StringBuilder(
              64 + value.length() + (key == null ? 0 : key.length()) + topic.length());
      sb.append(MAGIC);
      sb.append(ref == null ? "" : ref).append('\n');
      sb.append(topic).append('\n');
      sb.append(partition).append('\n');
      sb.append(offset).append('\n');
      sb.append(key == null ? -1 : key.length()).append('\n');
      if (key != null) {
        sb.append(key);
      }
      return sb.append(value).toString();
    }

    static String referenceOf(String text) {
      if (!text.startsWith(MAGIC)) {
        return written(text).ref();
      }
      int end = StateLines.ends(text, MAGIC.length(), 1)[0];
      return end == MAGIC.length() ? null : text.substring(MAGIC.length(), end);
    }

    static LeftValue read(String text) {
      if (!text.startsWith(MAGIC)) {
        return written(text);
      }
      int[] ends = StateLines.ends(text, MAGIC.length(), 5);
      String ref = ends[0] == MAGIC.length() ? null : text.substring(MAGIC.length(), ends[0]);
      String topic = text.substring(ends[0] + 1, ends[1]);
      int partition = Integer.parseInt(text, ends[1] + 1, ends[2], 10);
      long offset = Long.parseLong(text, ends[2] + 1, ends[3], 10);
      int keyLength = Integer.parseInt(text, ends[3] + 1, ends[4], 10);
      int keyStart = ends[4] + 1;
      String key = keyLength < 0 ? null : text.substring(keyStart, keyStart + keyLength);
      String value = text.substring(keyStart + Math.max(keyLength, 0));
      return new LeftValue(ref, topic, partition, offset, key, value);
    }

    /** A value as earlier versions wrote it: a JSON object with the same fields. */
    private static LeftValue written(String json) {
      JsonNode n = ForeignKeyJoinTopology.read(json);
      return new LeftValue(
          textOrNull(n.get("ref")),
          n.get("topic").asText(),
          n.get("partition").asInt(),
          n.get("offset").asLong(),
          textOrNull(n.get("key")),
          n.get("value").asText());
    }

    private static String textOrNull(JsonNode node) {
      return node == null || node.isNull() ? null : node.asText();
    }
  }

  /**
   * Restores the left change's original key and bytes from a join result and stamps its source
   * offset and the joined right row as internal headers for the mapping processor.
   */
  static final class Unpacker implements Processor<byte[], String, byte[], byte[]> {
    private ProcessorContext<byte[], byte[]> context;

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
      this.context = context;
    }

    @Override
    public void process(Record<byte[], String> record) {
      if (record.value() == null) {
        return; // the left row left the table (never: left tombstones are skipped)
      }
      String value = record.value();
      int newline = value.indexOf('\n');
      if (newline < 0) {
        throw new IllegalStateException(
            "cannot read the join's own result (no newline after the joined row): " + value);
      }
      String right = newline == 0 ? null : value.substring(0, newline);
      LeftValue left = LeftValue.read(value.substring(newline + 1));
      byte[] key = utf8(left.key());
      SourceOffset source = new SourceOffset(left.topic(), left.partition(), left.offset());
      Record<byte[], byte[]> out = record.withKey(key).withValue(utf8(left.value()));
      InternalHeaders.stamp(out.headers(), source, key);
      InternalHeaders.joined(out.headers(), right);
      context.forward(out);
    }

    private static byte[] utf8(String text) {
      return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
    }
  }
}
