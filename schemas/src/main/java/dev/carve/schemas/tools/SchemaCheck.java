package dev.carve.schemas.tools;

import dev.carve.schemas.EntitySchemas;
import dev.carve.schemas.SchemaCatalog;
import dev.carve.schemas.registry.CompatibilityLevel;
import dev.carve.schemas.registry.CompatibilityResult;
import dev.carve.schemas.registry.RegisteredSchema;
import dev.carve.schemas.registry.RegistryException;
import dev.carve.schemas.registry.SchemaRegistryClient;
import dev.carve.schemas.registry.internal.Compatibility;
import dev.carve.schemas.tools.SchemaCheckReport.Change;
import dev.carve.schemas.tools.SchemaCheckReport.Status;
import dev.carve.schemas.tools.SchemaCheckReport.SubjectResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares the schemas of a {@link SchemaCatalog} with a registry, subject by subject ({@code
 * <service>.<entity>-key} and {@code -value}, the TopicNameStrategy), and registers them.
 *
 * <p>Each subject is NEW (no versions), UNCHANGED (the registry has this schema), COMPATIBLE or
 * INCOMPATIBLE under the subject's compatibility level (its own, else the global one). Each
 * incompatible change names the subject, the field and the rule broken, from Avro's {@link
 * org.apache.avro.SchemaCompatibility}. The registry's own compatibility test is asked too, so a
 * registry with stricter rules is obeyed.
 *
 * <pre>{@code
 * SchemaCheckReport report = new SchemaCheck(SchemaCatalog.fromClasspath(), client).check("orders");
 * report.throwIfIncompatible();
 * }</pre>
 */
public final class SchemaCheck {
  private static final Logger LOG = LoggerFactory.getLogger(SchemaCheck.class);

  private final SchemaCatalog catalog;
  private final SchemaRegistryClient registry;

  /**
   * Creates a check.
   *
   * @param catalog the local schemas
   * @param registry the registry to compare with (the caller closes it)
   */
  public SchemaCheck(SchemaCatalog catalog, SchemaRegistryClient registry) {
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /**
   * Checks every service of the catalog.
   *
   * @throws RegistryException when the registry cannot be asked
   */
  public SchemaCheckReport check() {
    return new SchemaCheckReport(checkAll(catalog.all()), false, false);
  }

  /**
   * Checks one service.
   *
   * @throws IllegalArgumentException when the catalog has no such service
   * @throws RegistryException when the registry cannot be asked
   */
  public SchemaCheckReport check(String service) {
    return new SchemaCheckReport(checkAll(entitiesOf(service)), false, false);
  }

  /**
   * Checks every service and, when nothing is incompatible, registers every new or changed schema.
   * When a subject is incompatible nothing is registered.
   *
   * @throws RegistryException when the registry cannot be asked or refuses a registration
   */
  public SchemaCheckReport register() {
    return register(catalog.all());
  }

  /**
   * Checks one service and, when nothing is incompatible, registers its new or changed schemas.
   *
   * @throws IllegalArgumentException when the catalog has no such service
   */
  public SchemaCheckReport register(String service) {
    return register(entitiesOf(service));
  }

  private List<EntitySchemas> entitiesOf(String service) {
    List<EntitySchemas> entities = catalog.entities(service);
    if (entities.isEmpty()) {
      throw new IllegalArgumentException(
          "No Avro schemas for service '" + service + "'; known services: " + catalog.services());
    }
    return entities;
  }

  private SchemaCheckReport register(List<EntitySchemas> entities) {
    List<SubjectResult> checked = checkAll(entities);
    if (checked.stream().anyMatch(s -> s.status() == Status.INCOMPATIBLE)) {
      return new SchemaCheckReport(checked, true, false);
    }
    List<SubjectResult> done = new ArrayList<>();
    for (SubjectResult s : checked) {
      if (s.status() == Status.UNCHANGED) {
        done.add(s);
        continue;
      }
      Schema schema = schemaOf(entities, s.subject());
      int id = registry.register(s.subject(), schema);
      LOG.info("Registered schema of subject '{}' as id {} ({})", s.subject(), id, s.status());
      done.add(s.withId(id));
    }
    return new SchemaCheckReport(done, true, true);
  }

  private static Schema schemaOf(List<EntitySchemas> entities, String subject) {
    for (EntitySchemas e : entities) {
      if (e.keySubject().equals(subject)) {
        return e.key();
      }
      if (e.valueSubject().equals(subject)) {
        return e.value();
      }
    }
    throw new IllegalStateException("No schema for subject '" + subject + "'");
  }

  private List<SubjectResult> checkAll(List<EntitySchemas> entities) {
    List<SubjectResult> out = new ArrayList<>();
    for (EntitySchemas e : entities) {
      out.add(checkSubject(e, e.keySubject(), e.key()));
      out.add(checkSubject(e, e.valueSubject(), e.value()));
    }
    return out;
  }

  private SubjectResult checkSubject(EntitySchemas entity, String subject, Schema schema) {
    List<Integer> versions;
    try {
      versions = registry.versions(subject);
    } catch (RegistryException e) {
      if (e.errorCode() == RegistryException.SUBJECT_NOT_FOUND) {
        return result(entity, subject, Status.NEW, null, null, List.of(), null);
      }
      throw e;
    }
    if (versions.isEmpty()) {
      return result(entity, subject, Status.NEW, null, null, List.of(), null);
    }
    int latestVersion = versions.get(versions.size() - 1);
    CompatibilityLevel level = registry.effectiveCompatibility(subject);
    try {
      RegisteredSchema found = registry.lookup(subject, schema);
      return result(
          entity, subject, Status.UNCHANGED, level, found.version(), List.of(), found.id());
    } catch (RegistryException e) {
      if (e.errorCode() != RegistryException.SCHEMA_NOT_FOUND) {
        throw e;
      }
    }
    List<Compatibility.Version> earlier = new ArrayList<>();
    List<Integer> against = level.transitive() ? versions : List.of(latestVersion);
    for (int v : against) {
      earlier.add(new Compatibility.Version(v, registry.version(subject, v).schema()));
    }
    List<Change> changes = new ArrayList<>();
    for (Compatibility.Violation v : Compatibility.check(level, schema, earlier)) {
      changes.add(new Change(subject, v.field(), v.type(), level, v.version(), v.description()));
    }
    if (changes.isEmpty() && level != CompatibilityLevel.NONE) {
      CompatibilityResult remote = registry.testCompatibility(subject, schema);
      if (!remote.compatible()) {
        List<String> messages =
            remote.messages().isEmpty()
                ? List.of("the registry reports the schema as incompatible without details")
                : remote.messages();
        for (String m : messages) {
          changes.add(new Change(subject, "(record)", "REGISTRY", level, latestVersion, m));
        }
      }
    }
    return result(
        entity,
        subject,
        changes.isEmpty() ? Status.COMPATIBLE : Status.INCOMPATIBLE,
        level,
        latestVersion,
        changes,
        null);
  }

  private static SubjectResult result(
      EntitySchemas entity,
      String subject,
      Status status,
      CompatibilityLevel level,
      Integer latestVersion,
      List<Change> changes,
      Integer id) {
    return new SubjectResult(
        entity.service(), entity.entity(), subject, status, level, latestVersion, changes, id);
  }
}
