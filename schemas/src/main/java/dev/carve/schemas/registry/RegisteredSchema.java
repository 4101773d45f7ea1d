package dev.carve.schemas.registry;

import java.util.Objects;
import org.apache.avro.Schema;

/**
 * A schema registered under a subject.
 *
 * @param subject the subject; never null
 * @param id the registry-wide schema id (the id in the wire format)
 * @param version the version within the subject, from 1
 * @param schema the schema; never null
 */
public record RegisteredSchema(String subject, int id, int version, Schema schema) {
  /** Checks that no component is null. */
  public RegisteredSchema {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(schema, "schema");
  }
}
