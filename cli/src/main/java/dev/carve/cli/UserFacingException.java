package dev.carve.cli;

/** A failure whose message alone tells the user what is wrong and how to fix it. */
public class UserFacingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public UserFacingException(String message) {
    super(message);
  }

  /** Creates the exception with its cause (logged, not printed). */
  public UserFacingException(String message, Throwable cause) {
    super(message, cause);
  }
}
