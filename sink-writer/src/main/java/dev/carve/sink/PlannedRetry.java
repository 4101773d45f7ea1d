package dev.carve.sink;

import java.time.Duration;

/**
 * What a retry would do with one failure-log entry ({@link FailureLog#planRetry}, a dry run).
 *
 * @param entry the entry; never null
 * @param age how long ago it first failed, by the database's clock; never null
 * @param refusal why it would not be retried (it is older than {@code tombstone-retention} and the
 *     retry is not forced); null when it would be retried
 */
public record PlannedRetry(FailureEntry entry, Duration age, String refusal) {
  /** True when the retry would re-read and write the record. */
  public boolean wouldRetry() {
    return refusal == null;
  }
}
