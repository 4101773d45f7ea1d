package dev.carve.sink.internal;

/**
 * A record could not be decoded because the schema registry could not be reached ({@link
 * dev.carve.schemas.serde.AvroSerdeException#retriable()}). The same bytes may decode once the
 * registry is back, so the record is never dead-lettered: the engine retries the batch and, when
 * the registry stays away, fails it before any offset is committed.
 */
public class RegistryUnavailableException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public RegistryUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
