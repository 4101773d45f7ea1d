package dev.carve.sink;

/** The lifecycle of a {@link ServiceSink}. */
public enum SinkState {
  /** Built, not started; {@link ServiceSink#start()} is allowed. */
  CREATED,
  /** Polling and writing (also while waiting for an unavailable database). */
  RUNNING,
  /** {@link ServiceSink#close} was called; the in-flight batch is being finished or rolled back. */
  STOPPING,
  /** Stopped cleanly: every written batch's offsets are committed. */
  STOPPED,
  /**
   * Stopped by an error ({@link ServiceSink#failure()}); uncommitted records will be redelivered.
   */
  FAILED
}
