package dev.carve.capture;

/** The capture could not start or stopped with an error; the message names connector and cause. */
public class CaptureException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public CaptureException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Creates the exception without a cause. */
  public CaptureException(String message) {
    super(message);
  }
}
