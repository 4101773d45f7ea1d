package dev.carve.transform.internal;

/**
 * Stops a service configured with {@code on-error: fail} at a change it cannot map, before the
 * change's offset is committed. The message names the service, table, key and source offset.
 */
public final class TransformFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  TransformFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
