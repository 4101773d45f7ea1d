package dev.carve.cli.runtime;

import dev.carve.capture.CaptureMetrics;
import dev.carve.sink.SinkMetrics;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of a running pipeline for the progress lines, the summary and the sync check.
 *
 * @param elapsed time since {@code carve up} started
 * @param capture the capture's counters
 * @param slotLagBytes WAL the replication slot retains beyond what capture confirmed; -1 if unknown
 * @param services one line per service
 * @param loadChanges changes applied by the load generator so far; -1 when it does not run
 */
public record PipelineStatus(
    Duration elapsed,
    CaptureMetrics capture,
    long slotLagBytes,
    List<Service> services,
    long loadChanges) {

  /**
   * One service.
   *
   * @param name the service
   * @param rows exact rows per target table (-1: table not created yet)
   * @param transformLag raw change records the Streams application has not consumed yet
   * @param sinkLag domain records the sink has not committed yet
   * @param deadLetters records sent to the dead-letter topic (transform and sink)
   * @param sinkRecords domain records the sink has processed so far
   * @param lastError the last error of the sink, or null
   */
  public record Service(
      String name,
      Map<String, Long> rows,
      long transformLag,
      long sinkLag,
      long deadLetters,
      long sinkRecords,
      String lastError) {
    /** Total rows over the service's tables (tables not created yet count 0). */
    public long totalRows() {
      return rows.values().stream().mapToLong(v -> Math.max(0, v)).sum();
    }
  }

  /** Measures the pipeline now. */
  public static PipelineStatus of(EmbeddedPipeline pipeline, Duration elapsed)
      throws InterruptedException {
    LagProbe lag = new LagProbe(pipeline.admin());
    List<Service> services = new ArrayList<>();
    for (ServiceRuntime s : pipeline.services().values()) {
      SinkMetrics m = s.sinkMetrics();
      Map<String, Long> rows;
      try {
        rows = s.rowCounts();
      } catch (SQLException e) {
        rows = Map.of();
      }
      services.add(
          new Service(
              s.name(),
              rows,
              lag.lag(s.transformerGroup(), s.rawTopics()),
              lag.lag(s.sinkGroup(), s.domainTopics()),
              m.deadLettered() + s.transformDeadLetters(),
              m.records(),
              m.lastError()));
    }
    long slotLag;
    try {
      slotLag =
          SlotLag.bytes(
              pipeline.postgres().jdbcUrl(EmbeddedPipeline.MONOLITH_DB),
              dev.carve.cli.embedded.EmbeddedPostgresServer.USER,
              "",
              pipeline.capture().connector().get("slot.name"));
    } catch (SQLException e) {
      slotLag = -1;
    }
    long load = pipeline.load().map(l -> l.total()).orElse(-1L);
    return new PipelineStatus(elapsed, pipeline.capture().metrics(), slotLag, services, load);
  }
}
