package dev.carve.transform;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one service's transformer, for the CLI's progress line and {@code carve status}. The
 * topology updates them as it processes; under exactly-once a retried task may count a change
 * twice, so they are progress figures, not an audit.
 */
public final class TransformerMetrics {
  private final String service;
  private final LongAdder in = new LongAdder();
  private final LongAdder out = new LongAdder();
  private final LongAdder deadLettered = new LongAdder();
  private final LongAdder tombstones = new LongAdder();
  private final LongAdder joinWaitsEnded = new LongAdder();
  private final Map<String, LongAdder> inByTable = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> outByEntity = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> deadLetteredByTable = new ConcurrentHashMap<>();

  /** Creates zeroed counters for {@code service}. */
  public TransformerMetrics(String service) {
    this.service = Objects.requireNonNull(service, "service");
  }

  /** The service these counters belong to. */
  public String service() {
    return service;
  }

  /** Raw change records read (including skipped Debezium tombstones). */
  public long recordsIn() {
    return in.sum();
  }

  /** Domain records written (upserts and deletes, all entities). */
  public long recordsOut() {
    return out.sum();
  }

  /** Changes sent to the dead-letter topic. */
  public long deadLettered() {
    return deadLettered.sum();
  }

  /** Debezium tombstones skipped (each follows a delete that was mapped). */
  public long tombstonesSkipped() {
    return tombstones.sum();
  }

  /**
   * Left rows of a foreign-key join that waited the whole {@code wait} for their referenced row and
   * were mapped without it (a reference to a row that does not exist, or one that came late).
   */
  public long joinWaitsEnded() {
    return joinWaitsEnded.sum();
  }

  /** Raw change records read, by legacy table. */
  public Map<String, Long> recordsInByTable() {
    return snapshot(inByTable);
  }

  /** Domain records written, by entity. */
  public Map<String, Long> recordsOutByEntity() {
    return snapshot(outByEntity);
  }

  /** Changes dead-lettered, by legacy table. */
  public Map<String, Long> deadLetteredByTable() {
    return snapshot(deadLetteredByTable);
  }

  /** Counts a raw record read from {@code table}; called by the topology. */
  public void recordIn(String table) {
    in.increment();
    inByTable.computeIfAbsent(table, t -> new LongAdder()).increment();
  }

  /** Counts a Debezium tombstone skipped; called by the topology. */
  public void recordTombstone() {
    tombstones.increment();
  }

  /** Counts a left row whose wait for its referenced row ended; called by the topology. */
  public void recordJoinWaitEnded() {
    joinWaitsEnded.increment();
  }

  /** Counts a domain record written for {@code entity}; called by the topology. */
  public void recordOut(String entity) {
    out.increment();
    outByEntity.computeIfAbsent(entity, t -> new LongAdder()).increment();
  }

  /** Counts a change of {@code table} sent to the dead-letter topic; called by the topology. */
  public void recordDeadLetter(String table) {
    deadLettered.increment();
    deadLetteredByTable.computeIfAbsent(table, t -> new LongAdder()).increment();
  }

  /** One line for a progress display: {@code orders: in 120, out 340 (order 120, ...), dlq 2}. */
  public String progressLine() {
    StringBuilder sb = new StringBuilder();
    sb.append(service).append(": in ").append(recordsIn()).append(", out ").append(recordsOut());
    Map<String, Long> byEntity = recordsOutByEntity();
    if (!byEntity.isEmpty()) {
      StringBuilder parts = new StringBuilder();
      byEntity.forEach(
          (e, n) -> parts.append(parts.length() == 0 ? "" : ", ").append(e).append(' ').append(n));
      sb.append(" (").append(parts).append(')');
    }
    sb.append(", dead-lettered ").append(deadLettered());
    return sb.toString();
  }

  private static Map<String, Long> snapshot(Map<String, LongAdder> counters) {
    Map<String, Long> copy = new TreeMap<>();
    counters.forEach((k, v) -> copy.put(k, v.sum()));
    return copy;
  }

  @Override
  public String toString() {
    return progressLine();
  }
}
