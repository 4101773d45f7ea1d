package dev.carve.schemas.registry;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Schema;

/**
 * A client of a schema registry speaking the Confluent REST API (Confluent Schema Registry,
 * Apicurio's ccompat API, Karapace, Redpanda), or of an in-memory registry ({@code
 * mock://<scope>}).
 *
 * <p>Every method throws {@link RegistryException} carrying the registry's {@code error_code} when
 * the registry refuses the request, or {@link RegistryException#NO_RESPONSE} when no registry
 * answered after the configured attempts. Implementations are thread-safe.
 */
public interface SchemaRegistryClient extends AutoCloseable {

  /**
   * Creates a client from Confluent-style configuration: {@code schema.registry.url} (comma list of
   * {@code http(s)://} URLs, or {@code mock://<scope>}) plus the keys of {@link
   * RegistryClientConfig}.
   *
   * @throws dev.carve.core.config.ConfigException listing every invalid key
   */
  static SchemaRegistryClient create(Map<String, ?> config) {
    return RegistryClientConfig.parse(config).createClient();
  }

  /**
   * Registers a schema under a subject ({@code POST /subjects/{subject}/versions}); registering a
   * schema the subject already has returns its id again.
   *
   * @return the registry-wide id of the schema
   * @throws RegistryException 409 when incompatible, 42201 when invalid
   */
  int register(String subject, Schema schema);

  /**
   * Looks up a schema under a subject ({@code POST /subjects/{subject}}).
   *
   * @throws RegistryException 40401 when the subject does not exist, 40403 when the subject does
   *     not have this schema
   */
  RegisteredSchema lookup(String subject, Schema schema);

  /**
   * The schema with an id ({@code GET /schemas/ids/{id}}).
   *
   * @throws RegistryException 40403 when no schema has this id
   */
  Schema schemaById(int id);

  /** The subjects that are not deleted ({@code GET /subjects}). */
  List<String> subjects();

  /**
   * The versions of a subject ({@code GET /subjects/{subject}/versions}), ascending.
   *
   * @throws RegistryException 40401 when the subject does not exist
   */
  List<Integer> versions(String subject);

  /**
   * One version of a subject ({@code GET /subjects/{subject}/versions/{version}}).
   *
   * @throws RegistryException 40401 (subject), 40402 (version) when not found
   */
  RegisteredSchema version(String subject, int version);

  /**
   * The latest version of a subject ({@code GET /subjects/{subject}/versions/latest}).
   *
   * @throws RegistryException 40401 when the subject does not exist
   */
  RegisteredSchema latest(String subject);

  /**
   * Tests a schema against the latest version of a subject under the subject's compatibility level
   * ({@code POST /compatibility/subjects/{subject}/versions/latest?verbose=true}). A subject
   * without versions accepts any schema.
   *
   * @throws RegistryException 42201 when the schema is invalid
   */
  CompatibilityResult testCompatibility(String subject, Schema schema);

  /** The global compatibility level ({@code GET /config}). */
  CompatibilityLevel globalCompatibility();

  /** Sets the global compatibility level ({@code PUT /config}). */
  void setGlobalCompatibility(CompatibilityLevel level);

  /**
   * The compatibility level set on a subject itself ({@code GET /config/{subject}}).
   *
   * @return the level, or empty when the subject has none and the global level applies
   */
  Optional<CompatibilityLevel> subjectCompatibility(String subject);

  /** The level that applies to a subject: its own, else the global one. */
  default CompatibilityLevel effectiveCompatibility(String subject) {
    return subjectCompatibility(subject).orElseGet(this::globalCompatibility);
  }

  /** Sets the compatibility level of a subject ({@code PUT /config/{subject}}). */
  void setSubjectCompatibility(String subject, CompatibilityLevel level);

  /**
   * Deletes a subject ({@code DELETE /subjects/{subject}[?permanent=true]}). A soft delete hides
   * the subject; its schema ids stay readable. A permanent delete must follow a soft delete.
   *
   * @return the versions deleted
   * @throws RegistryException 40401 when the subject does not exist, 40405 for a permanent delete
   *     of a subject that was not soft-deleted first
   */
  List<Integer> deleteSubject(String subject, boolean permanent);

  /** Releases the client's resources. Never throws. */
  @Override
  void close();
}
