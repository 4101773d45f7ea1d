package dev.carve.transform.internal;

/**
 * Stops a service at a change whose outputs could not be serialized because the schema registry
 * could not be used: not reached, or it refused the client rather than the schema (wrong
 * credentials, a wrong URL; {@link dev.carve.schemas.serde.AvroSerdeException#retriable()}). The
 * change is not bad, and the same answer would fail every change alike, so it is never
 * dead-lettered, whatever the service's {@code on-error}: the service stops before the change's
 * offset is committed and resumes from it once restarted. The message names the service, table, key
 * and source offset, and the registry's URL, HTTP status and the key to check.
 */
public final class RegistryUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  RegistryUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  /** One with this message and no cause, for tests of what stops or replaces a stream thread. */
  public static RegistryUnavailableException forTest(String message) {
    return new RegistryUnavailableException(message, null);
  }
}
