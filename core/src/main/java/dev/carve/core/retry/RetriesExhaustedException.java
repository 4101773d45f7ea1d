package dev.carve.core.retry;

/** An action failed for good: a fatal error, or a retriable one after the last attempt. */
public class RetriesExhaustedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int attempts;
  private final boolean retriable;

  /** Creates the exception. */
  public RetriesExhaustedException(
      String message, Throwable cause, int attempts, boolean retriable) {
    super(message, cause);
    this.attempts = attempts;
    this.retriable = retriable;
  }

  /** How many attempts were made. */
  public int attempts() {
    return attempts;
  }

  /** True when the last error was retriable (the attempts ran out), false when it was fatal. */
  public boolean retriable() {
    return retriable;
  }
}
