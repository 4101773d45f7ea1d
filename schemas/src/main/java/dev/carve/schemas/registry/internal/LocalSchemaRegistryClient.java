package dev.carve.schemas.registry.internal;

import dev.carve.schemas.registry.CompatibilityLevel;
import dev.carve.schemas.registry.CompatibilityResult;
import dev.carve.schemas.registry.RegisteredSchema;
import dev.carve.schemas.registry.SchemaRegistryClient;
import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;

/** A client that calls a registry's logic in this JVM, without HTTP (for {@code mock://}). */
public final class LocalSchemaRegistryClient implements SchemaRegistryClient {
  private final RegistryCore core;

  /** Creates a client of {@code core}. */
  public LocalSchemaRegistryClient(RegistryCore core) {
    this.core = core;
  }

  @Override
  public int register(String subject, Schema schema) {
    return core.register(subject, schema.toString(), null);
  }

  @Override
  public RegisteredSchema lookup(String subject, Schema schema) {
    return core.lookup(subject, schema.toString(), null);
  }

  @Override
  public Schema schemaById(int id) {
    return core.schemaById(id);
  }

  @Override
  public List<String> subjects() {
    return core.subjects(false);
  }

  @Override
  public List<Integer> versions(String subject) {
    return core.versions(subject);
  }

  @Override
  public RegisteredSchema version(String subject, int version) {
    return core.version(subject, Integer.toString(version));
  }

  @Override
  public RegisteredSchema latest(String subject) {
    return core.version(subject, "latest");
  }

  @Override
  public CompatibilityResult testCompatibility(String subject, Schema schema) {
    return core.testCompatibility(subject, "latest", schema.toString(), null);
  }

  @Override
  public CompatibilityLevel globalCompatibility() {
    return core.globalLevel();
  }

  @Override
  public void setGlobalCompatibility(CompatibilityLevel level) {
    core.setLevel(null, level.name());
  }

  @Override
  public Optional<CompatibilityLevel> subjectCompatibility(String subject) {
    return core.subjectLevel(subject);
  }

  @Override
  public void setSubjectCompatibility(String subject, CompatibilityLevel level) {
    core.setLevel(subject, level.name());
  }

  @Override
  public List<Integer> deleteSubject(String subject, boolean permanent) {
    return core.deleteSubject(subject, permanent);
  }

  @Override
  public void close() {}
}
