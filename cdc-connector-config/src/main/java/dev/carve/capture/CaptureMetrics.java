package dev.carve.capture;

import dev.carve.core.SourcePosition;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A point-in-time view of an {@link EmbeddedCapture}.
 *
 * @param state the lifecycle state
 * @param recordsPerTable records written to Kafka per captured table ({@code schema.table}),
 *     tombstones included
 * @param recordsTotal records written to Kafka, heartbeats and tombstones included
 * @param snapshot what is known of the initial snapshot
 * @param lastPosition the source position of the newest change written; empty before the first
 * @param lastRecordAt when the newest record was acknowledged by Kafka; empty before the first
 * @param errors errors that stopped a batch or the engine
 * @param lastError the newest error message; empty when there was none
 */
public record CaptureMetrics(
    EmbeddedCapture.State state,
    Map<String, Long> recordsPerTable,
    long recordsTotal,
    SnapshotStatus snapshot,
    Optional<SourcePosition> lastPosition,
    Optional<Instant> lastRecordAt,
    long errors,
    Optional<String> lastError) {

  /** Copies the map. */
  public CaptureMetrics {
    recordsPerTable = Map.copyOf(recordsPerTable);
  }

  /** The initial snapshot as seen in the {@code source.snapshot} field of the records written. */
  public enum SnapshotStatus {
    /** No snapshot record was seen (yet): none was needed, or it has not started. */
    NOT_SEEN,
    /** Snapshot records are being written. */
    RUNNING,
    /** The last snapshot record, or a streamed change after snapshot records, was written. */
    COMPLETED
  }

  /** Records written for one table ({@code schema.table}); 0 when none. */
  public long records(String table) {
    return recordsPerTable.getOrDefault(table, 0L);
  }
}
