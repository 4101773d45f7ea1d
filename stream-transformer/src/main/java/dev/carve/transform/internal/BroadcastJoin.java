package dev.carve.transform.internal;

import dev.carve.core.SourcePosition;
import dev.carve.transform.TransformerMetrics;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.ChangeEvent.SourceOffset;
import dev.carve.transform.api.ForeignKeyJoin;
import dev.carve.transform.api.MappingException;
import dev.carve.transform.api.TableMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A foreign-key join run the {@link ForeignKeyJoin.Strategy#BROADCAST broadcast} way: the right
 * rows, chosen per reference by the same lookup as the KTable join ({@link
 * ForeignKeyJoinTopology}), are written to every partition of a repartition topic read in the left
 * table's tasks, so each left task holds the joined rows it needs next to its own left rows.
 *
 * <p>Stores of a left task (all with changelogs):
 *
 * <ul>
 *   <li>rows: the last change of each left row by raw key ({@link StoredRow}: its reference, the
 *       last position emitted for it, its source offset and bytes with TOAST placeholders filled);
 *       a deleted row whose delete went out at a position raised above its own keeps its key and
 *       that position (a later change of the same key must still win at the sink's guard);
 *   <li>index: {@code <reference> \n <raw key>} for each left row that references something, to
 *       find the rows a right change re-maps;
 *   <li>replica: the chosen right row by reference;
 *   <li>waiting: {@code <since> \n <raw key>} for each left row not yet mapped because its
 *       referenced row is absent ({@link ForeignKeyJoin#waitFor}), in the order they began to wait
 *       (zero-padded wall-clock milliseconds), so the wait configured now applies to each (a
 *       shorter one, or none, lets them go out at once); the row's {@link StoredRow} holds the time
 *       too.
 * </ul>
 *
 * <p>Positions: an output carries the newer of the left change's and the right row's positions,
 * raised above the last one emitted for the left row when not newer (a join's output reflects
 * everything seen so far, so it must win over its previous emission).
 */
final class BroadcastJoin {
  private static final String INDEX_SEPARATOR = "\n";

  private BroadcastJoin() {}

  /** Sends every record to all partitions of the topic (KIP-837 multicast). */
  static final class AllPartitions<K, V> implements StreamPartitioner<K, V> {
    @Override
    public Optional<Set<Integer>> partitions(String topic, K key, V value, int numPartitions) {
      Set<Integer> all = new HashSet<>();
      for (int p = 0; p < numPartitions; p++) {
        all.add(p);
      }
      return Optional.of(all);
    }
  }

  /**
   * A left row as the rows store keeps it: lines of text, the change's key and bytes last and
   * unescaped.
   *
   * <pre>
   * R1 (R2 when the row waits for its referenced row)
   * &lt;reference, canonical JSON; empty for none&gt;
   * &lt;last emitted position commitLsn:changeLsn; empty for none&gt;
   * &lt;R2 only: the wall-clock time it began to wait, in milliseconds&gt;
   * &lt;raw topic&gt;
   * &lt;raw partition&gt;
   * &lt;raw offset&gt;
   * &lt;length of the key in chars; -1 for a deleted row (no key and value follow)&gt;
   * &lt;key&gt;&lt;value&gt;
   * </pre>
   *
   * @param waitingSince when the row began to wait for its referenced row (its last change is not
   *     mapped yet); 0 when it does not wait
   */
  record StoredRow(
      String ref,
      SourcePosition emitted,
      long waitingSince,
      String topic,
      int partition,
      long offset,
      String key,
      String value) {
    static final String MAGIC = "R1\n";
    static final String WAITING_MAGIC = "R2\n";

    /** A deleted row: only the last emitted position is kept. */
    static StoredRow deleted(SourcePosition emitted, SourceOffset source) {
      return new StoredRow(
          null, emitted, 0, source.topic(), source.partition(), source.offset(), null, null);
    }

    boolean isDeleted() {
      return value == null;
    }

    boolean isWaiting() {
      return waitingSince != 0;
    }

    SourceOffset source() {
      return new SourceOffset(topic, partition, offset);
    }

    /** The row mapped at {@code position}, no longer waiting. */
    StoredRow withEmitted(SourcePosition position) {
      return new StoredRow(ref, position, 0, topic, partition, offset, key, value);
    }

    String write() {
      StringBuilder sb =
          new StringBuilder(
              64
                  + (value == null ? 0 : value.length())
                  + (key == null ? 0 : key.length())
                  + topic.length());
      sb.append(isWaiting() ? WAITING_MAGIC : MAGIC);
      sb.append(ref == null ? "" : ref).append('\n');
      sb.append(emitted == null ? "" : ChangeMapping.writePosition(emitted)).append('\n');
      if (isWaiting()) {
        sb.append(waitingSince).append('\n');
      }
      sb.append(topic).append('\n');
      sb.append(partition).append('\n');
      sb.append(offset).append('\n');
      if (value == null) {
        return sb.append(-1).append('\n').toString();
      }
      sb.append(key.length()).append('\n');
      return sb.append(key).append(value).toString();
    }

    static StoredRow read(String text) {
      if (text == null) {
        return null;
      }
      boolean waiting = text.startsWith(WAITING_MAGIC);
      if (!waiting && !text.startsWith(MAGIC)) {
        throw new IllegalStateException(
            "cannot read the join's own state (not a stored row): " + text);
      }
      int start = MAGIC.length();
      int[] ends = StateLines.ends(text, start, waiting ? 7 : 6);
      String ref = ends[0] == start ? null : text.substring(start, ends[0]);
      SourcePosition emitted =
          ends[1] == ends[0] + 1
              ? null
              : ChangeMapping.parsePosition(text.substring(ends[0] + 1, ends[1]));
      long waitingSince = 0;
      int line = 2;
      if (waiting) {
        waitingSince = Long.parseLong(text, ends[1] + 1, ends[2], 10);
        line = 3;
      }
      String topic = text.substring(ends[line - 1] + 1, ends[line]);
      int partition = Integer.parseInt(text, ends[line] + 1, ends[line + 1], 10);
      long offset = Long.parseLong(text, ends[line + 1] + 1, ends[line + 2], 10);
      int keyLength = Integer.parseInt(text, ends[line + 2] + 1, ends[line + 3], 10);
      if (keyLength < 0) {
        return new StoredRow(ref, emitted, waitingSince, topic, partition, offset, null, null);
      }
      int keyStart = ends[line + 3] + 1;
      return new StoredRow(
          ref,
          emitted,
          waitingSince,
          topic,
          partition,
          offset,
          text.substring(keyStart, keyStart + keyLength),
          text.substring(keyStart + keyLength));
    }
  }

  /**
   * The names of the join's own stores in a left task, the wait for absent referenced rows (0: rows
   * do not wait), the longest wait while the right side catches up (0: none) and the key registry
   * the mapping allocates in.
   */
  record Stores(
      String rows,
      String index,
      String replica,
      String waiting,
      long waitMillis,
      long catchUpMillis,
      KeyRegistryStore.Ref keyRegistry) {
    /**
     * How long no right row may have arrived for the right side to count as caught up: a tenth of
     * the catch-up wait, at least the wait. Under load the right side delivers in bursts (its
     * repartition topics are read after exactly-once commits): pauses of over 2 s were seen while
     * it was still tens of seconds behind.
     */
    long quietMillis() {
      return Math.max(waitMillis, catchUpMillis / 10);
    }
  }

  /**
   * What the right side of one left task has delivered, shared by its two processors (one per task
   * and instance, in memory: after a restart the right side counts as having just delivered).
   */
  static final class RightProgress {
    private volatile long lastArrivalMs;
    private volatile long commitLsn;

    /** A right record arrived at {@code now}; {@code position} is its row's (null: none). */
    void arrived(long now, SourcePosition position) {
      lastArrivalMs = now;
      if (position != null && position.commitLsn() > commitLsn) {
        commitLsn = position.commitLsn();
      }
    }

    /** The left task (re)opens: its first record or punctuation counts as an arrival. */
    void reopened() {
      lastArrivalMs = 0;
    }

    /**
     * The first record or punctuation of a left task: the right side counts as having just
     * delivered.
     */
    void started(long now) {
      if (lastArrivalMs == 0) {
        lastArrivalMs = now;
      }
    }

    /** The wall-clock time the last right record arrived (or the task started). */
    long lastArrivalMs() {
      return lastArrivalMs;
    }

    /** The newest commit LSN of a streamed right row delivered; 0 for none. */
    long commitLsn() {
      return commitLsn;
    }
  }

  /** The {@link RightProgress} of each task of one join in this instance. */
  static final class Progress {
    private final Map<TaskId, RightProgress> byTask = new ConcurrentHashMap<>();

    RightProgress of(TaskId task) {
      return byTask.computeIfAbsent(task, t -> new RightProgress());
    }
  }

  /** The stores and the mapping shared by both processors of a left task. */
  private abstract static class Side<KIn, VIn> implements Processor<KIn, VIn, byte[], Routed> {
    final String table;
    final ForeignKeyJoin join;
    final ChangeParser parser;
    final DeadLetters deadLetters;
    final TransformerMetrics metrics;
    final ChangeMapping mapping;
    final Stores stores;
    private final Progress progresses;
    RightProgress progress;
    ProcessorContext<byte[], Routed> context;
    KeyValueStore<String, String> rows;
    KeyValueStore<String, String> index;
    KeyValueStore<String, String> replica;
    KeyValueStore<String, String> waiting;
    private String lastRightJson;
    private ForeignKeyJoinTopology.RightRow lastRight;

    Side(
        String service,
        String table,
        ForeignKeyJoin join,
        DeadLetters deadLetters,
        TransformerMetrics metrics,
        TableMapper mapper,
        Stores stores,
        Progress progresses) {
      this.table = table;
      this.join = join;
      this.parser = new ChangeParser(service, table);
      this.deadLetters = deadLetters;
      this.metrics = metrics;
      this.mapping = new ChangeMapping(service, mapper, metrics, null, stores.keyRegistry());
      this.stores = stores;
      this.progresses = progresses;
    }

    @Override
    public void init(ProcessorContext<byte[], Routed> context) {
      this.context = context;
      this.rows = context.getStateStore(stores.rows());
      this.index = context.getStateStore(stores.index());
      this.replica = context.getStateStore(stores.replica());
      this.waiting = context.getStateStore(stores.waiting());
      this.progress = progresses.of(context.taskId());
      mapping.init(context);
    }

    /**
     * Maps {@code change} joined with {@code rightJson} (null: no right row) and forwards its
     * outputs; dead-letters the left change when it cannot be mapped.
     *
     * @return the position emitted, or {@code emitted} when nothing was
     */
    SourcePosition emit(
        ChangeEvent change,
        String rightJson,
        SourcePosition emitted,
        long timestamp,
        byte[] key,
        byte[] value,
        Headers headers) {
      ChangeEvent joined;
      ChangeMapping.Mapped mapped;
      try {
        joined = joinTo(change, rightJson);
        SourcePosition position = joined.position();
        if (emitted != null && !position.isNewerThan(emitted)) {
          position = new SourcePosition(emitted.commitLsn(), emitted.changeLsn() + 1);
          joined = joined.withJoined(join.alias(), joined.joined(join.alias()), position);
        }
        mapped = mapping.map(joined, timestamp);
      } catch (Exception e) {
        reject(key, value, headers, change.source(), timestamp, e);
        return emitted;
      }
      mapped.commit(context);
      return joined.position();
    }

    /** The change with the right row joined; the last right row read is read only once. */
    private ChangeEvent joinTo(ChangeEvent change, String rightJson) {
      if (rightJson == null) {
        return join.join(change, null, null);
      }
      ForeignKeyJoinTopology.RightRow right = rightRow(rightJson);
      return join.join(change, right.row(), right.position());
    }

    /** The right row of {@code rightJson}; the last one read is read only once. */
    ForeignKeyJoinTopology.RightRow rightRow(String rightJson) {
      if (!rightJson.equals(lastRightJson)) {
        lastRight = ForeignKeyJoinTopology.RightRow.read(rightJson);
        lastRightJson = rightJson;
      }
      return lastRight;
    }

    /**
     * Maps the kept row {@code key} again, joined with {@code right} (a right change reached it, or
     * its wait ended), and keeps the position it went out at; a waiting row no longer waits.
     */
    void remap(String key, StoredRow stored, String right, long timestamp) {
      byte[] keyBytes = stored.key().getBytes(StandardCharsets.UTF_8);
      byte[] valueBytes = stored.value().getBytes(StandardCharsets.UTF_8);
      Headers headers = new RecordHeaders();
      SourcePosition emitted = stored.emitted();
      try {
        ChangeEvent change = parser.parse(keyBytes, valueBytes, stored.source());
        emitted = emit(change, right, emitted, timestamp, keyBytes, valueBytes, headers);
      } catch (Exception e) {
        reject(keyBytes, valueBytes, headers, stored.source(), timestamp, e);
      }
      if (stored.isWaiting()) {
        waiting.delete(waitingKey(stored.waitingSince(), key));
      }
      if (stored.isWaiting() || !Objects.equals(emitted, stored.emitted())) {
        rows.put(key, stored.withEmitted(emitted).write());
      }
    }

    void reject(
        byte[] key,
        byte[] value,
        Headers headers,
        SourceOffset source,
        long timestamp,
        Exception error) {
      DeadLetters.Letter letter = deadLetters.letter(key, value, headers, source, table, error);
      context.forward(new Record<>(key, letter.value(), timestamp, letter.headers()));
    }

    static String indexKey(String ref, String leftKey) {
      return ref + INDEX_SEPARATOR + leftKey;
    }

    /** Sorts by time: wall-clock milliseconds zero-padded to 13 digits (until year 2286). */
    static String waitingKey(long since, String leftKey) {
      String digits = Long.toString(since);
      return "0".repeat(Math.max(0, 13 - digits.length())) + digits + INDEX_SEPARATOR + leftKey;
    }
  }

  /** Reads the left table's changes: fills TOAST placeholders, keeps the row, joins and maps. */
  static final class LeftProcessor extends Side<byte[], byte[]> {
    /** Rows whose wait ended, mapped per punctuation at most (the rest at the next one). */
    private static final int DUE_PER_PUNCTUATION = 10_000;

    /** Waiting rows read per punctuation at most (the others are read at the next). */
    private static final int SCANNED_PER_PUNCTUATION = 20_000;

    private final String topic;

    LeftProcessor(
        String service,
        String table,
        String topic,
        ForeignKeyJoin join,
        DeadLetters deadLetters,
        TransformerMetrics metrics,
        TableMapper mapper,
        Stores stores,
        Progress progresses) {
      super(service, table, join, deadLetters, metrics, mapper, stores, progresses);
      this.topic = topic;
    }

    @Override
    public void init(ProcessorContext<byte[], Routed> context) {
      super.init(context);
      progress.reopened();
      // Also without a wait: rows left waiting by an earlier configuration still go out.
      long every = Math.max(100, Math.min(1_000, stores.waitMillis() / 4));
      context.schedule(Duration.ofMillis(every), PunctuationType.WALL_CLOCK_TIME, this::mapDueRows);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      metrics.recordIn(table);
      progress.started(context.currentSystemTimeMs());
      if (record.value() == null) {
        metrics.recordTombstone();
        return; // a Debezium tombstone: the delete before it already did the work
      }
      SourceOffset source = ChangeParser.offsetOf(context.recordMetadata(), topic);
      String key;
      String value;
      ChangeEvent change;
      StoredRow previous;
      String ref;
      String oldKey = null;
      try {
        change = parser.parseRow(record.key(), record.value(), source);
        if (record.key() == null) {
          throw new MappingException(
              "table '"
                  + table
                  + "' has no primary key in the change record; the left table of a join needs"
                  + " one");
        }
        key = new String(record.key(), StandardCharsets.UTF_8);
        value = new String(record.value(), StandardCharsets.UTF_8);
        previous = StoredRow.read(rows.get(key));
        if (!change.isDelete() && !join.toastColumns().isEmpty()) {
          Map<String, Object> row = change.row();
          StoredRow last = previous;
          oldKey = ToastFill.oldKey(record.headers(), key);
          String fromKey = oldKey;
          ToastFill.Filled filled =
              ToastFill.fill(
                  join.toastColumns(),
                  row,
                  () -> {
                    String own = keptOf(last);
                    return own != null || fromKey == null ? own : rows.get(MOVED_PREFIX + fromKey);
                  },
                  table,
                  key,
                  oldKey);
          if (filled.filledAny(row)) {
            value = ToastFill.withFilled(value, join.toastColumns(), row, filled.row(), table);
            change =
                new ChangeEvent(
                    table,
                    change.op(),
                    change.before(),
                    filled.row(),
                    change.key(),
                    change.position(),
                    change.source());
          }
        }
        Map<String, Object> reference =
            change.isDelete() ? null : join.referenceOf(change.row(), table);
        ref = reference == null ? null : ForeignKeyJoinTopology.canonical(reference);
      } catch (Exception e) {
        reject(record.key(), record.value(), record.headers(), source, record.timestamp(), e);
        return;
      }
      SourcePosition emitted = previous == null ? null : previous.emitted();
      long waitingSince = previous == null ? 0 : previous.waitingSince();
      String right = ref == null ? null : replica.get(ref);
      if (stores.waitMillis() > 0 && ref != null && right == null) {
        // Its referenced row may still be on its way through the right side's repartition
        // topics: the change waits for it (mapped by the right change, or when the wait ends).
        if (waitingSince == 0) { // a change of a row that waits already does not wait longer
          waitingSince = context.currentSystemTimeMs();
          // The commit LSN of the change (empty for a snapshot row): its wait may end once the
          // right side has delivered a row committed after it (catch-up wait).
          SourcePosition position = change.position();
          waiting.put(
              waitingKey(waitingSince, key),
              position.equals(SourcePosition.SNAPSHOT) ? "" : Long.toString(position.commitLsn()));
        }
      } else {
        emitted =
            emit(
                change,
                right,
                emitted,
                record.timestamp(),
                record.key(),
                record.value(),
                record.headers());
        if (waitingSince != 0) {
          waiting.delete(waitingKey(waitingSince, key));
          waitingSince = 0;
        }
      }
      // The row is kept even when its mapping was dead-lettered: it is the source's row (a later
      // TOAST placeholder is filled from it) and a right change re-maps it.
      String previousRef = previous == null ? null : previous.ref();
      if (!Objects.equals(previousRef, ref)) {
        if (previousRef != null) {
          index.delete(indexKey(previousRef, key));
        }
        if (ref != null) {
          index.put(indexKey(ref, key), "");
        }
      }
      if (oldKey != null) {
        rows.delete(MOVED_PREFIX + oldKey); // taken over by the new key
      }
      if (change.isDelete()
          && !join.toastColumns().isEmpty()
          && previous != null
          && !previous.isDeleted()
          && ToastFill.keyMoved(change, record.headers())) {
        // A primary-key update: the create of the new key that follows carries placeholders for
        // the unchanged TOAST columns; their values wait for it here, not as a row of this key.
        rows.put(MOVED_PREFIX + key, keptOf(previous));
      }
      if (!change.isDelete()) {
        rows.put(
            key,
            new StoredRow(
                    ref,
                    emitted,
                    waitingSince,
                    source.topic(),
                    source.partition(),
                    source.offset(),
                    key,
                    value)
                .write());
      } else if (emitted != null && emitted.isNewerThan(change.position())) {
        // The sink holds the delete at a position raised above the delete's own: a later change
        // of the key must be raised above it too, so the position stays.
        rows.put(key, StoredRow.deleted(emitted, source).write());
      } else {
        // Any later change of the key is newer than the delete itself, so nothing need stay.
        rows.delete(key);
      }
    }

    /**
     * Maps the rows whose wait for their referenced row has ended, with whatever is there. A row
     * has waited long enough after {@link Stores#waitMillis}, unless the right side is catching up
     * ({@link ForeignKeyJoin#catchUpWait}): right rows keep arriving (one within {@link
     * Stores#quietMillis}) and none committed after the row's change has; then it waits on, up to
     * {@link Stores#catchUpMillis} in all.
     */
    private void mapDueRows(long now) {
      long wait = stores.waitMillis();
      long catchUp = stores.catchUpMillis();
      // A (re)started task has not heard from its right side yet: it counts as just delivered,
      // from its first record or punctuation (not from init: Kafka Streams gives processors no
      // wall-clock time before they process).
      progress.started(now);
      boolean quiet = catchUp == 0 || now - progress.lastArrivalMs() >= stores.quietMillis();
      long rightLsn = progress.commitLsn();
      List<String> due = new ArrayList<>();
      int scanned = 0;
      try (KeyValueIterator<String, String> it = waiting.all()) {
        while (it.hasNext()
            && due.size() < DUE_PER_PUNCTUATION
            && scanned++ < SCANNED_PER_PUNCTUATION) {
          KeyValue<String, String> entry = it.next();
          int separator = entry.key.indexOf(INDEX_SEPARATOR);
          long waited = now - Long.parseLong(entry.key, 0, separator, 10);
          if (waited < wait) {
            break; // the rows after it began to wait later
          }
          if (quiet || waited >= catchUp) {
            due.add(entry.key);
          } else if (rightLsn == 0) {
            break; // only the catch-up wait can end the waits after it
          } else if (!entry.value.isEmpty()) {
            if (Long.parseLong(entry.value) > rightLsn) {
              // The rows of a task begin to wait in the order of their commits: the streamed rows
              // after it were committed later still.
              break;
            }
            due.add(entry.key); // the right side has passed the row's commit
          }
        }
      }
      for (String waitingKey : due) {
        String key = waitingKey.substring(waitingKey.indexOf(INDEX_SEPARATOR) + 1);
        StoredRow stored = StoredRow.read(rows.get(key));
        if (stored == null || stored.isDeleted() || !stored.isWaiting()) {
          throw new IllegalStateException(
              "the join's waiting rows name left row "
                  + key
                  + " of table '"
                  + table
                  + "', which does not wait");
        }
        metrics.recordJoinWaitEnded();
        remap(key, stored, stored.ref() == null ? null : replica.get(stored.ref()), now);
      }
    }

    /**
     * Prefix of the rows store's entries that keep the last TOAST values of a key deleted by a
     * primary-key update until the create of its new key takes them over (raw keys are JSON
     * objects, so no row's key starts with it; nothing iterates the store).
     */
    private static final String MOVED_PREFIX = "\u0000moved\n";

    private String keptOf(StoredRow last) {
      if (last == null || last.isDeleted()) {
        return null;
      }
      ChangeEvent change =
          parser.parse(
              last.key().getBytes(StandardCharsets.UTF_8),
              last.value().getBytes(StandardCharsets.UTF_8),
              last.source());
      return ToastFill.keep(join.toastColumns(), change.row());
    }
  }

  /**
   * Reads the broadcast right rows (reference to the chosen right row; null: none): keeps them and
   * re-maps the left rows of this task that reference them.
   */
  static final class RightProcessor extends Side<String, String> {
    /** Sorts before every index key (a reference is canonical JSON): the guard's range is empty. */
    private static final String GUARD_PREFIX = "\u0000";

    private final StringSerializer strings = new StringSerializer();

    /**
     * An iterator kept open on the index store between scans. Kafka Streams 4.1.0 registers a
     * store's {@code oldest-iterator-open-since-ms} gauge (KIP-989) when its first iterator opens
     * and removes it when the last one closes, through JMX and the telemetry reporter each time
     * (KAFKA-19678, fixed in later Kafka releases): with one scan per right change that was a tenth
     * of the orders stream thread in a snapshot. With this iterator open the count never drops to
     * zero; it is renewed every second (the new one opened before the old one closes), so RocksDB
     * does not keep memtables and files alive for it for longer.
     */
    private KeyValueIterator<String, String> guard;

    RightProcessor(
        String service,
        String leftTable,
        ForeignKeyJoin join,
        DeadLetters deadLetters,
        TransformerMetrics metrics,
        TableMapper mapper,
        Stores stores,
        Progress progresses) {
      super(service, leftTable, join, deadLetters, metrics, mapper, stores, progresses);
    }

    @Override
    public void init(ProcessorContext<byte[], Routed> context) {
      super.init(context);
      guard = index.prefixScan(GUARD_PREFIX, strings);
      context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, now -> renewGuard());
    }

    private void renewGuard() {
      KeyValueIterator<String, String> old = guard;
      guard = index.prefixScan(GUARD_PREFIX, strings);
      old.close();
    }

    @Override
    public void close() {
      if (guard != null) {
        guard.close();
        guard = null;
      }
    }

    @Override
    public void process(Record<String, String> record) {
      String ref = record.key();
      String right = record.value();
      progress.arrived(
          context.currentSystemTimeMs(), right == null ? null : streamed(rightRow(right)));
      if (ref == null || Objects.equals(replica.get(ref), right)) {
        return; // the chosen row did not change
      }
      if (right == null) {
        replica.delete(ref);
      } else {
        replica.put(ref, right);
      }
      // One right row may be referenced by very many left rows: they are re-mapped while the index
      // is read, never collected (this processor writes only to the rows store meanwhile).
      String prefix = ref + INDEX_SEPARATOR;
      try (KeyValueIterator<String, String> it = index.prefixScan(prefix, strings)) {
        while (it.hasNext()) {
          String key = it.next().key.substring(prefix.length());
          StoredRow stored = StoredRow.read(rows.get(key));
          if (stored == null || stored.isDeleted()) {
            throw new IllegalStateException(
                "the join's index names left row "
                    + key
                    + " of table '"
                    + table
                    + "', which it does not keep");
          }
          remap(key, stored, right, record.timestamp());
        }
      }
    }

    /** The position of a right row when it was streamed; null for a snapshot row. */
    private static SourcePosition streamed(ForeignKeyJoinTopology.RightRow row) {
      return row.position().equals(SourcePosition.SNAPSHOT) ? null : row.position();
    }
  }
}
