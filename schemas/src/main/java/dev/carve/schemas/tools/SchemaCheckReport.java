package dev.carve.schemas.tools;

import dev.carve.schemas.registry.CompatibilityLevel;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What {@link SchemaCheck} found for each subject, and whether the schemas were registered.
 *
 * @param subjects one result per subject, keys before values, sorted by topic; never null
 * @param registerRequested true when this report comes from {@link SchemaCheck#register}
 * @param registered true when every schema is now registered (never when one is incompatible)
 */
public record SchemaCheckReport(
    List<SubjectResult> subjects, boolean registerRequested, boolean registered) {

  /** Copies the list. */
  public SchemaCheckReport {
    subjects = List.copyOf(subjects);
  }

  /** How a local schema relates to its subject in the registry. */
  public enum Status {
    /** The subject has no versions yet. */
    NEW,
    /** The subject already has exactly this schema. */
    UNCHANGED,
    /** The schema is a new version the subject's compatibility level accepts. */
    COMPATIBLE,
    /** The schema breaks the subject's compatibility level; see the changes. */
    INCOMPATIBLE
  }

  /**
   * One incompatible change.
   *
   * @param subject the subject, e.g. {@code orders.order-value}
   * @param field the dotted path of the field, or {@code (record)}
   * @param rule Avro's incompatibility type, e.g. {@code READER_FIELD_MISSING_DEFAULT_VALUE}, or
   *     {@code REGISTRY} when only the registry's answer is known
   * @param level the compatibility level broken
   * @param version the registered version it breaks, or null when unknown
   * @param description what changed, e.g. "field 'total_cents' was removed without a default"
   */
  public record Change(
      String subject,
      String field,
      String rule,
      CompatibilityLevel level,
      Integer version,
      String description) {

    /**
     * E.g. {@code orders.order-value: field 'total_cents' was removed without a default
     * (READER_FIELD_MISSING_DEFAULT_VALUE) — breaks FORWARD against version 3}.
     */
    @Override
    public String toString() {
      return subject
          + ": "
          + description
          + " ("
          + rule
          + ") — breaks "
          + level
          + (version == null ? "" : " against version " + version);
    }
  }

  /**
   * The result for one subject.
   *
   * @param service the service
   * @param entity the entity
   * @param subject the subject ({@code <service>.<entity>-key} or {@code -value})
   * @param status how the local schema relates to the registry
   * @param level the compatibility level that applies, or null for a new subject
   * @param latestVersion the latest registered version, or null for a new subject
   * @param changes the incompatible changes; empty unless INCOMPATIBLE
   * @param id the schema id when registered or unchanged, else null
   */
  public record SubjectResult(
      String service,
      String entity,
      String subject,
      Status status,
      CompatibilityLevel level,
      Integer latestVersion,
      List<Change> changes,
      Integer id) {
    /** Checks and copies. */
    public SubjectResult {
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(status, "status");
      changes = List.copyOf(changes);
    }

    /** This result with the id under which the schema is registered. */
    public SubjectResult withId(int registeredId) {
      return new SubjectResult(
          service, entity, subject, status, level, latestVersion, changes, registeredId);
    }
  }

  /** True when no subject is incompatible. */
  public boolean ok() {
    return incompatible().isEmpty();
  }

  /** The incompatible subjects. */
  public List<SubjectResult> incompatible() {
    return subjects.stream().filter(s -> s.status() == Status.INCOMPATIBLE).toList();
  }

  /** Every incompatible change of every subject. */
  public List<Change> changes() {
    return subjects.stream().flatMap(s -> s.changes().stream()).toList();
  }

  /** The number of subjects with a status. */
  public long count(Status status) {
    return subjects.stream().filter(s -> s.status() == status).count();
  }

  /**
   * Throws when a subject is incompatible, for a service that must not start on a breaking change.
   *
   * @throws IncompatibleSchemaException listing every incompatible change
   */
  public void throwIfIncompatible() {
    if (!ok()) {
      throw new IncompatibleSchemaException(this);
    }
  }

  /** The report for people: one line per subject, every incompatible change, and a summary. */
  public String render() {
    StringBuilder sb = new StringBuilder();
    sb.append("Schema ")
        .append(registerRequested ? "registration" : "check")
        .append(" of ")
        .append(subjects.size())
        .append(" subject")
        .append(subjects.size() == 1 ? "" : "s")
        .append(':')
        .append(System.lineSeparator());
    for (SubjectResult s : subjects) {
      sb.append(String.format(Locale.ROOT, "  %-13s %s", s.status(), s.subject()));
      switch (s.status()) {
        case NEW -> {
          if (s.id() != null) {
            sb.append(" (registered as id ").append(s.id()).append(')');
          }
        }
        case UNCHANGED ->
            sb.append(" (version ")
                .append(s.latestVersion())
                .append(", id ")
                .append(s.id())
                .append(')');
        case COMPATIBLE -> {
          sb.append(" (").append(s.level()).append(" with version ").append(s.latestVersion());
          if (s.id() != null) {
            sb.append(", registered as id ").append(s.id());
          }
          sb.append(')');
        }
        case INCOMPATIBLE -> sb.append(" (").append(s.level()).append(')');
      }
      sb.append(System.lineSeparator());
      for (Change c : s.changes()) {
        sb.append("      - ").append(c).append(System.lineSeparator());
      }
    }
    sb.append("Result: ")
        .append(count(Status.INCOMPATIBLE))
        .append(" incompatible, ")
        .append(count(Status.COMPATIBLE))
        .append(" compatible, ")
        .append(count(Status.NEW))
        .append(" new, ")
        .append(count(Status.UNCHANGED))
        .append(" unchanged");
    if (registerRequested) {
      sb.append(
          registered
              ? "; all schemas are registered"
              : "; nothing was registered because of the incompatible changes above");
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return render();
  }
}
