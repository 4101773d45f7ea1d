package dev.carve.sink;

import java.time.Instant;
import java.util.Map;

/**
 * A snapshot of a sink's progress, for the CLI's progress line and {@code carve status}.
 *
 * @param service the service
 * @param state the lifecycle state
 * @param tables counts per target table (entity name), in first-seen order; never null
 * @param batches batches committed
 * @param records records consumed and committed
 * @param deadLettered records sent to the failure log (and the dead-letter topic when enabled)
 * @param consumerLag records behind the end of the assigned partitions, or -1 when unknown
 * @param waitingForDatabase true while the sink waits for an unavailable database
 * @param lastError the last error message, or null when none occurred
 * @param lastCommit when offsets were last committed, or null before the first commit
 */
public record SinkMetrics(
    String service,
    SinkState state,
    Map<String, TableMetrics> tables,
    long batches,
    long records,
    long deadLettered,
    long consumerLag,
    boolean waitingForDatabase,
    String lastError,
    Instant lastCommit) {

  /** Copies the table map. */
  public SinkMetrics {
    tables = Map.copyOf(tables);
  }
}
