package dev.carve.core.error;

/** What a stage does with a record it cannot process, per service ({@code on-error}). */
public enum OnError {
  /** Send the record to the service's dead-letter topic with its reason and keep going. */
  DEAD_LETTER,
  /** Stop the stage before committing the record's offset, so nothing is lost. */
  FAIL
}
