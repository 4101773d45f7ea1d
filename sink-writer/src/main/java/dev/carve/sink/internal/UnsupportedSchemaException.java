package dev.carve.sink.internal;

/**
 * A schema the sink cannot write: a type with no PostgreSQL mapping, or a change incompatible with
 * the existing table (the message names table and column). It stops the sink: no record of that
 * schema can be written until a person decides.
 */
public class UnsupportedSchemaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public UnsupportedSchemaException(String message) {
    super(message);
  }
}
