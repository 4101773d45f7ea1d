package dev.carve.sink;

/**
 * What retrying one failure-log entry did.
 *
 * @param id the entry
 * @param resolved true when the record was written (or was already superseded by a newer change)
 * @param message what happened, e.g. the error of the new attempt; never null
 */
public record RetryOutcome(long id, boolean resolved, String message) {}
