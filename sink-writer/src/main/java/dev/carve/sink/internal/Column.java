package dev.carve.sink.internal;

import java.util.Objects;

/**
 * One column of a target table as Carve derives it from an Avro field.
 *
 * @param name the column name, unquoted (quoting is {@link PostgresDialect#quoteIdentifier}'s job)
 * @param sqlType the PostgreSQL type as {@code format_type()} prints it, e.g. {@code numeric(12,2)}
 * @param nullable true when the field is a nullable union
 */
public record Column(String name, String sqlType, boolean nullable) {
  /** Checks that name and type are present. */
  public Column {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(sqlType, "sqlType");
  }
}
