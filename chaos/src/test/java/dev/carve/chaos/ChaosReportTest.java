package dev.carve.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.chaos.ChaosReport.BadInputResult;
import dev.carve.chaos.ChaosReport.FaultResult;
import dev.carve.chaos.ChaosReport.ServiceResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChaosReportTest {
  private static final ServiceResult EQUAL = new ServiceResult("orders", 10, 0, 0, 0, 1, 0, "");
  private static final FaultResult RECOVERED =
      new FaultResult(Fault.BROKER_RESTART, 12, Duration.ofSeconds(20));
  private static final BadInputResult DEAD_LETTERED =
      new BadInputResult("orders: invalid JSON", "orders.dlq", true, "stage transform, bad");

  private static ChaosReport report(ServiceResult service, FaultResult fault, BadInputResult bad) {
    return new ChaosReport(
        Duration.ofMinutes(3),
        Map.of("insert", 100L, "bulk_insert", 10_000L),
        List.of(fault),
        List.of(),
        2,
        1_234,
        56_789,
        List.of(service),
        List.of(bad));
  }

  @Test
  void cleanRunIsOkAndTheSummaryShowsEveryFigure() {
    ChaosReport r = report(EQUAL, RECOVERED, DEAD_LETTERED);
    assertThat(r.ok()).isTrue();
    assertThat(r.faultCounts())
        .containsEntry(Fault.BROKER_RESTART, 1)
        .containsEntry(Fault.PIPELINE_KILL, 0);
    assertThat(r.render())
        .contains("10,100 changes applied")
        .contains("BROKER_RESTART        1  recovered in 20.0 s")
        .contains("max lag: 1,234 records")
        .contains("56,789 bytes of WAL")
        .contains("load generator restarts: 2")
        .contains("RESULT: OK, nothing lost");
  }

  @Test
  void aMissingRowFailsTheRunAndShowsTheReconciliation() {
    ServiceResult missing = new ServiceResult("orders", 9, 1, 0, 0, 0, 0, "  missing order_id=7\n");
    ChaosReport r = report(missing, RECOVERED, DEAD_LETTERED);
    assertThat(r.ok()).isFalse();
    assertThat(r.render()).contains("FAILED").contains("missing order_id=7");
  }

  @Test
  void anUnexpectedUnmappableRowFailsTheRun() {
    ServiceResult unmappable = new ServiceResult("orders", 10, 0, 0, 0, 2, 1, "");
    assertThat(report(unmappable, RECOVERED, DEAD_LETTERED).ok()).isFalse();
  }

  @Test
  void aFaultThatNeverRecoveredFailsTheRun() {
    FaultResult stuck = new FaultResult(Fault.MONOLITH_RESTART, 30, null);
    ChaosReport r = report(EQUAL, stuck, DEAD_LETTERED);
    assertThat(r.ok()).isFalse();
    assertThat(r.render()).contains("NOT RECOVERED");
  }

  @Test
  void badInputThatWasLostFailsTheRun() {
    BadInputResult lost =
        new BadInputResult("orders: unknown op", "orders.dlq", false, "no dead letter with key X");
    ChaosReport r = report(EQUAL, RECOVERED, lost);
    assertThat(r.ok()).isFalse();
    assertThat(r.render()).contains("FAIL").contains("no dead letter with key X");
  }
}
