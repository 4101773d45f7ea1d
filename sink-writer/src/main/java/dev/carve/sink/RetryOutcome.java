package dev.carve.sink;

/**
 * What retrying one failure-log entry did.
 *
 * @param id the entry
 * @param resolved true when the record was written (or was already superseded by a newer change)
 * @param message what happened, e.g. the error of the new attempt or why it was not retried; never
 *     null
 * @param refused true when the entry was not retried at all (it failed longer ago than {@code
 *     tombstone-retention} and the retry was not forced, see {@link FailureLog#retry(long,
 *     boolean)}); it stays open, unchanged
 */
public record RetryOutcome(long id, boolean resolved, String message, boolean refused) {
  /** An outcome of an entry that was retried (or already resolved). */
  public RetryOutcome(long id, boolean resolved, String message) {
    this(id, resolved, message, false);
  }
}
