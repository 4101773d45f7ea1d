package dev.carve.sink.internal;

/**
 * A record that can never be written as it is: it goes to the dead-letter topic with this reason.
 */
public class BadRecordException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public BadRecordException(String message, Throwable cause) {
    super(message, cause);
  }
}
