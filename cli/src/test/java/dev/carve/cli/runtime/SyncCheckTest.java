package dev.carve.cli.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.capture.CaptureMetrics;
import dev.carve.capture.EmbeddedCapture;
import dev.carve.cli.verify.ReconcileReport;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The cheap part of the sync check: no reconciliation (which needs a running pipeline, see {@code
 * PipelineIT}) while the capture snapshots or still writes changes, or while a service lags.
 */
class SyncCheckTest {
  // Never reached: every case here is decided before a reconciliation.
  private final SyncCheck check = new SyncCheck(null);

  @Test
  void aRunningSnapshotIsNotSyncedEvenWhenNoServiceLags() throws Exception {
    SyncCheck.Result first = check.check(status(CaptureMetrics.SnapshotStatus.RUNNING, 4_789, 0));
    SyncCheck.Result second = check.check(status(CaptureMetrics.SnapshotStatus.RUNNING, 4_789, 0));

    assertThat(first.synced()).isFalse();
    assertThat(second.synced()).isFalse();
    assertThat(second.detail()).isEqualTo("capture snapshot running (4,789 changes)");
  }

  @Test
  void aCaptureThatWroteChangesSinceTheLastCheckIsNotSyncedYet() throws Exception {
    check.check(status(CaptureMetrics.SnapshotStatus.COMPLETED, 20_000, 0));
    SyncCheck.Result more = check.check(status(CaptureMetrics.SnapshotStatus.COMPLETED, 20_423, 0));

    assertThat(more.synced()).isFalse();
    assertThat(more.detail()).isEqualTo("capture still writing (20,423 changes)");
  }

  @Test
  void aQuietCaptureWithALaggingServiceIsNotSynced() throws Exception {
    check.check(status(CaptureMetrics.SnapshotStatus.COMPLETED, 20_423, 7));
    SyncCheck.Result lagging =
        check.check(status(CaptureMetrics.SnapshotStatus.COMPLETED, 20_423, 7));

    assertThat(lagging.synced()).isFalse();
    assertThat(lagging.detail()).isEqualTo("orders lag 7+0");
  }

  private static PipelineStatus status(
      CaptureMetrics.SnapshotStatus snapshot, long changes, long transformLag) {
    CaptureMetrics capture =
        new CaptureMetrics(
            EmbeddedCapture.State.RUNNING,
            Map.of("public.customers", changes - changes / 2, "public.orders", changes / 2),
            changes + 12, // heartbeats too, which do not count
            snapshot,
            Optional.empty(),
            Optional.empty(),
            0,
            Optional.empty());
    return new PipelineStatus(
        Duration.ofSeconds(30),
        capture,
        0,
        List.of(
            new PipelineStatus.Service(
                "orders", Map.of("order", 10L), transformLag, 0, 0, 10, null)),
        -1);
  }

  /** Regression: --until-synced said SYNCED while carve verify failed on an unmappable row. */
  @Test
  void serviceWithASourceRowItsMappingRejectsIsNotSynced() {
    ReconcileReport.EntityResult equal =
        new ReconcileReport.EntityResult(
            "order", 2, 2, List.of(), 0, List.of(), 0, List.of(), 0, List.of());
    ReconcileReport clean = new ReconcileReport("orders", List.of(equal));
    ReconcileReport unmappable =
        new ReconcileReport(
            "orders",
            List.of(equal),
            false,
            List.of(new ReconcileReport.Unmappable("orders", "ORD-1", "unknown code 'Q'")),
            1,
            ReconcileReport.Keys.NONE);
    assertThat(SyncCheck.synced(clean)).isTrue();
    assertThat(unmappable.equal()).isTrue();
    assertThat(SyncCheck.synced(unmappable)).isFalse();
  }
}
