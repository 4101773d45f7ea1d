package dev.carve.schemas.tools;

/**
 * A service's schemas break their subjects' compatibility levels; the message lists every change.
 */
public class IncompatibleSchemaException extends IllegalStateException {
  private static final long serialVersionUID = 1L;
  private final transient SchemaCheckReport report;

  /** Creates the exception from a report with incompatible subjects. */
  public IncompatibleSchemaException(SchemaCheckReport report) {
    super(
        "Incompatible schema changes; fix the schemas (add defaults, keep fields, use aliases) or"
            + " change the subject's compatibility level:"
            + System.lineSeparator()
            + report.render());
    this.report = report;
  }

  /** The report; null after Java deserialization. */
  public SchemaCheckReport report() {
    return report;
  }
}
