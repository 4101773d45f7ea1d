package dev.carve.capture.internal;

/** Quotes PostgreSQL identifiers and string literals for the SQL shown to users as fixes. */
public final class PgIdentifiers {
  private PgIdentifiers() {}

  /** {@code name} as a quoted identifier: {@code "name"}, inner quotes doubled. */
  public static String quote(String name) {
    return dev.carve.core.SqlIdentifiers.quote(name);
  }

  /** {@code schema.table} as {@code "schema"."table"}. */
  public static String qualified(String schema, String table) {
    return quote(schema) + "." + quote(table);
  }

  /** A string literal: {@code 'text'}, inner quotes doubled. */
  public static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }
}
