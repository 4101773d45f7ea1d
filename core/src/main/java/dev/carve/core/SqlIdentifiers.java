package dev.carve.core;

import java.util.Objects;

/** The one way Carve writes a PostgreSQL identifier into SQL: always quoted, quotes doubled. */
public final class SqlIdentifiers {
  private SqlIdentifiers() {}

  /**
   * Quotes an identifier so it can never end the identifier or inject SQL, whatever it holds.
   *
   * @throws IllegalArgumentException for an empty identifier or one holding a NUL character
   */
  public static String quote(String identifier) {
    Objects.requireNonNull(identifier, "identifier");
    if (identifier.isEmpty() || identifier.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "Not a usable SQL identifier: '" + identifier.replace("\0", "\\0") + "'");
    }
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  /** {@code "schema"."name"}, both quoted. */
  public static String qualified(String schema, String name) {
    return quote(schema) + "." + quote(name);
  }
}
