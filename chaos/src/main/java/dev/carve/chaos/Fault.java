package dev.carve.chaos;

/** The faults the harness injects. */
public enum Fault {
  /** SIGKILL of the pipeline process (capture, transformers and sinks), then a restart. */
  PIPELINE_KILL("SIGKILL of the pipeline process"),
  /** A clean restart of the Kafka broker process. */
  BROKER_RESTART("restart of the Kafka broker"),
  /** A fast shutdown and restart of the PostgreSQL server holding the service databases. */
  SERVICE_DB_RESTART("restart of the service databases"),
  /** A fast shutdown and restart of the monolith's PostgreSQL server. */
  MONOLITH_RESTART("restart of the monolith database"),
  /** SIGSTOP of the pipeline process for a while, then SIGCONT: a network-style stall. */
  PIPELINE_PAUSE("pipeline process paused (SIGSTOP)");

  private final String description;

  Fault(String description) {
    this.description = description;
  }

  /** What the fault does, for a person. */
  public String description() {
    return description;
  }
}
