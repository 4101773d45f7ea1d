package dev.carve.transform.api;

/**
 * A change that cannot be mapped (an unknown code, a malformed value, a missing column). The
 * topology sends the original record to the service's dead-letter topic with this message, or stops
 * when the service is configured with {@code on-error: fail}. The message must name the column and
 * what was wrong; the runtime adds the service, table, key and source offset.
 */
public class MappingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message naming the column and the problem. */
  public MappingException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public MappingException(String message, Throwable cause) {
    super(message, cause);
  }
}
