package dev.carve.sink;

import java.time.Duration;
import java.util.Objects;

/**
 * How a sink's batches went since it started, for metrics.
 *
 * @param batches batches of records written and committed (offset commits that only move past
 *     transaction markers are not counted)
 * @param totalTime the summed time of those batches, from the start of the write to the offset
 *     commit; never null
 * @param retries attempts of a database transaction after a failed one (transient errors)
 */
public record SinkBatchStats(long batches, Duration totalTime, long retries) {
  /** Checks the values. */
  public SinkBatchStats {
    Objects.requireNonNull(totalTime, "totalTime");
  }
}
