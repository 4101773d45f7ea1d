package dev.carve.sink.internal;

import java.sql.SQLException;

/**
 * A value of a record that has no text PostgreSQL could cast to its column (a time-micros beyond
 * 24:00, a decimal of zero bytes, an instant out of range): the record's own fault, like a class 22
 * error of the database, so it carries SQLState {@value #SQL_STATE} and is isolated and
 * dead-lettered the same way ({@link SqlErrors#classify} says {@code RECORD}) while the rest of the
 * batch lands.
 */
public final class UnconvertibleValueException extends SQLException {
  private static final long serialVersionUID = 1L;

  /** SQLState data_exception: the row's own fault. */
  public static final String SQL_STATE = "22000";

  /** Creates the exception; the message names table, column and where the record was read. */
  public UnconvertibleValueException(String message, RuntimeException cause) {
    super(message, SQL_STATE, cause);
  }
}
