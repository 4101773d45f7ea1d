package dev.carve.sink.internal;

import dev.carve.sink.TableMetrics;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Thread-safe counters behind {@link dev.carve.sink.SinkMetrics}. */
public final class SinkCounters {
  private final Map<String, long[]> tables = new ConcurrentHashMap<>();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong records = new AtomicLong();
  private final AtomicLong deadLettered = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong writtenBatches = new AtomicLong();
  private final AtomicLong batchNanos = new AtomicLong();
  private volatile long lag = -1;
  private volatile boolean waiting;
  private volatile String lastError;
  private volatile Instant lastCommit;

  /** Adds a written batch's table counts. */
  public void add(Map<String, BatchWriter.Counts> counts) {
    counts.forEach(
        (table, c) ->
            tables.compute(
                table,
                (t, old) -> {
                  long[] v = old == null ? new long[3] : old;
                  v[0] += c.upserted();
                  v[1] += c.deleted();
                  v[2] += c.skipped();
                  return v;
                }));
  }

  /** Counts a committed batch. */
  public void committed(int recordCount) {
    batches.incrementAndGet();
    records.addAndGet(recordCount);
    lastCommit = Instant.now();
  }

  /** Counts one more attempt of a database transaction after a failed one. */
  public void retried() {
    retries.incrementAndGet();
  }

  /** Counts a batch of records written and committed, and the time it took. */
  public void batchWritten(long nanos) {
    writtenBatches.incrementAndGet();
    batchNanos.addAndGet(nanos);
  }

  /** Attempts of database transactions after a failed one. */
  public long retries() {
    return retries.get();
  }

  /** Batches of records written and committed (commits without records not included). */
  public long writtenBatches() {
    return writtenBatches.get();
  }

  /** Total time of the batches counted by {@link #writtenBatches()}, in nanoseconds. */
  public long batchNanos() {
    return batchNanos.get();
  }

  /** Counts dead letters. */
  public void deadLettered(int n) {
    deadLettered.addAndGet(n);
  }

  /** Sets the consumer lag (-1 = unknown). */
  public void lag(long lag) {
    this.lag = lag;
  }

  /** Sets whether the sink waits for the database. */
  public void waiting(boolean waiting) {
    this.waiting = waiting;
  }

  /** Records the last error message. */
  public void error(String message) {
    this.lastError = message;
  }

  /** Counts per table, as a copy. */
  public Map<String, TableMetrics> tables() {
    Map<String, TableMetrics> out = new LinkedHashMap<>();
    tables.forEach((t, v) -> out.put(t, new TableMetrics(v[0], v[1], v[2])));
    return out;
  }

  /** Batches committed. */
  public long batches() {
    return batches.get();
  }

  /** Records committed. */
  public long records() {
    return records.get();
  }

  /** Dead letters. */
  public long deadLetteredCount() {
    return deadLettered.get();
  }

  /** Consumer lag or -1. */
  public long lag() {
    return lag;
  }

  /** Whether waiting for the database. */
  public boolean waiting() {
    return waiting;
  }

  /** Last error or null. */
  public String lastError() {
    return lastError;
  }

  /** Last commit or null. */
  public Instant lastCommit() {
    return lastCommit;
  }
}
