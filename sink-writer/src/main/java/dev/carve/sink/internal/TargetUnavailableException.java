package dev.carve.sink.internal;

/**
 * The target database cannot be reached or does not accept connections right now (a transient
 * condition: the sink waits and retries).
 */
public class TargetUnavailableException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public TargetUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
