package dev.carve.sink;

/** What the sink does about target tables ({@code ddl} option). */
public enum DdlMode {
  /**
   * Create missing tables from the Avro schemas, add a column for a new field, make a column
   * nullable when its field became optional or was removed; stop on any other difference.
   */
  CREATE,
  /** Change nothing: stop, naming table and column, when a table does not match the schema. */
  VALIDATE
}
