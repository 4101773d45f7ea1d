package dev.carve.cli.embedded;

/** A piece of the embedded runtime could not start; the message names the problem and the fix. */
public class EmbeddedStartException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public EmbeddedStartException(String message) {
    super(message);
  }

  /** Creates the exception with its cause. */
  public EmbeddedStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
