package dev.carve.core.error;

/** The outcome of {@link PoisonRecordPolicy#decide}. */
public enum Decision {
  /** Try the record again (the error is transient). */
  RETRY,
  /** Send the record to the dead-letter topic and continue. */
  DEAD_LETTER,
  /** Stop the stage without committing the record's offset. */
  FAIL
}
