package dev.carve.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record could not be serialized or deserialized. The message names the topic, whether it was the
 * key or the value, the schema id when known, and what is wrong. Partition and offset are not known
 * to a deserializer: the stage that reads the record adds them to its own error (and to the
 * dead-letter headers).
 *
 * <p>{@link #retriable()} tells bad input (dead-letter it) from a registry that could not be used
 * (retry; never dead-letter): one that was not reached, or that refused the client rather than the
 * schema (credentials, a wrong URL; see {@link
 * dev.carve.schemas.registry.RegistryException#unavailable()}).
 */
public class AvroSerdeException extends SerializationException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Problem {
    /** The first byte is not the wire format's magic byte 0. */
    UNKNOWN_MAGIC_BYTE,
    /** The schema id is not in the registry. */
    UNKNOWN_SCHEMA_ID,
    /** The payload ends before the header or the Avro data is complete. */
    TRUNCATED,
    /** The Avro data does not match its writer schema, or has bytes left over. */
    INVALID_AVRO,
    /** The writer schema cannot be read with the configured reader schema. */
    INCOMPATIBLE_READER_SCHEMA,
    /** The record does not fit its schema (serializing). */
    INVALID_RECORD,
    /**
     * The registry answered that it refuses the schema or has no such subject (not registered,
     * incompatible, invalid).
     */
    SCHEMA_REJECTED,
    /**
     * The registry could not be used: no answer, a 5xx, 429 or 408, or a refusal of the client
     * rather than of the schema (401/403: check {@code basic.auth.user.info}; a 404 of no registry
     * endpoint: check {@code schema.registry.url}). Not the record's fault: another attempt may
     * succeed once the registry or the configuration is fixed.
     */
    REGISTRY_UNAVAILABLE
  }

  private final Problem problem;
  private final String topic;
  private final boolean isKey;
  private final Integer schemaId;

  /**
   * Creates the exception.
   *
   * @param problem what went wrong
   * @param topic the topic
   * @param isKey true for the key, false for the value
   * @param schemaId the schema id, or null when unknown
   * @param message the full message
   * @param cause the cause; may be null
   */
  public AvroSerdeException(
      Problem problem,
      String topic,
      boolean isKey,
      Integer schemaId,
      String message,
      Throwable cause) {
    super(message, cause);
    this.problem = problem;
    this.topic = topic;
    this.isKey = isKey;
    this.schemaId = schemaId;
  }

  /** What went wrong. */
  public Problem problem() {
    return problem;
  }

  /** The topic of the record. */
  public String topic() {
    return topic;
  }

  /** True when the key failed, false for the value. */
  public boolean isKey() {
    return isKey;
  }

  /** The schema id, or null when it was not known. */
  public Integer schemaId() {
    return schemaId;
  }

  /**
   * True when the registry could not be used ({@link Problem#REGISTRY_UNAVAILABLE}), so that the
   * same bytes may succeed later: never dead-letter such a record.
   */
  public boolean retriable() {
    return problem == Problem.REGISTRY_UNAVAILABLE;
  }
}
