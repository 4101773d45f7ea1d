package dev.carve.cli.runtime;

import dev.carve.capture.CaptureMetrics;
import dev.carve.cli.verify.ReconcileReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether every service's tables equal the mapped source: first cheaply (the capture has
 * stopped writing changes, no transformer or sink lag), then by reconciling each service against
 * the monolith with its own mapping code. Reconciliation reads whole tables, so it runs at most
 * every ten seconds, and never while the capture still writes: during a snapshot the transformers
 * and sinks catch up with what was captured so far again and again, and a reconciliation then would
 * only compete with the pipeline for the machine to find it not synced.
 */
public final class SyncCheck {
  private static final Logger LOG = LoggerFactory.getLogger(SyncCheck.class);
  private static final long MIN_INTERVAL_NANOS = 10_000_000_000L;

  private final EmbeddedPipeline pipeline;
  private long lastReconcile;
  private long lastCaptured = -1;
  private Result lastResult = new Result(false, "not checked yet");

  /** The verdict and what it rests on. */
  public record Result(boolean synced, String detail) {}

  /** Creates a check of a running pipeline. */
  public SyncCheck(EmbeddedPipeline pipeline) {
    this.pipeline = pipeline;
  }

  /** Checks now (reconciling at most every ten seconds). */
  public Result check(PipelineStatus status) throws Exception {
    long captured = captured(status.capture());
    boolean capturing =
        status.capture().snapshot() == CaptureMetrics.SnapshotStatus.RUNNING
            || captured != lastCaptured;
    lastCaptured = captured;
    if (capturing) {
      return new Result(
          false,
          String.format(
              Locale.ROOT,
              "capture %s (%,d changes)",
              status.capture().snapshot() == CaptureMetrics.SnapshotStatus.RUNNING
                  ? "snapshot running"
                  : "still writing",
              captured));
    }
    List<String> behind = new ArrayList<>();
    for (PipelineStatus.Service s : status.services()) {
      if (s.transformLag() > 0 || s.sinkLag() > 0) {
        behind.add(s.name() + " lag " + s.transformLag() + "+" + s.sinkLag());
      }
    }
    if (!behind.isEmpty()) {
      return new Result(false, String.join(", ", behind));
    }
    if (System.nanoTime() - lastReconcile < MIN_INTERVAL_NANOS) {
      return lastResult;
    }
    lastReconcile = System.nanoTime();
    List<String> details = new ArrayList<>();
    boolean equal = true;
    for (ServiceRuntime s : pipeline.services().values()) {
      ReconcileReport report =
          s.reconciler(pipeline.config().source()).run(line -> LOG.debug("{}", line));
      details.add(report.brief());
      if (!synced(report)) {
        equal = false;
        LOG.info(
            "Service '{}' not synced yet:{}{}", s.name(), System.lineSeparator(), report.render());
      }
    }
    lastResult = new Result(equal, String.join("; ", details));
    return lastResult;
  }

  /**
   * True when the service is in sync by {@code report}: as for carve verify, a source row the
   * mapping rejects is not in the target (its changes are dead letters), so a service is not in
   * sync while one exists, even when its tables equal what can be mapped.
   */
  static boolean synced(ReconcileReport report) {
    return report.clean();
  }

  /** Change records the capture wrote (heartbeats aside: they come whether or not rows change). */
  private static long captured(CaptureMetrics capture) {
    return capture.recordsPerTable().values().stream().mapToLong(Long::longValue).sum();
  }
}
