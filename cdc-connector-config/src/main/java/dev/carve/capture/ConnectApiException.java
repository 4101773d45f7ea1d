package dev.carve.capture;

/**
 * Kafka Connect's REST API refused a request or could not be reached; the message names the method,
 * the URL, the HTTP status and Connect's own message.
 */
public class ConnectApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  /**
   * Creates the exception.
   *
   * @param message what failed, with method, URL and Connect's message
   * @param status the HTTP status, or -1 when Connect could not be reached
   * @param cause the cause; may be null
   */
  public ConnectApiException(String message, int status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  /** The HTTP status Connect answered with; -1 when it could not be reached. */
  public int status() {
    return status;
  }
}
