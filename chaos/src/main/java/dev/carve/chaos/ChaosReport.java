package dev.carve.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a chaos run did and found.
 *
 * @param duration wall time of the whole run
 * @param changesApplied changes the load generator applied to the monolith (rows of large
 *     transactions included), by kind
 * @param faults every fault injected, in order, with its recovery time
 * @param unplannedExits exits of the pipeline process that the harness did not cause (the process
 *     stopped itself, e.g. on a failed part), each restarted
 * @param loadRestarts restarts of the load generator (it stops when the monolith goes away)
 * @param maxRecordLag the largest consumer lag (records, transformers plus sinks) sampled
 * @param maxCaptureLagBytes the largest WAL retained by the replication slot sampled
 * @param services per service, the reconciliation's verdict
 * @param badInput per bad input fed, whether it ended where it must
 */
public record ChaosReport(
    Duration duration,
    Map<String, Long> changesApplied,
    List<FaultResult> faults,
    List<String> unplannedExits,
    int loadRestarts,
    long maxRecordLag,
    long maxCaptureLagBytes,
    List<ServiceResult> services,
    List<BadInputResult> badInput) {

  /**
   * One injected fault.
   *
   * @param fault the kind
   * @param atSeconds seconds since the load started
   * @param recovery from the fault until a change made after it was visible in a service database;
   *     null when it never became visible within the timeout
   */
  public record FaultResult(Fault fault, long atSeconds, Duration recovery) {}

  /**
   * The reconciliation of one service after the run.
   *
   * @param service the service
   * @param rows rows in its tables
   * @param missing keys the mapping produces that the target lacks
   * @param extra keys the target has that the mapping does not produce
   * @param different keys whose rows differ
   * @param unmappable source rows the mapping rejects (dead-lettered), all of them bad input fed on
   *     purpose when {@code unexpectedUnmappable} is 0
   * @param unexpectedUnmappable unmappable source rows that are not bad input fed on purpose
   * @param detail the rendered report when not equal
   */
  public record ServiceResult(
      String service,
      long rows,
      long missing,
      long extra,
      long different,
      long unmappable,
      long unexpectedUnmappable,
      String detail) {
    /** True when the target equals the mapped source and nothing unexpected was unmappable. */
    public boolean ok() {
      return missing == 0 && extra == 0 && different == 0 && unexpectedUnmappable == 0;
    }
  }

  /**
   * One bad input and where it ended.
   *
   * @param input what was fed
   * @param expected where it must end
   * @param ok whether it did
   * @param found what was found (the dead letter's stage and reason, or the mapped row)
   */
  public record BadInputResult(String input, String expected, boolean ok, String found) {}

  /** Faults injected, by kind (every kind present). */
  public Map<Fault, Integer> faultCounts() {
    Map<Fault, Integer> counts = new EnumMap<>(Fault.class);
    for (Fault f : Fault.values()) {
      counts.put(f, 0);
    }
    faults.forEach(f -> counts.merge(f.fault(), 1, Integer::sum));
    return counts;
  }

  /**
   * True when nothing was lost or corrupted, every fault recovered, every bad input ended right.
   */
  public boolean ok() {
    return services.stream().allMatch(ServiceResult::ok)
        && faults.stream().allMatch(f -> f.recovery() != null)
        && badInput.stream().allMatch(BadInputResult::ok);
  }

  /** The summary for a person. */
  public String render() {
    StringBuilder sb = new StringBuilder();
    long total = changesApplied.values().stream().mapToLong(Long::longValue).sum();
    sb.append(
        String.format(
            Locale.ROOT,
            "chaos run of %s: %,d changes applied %s%n",
            format(duration),
            total,
            changesApplied));
    sb.append(String.format(Locale.ROOT, "faults injected: %d%n", faults.size()));
    for (Map.Entry<Fault, Integer> e : faultCounts().entrySet()) {
      List<String> times = new ArrayList<>();
      long worst = 0;
      for (FaultResult f : faults) {
        if (f.fault() == e.getKey()) {
          times.add(f.recovery() == null ? "NOT RECOVERED" : format(f.recovery()));
          worst = Math.max(worst, f.recovery() == null ? Long.MAX_VALUE : f.recovery().toMillis());
        }
      }
      sb.append(
          String.format(
              Locale.ROOT,
              "  %-20s %2d  recovered in %s%n",
              e.getKey(),
              e.getValue(),
              times.isEmpty() ? "-" : String.join(", ", times)));
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "pipeline exits not caused by the harness (restarted): %d%s%n",
            unplannedExits.size(),
            unplannedExits.isEmpty() ? "" : " " + unplannedExits));
    sb.append(String.format(Locale.ROOT, "load generator restarts: %d%n", loadRestarts));
    sb.append(
        String.format(
            Locale.ROOT,
            "max lag: %,d records (transformers + sinks), %,d bytes of WAL (capture)%n",
            maxRecordLag,
            maxCaptureLagBytes));
    sb.append(
        String.format(
            Locale.ROOT,
            "  %-10s %10s %8s %8s %10s %11s  %s%n",
            "service",
            "rows",
            "missing",
            "extra",
            "different",
            "unmappable",
            "verdict"));
    for (ServiceResult s : services) {
      sb.append(
          String.format(
              Locale.ROOT,
              "  %-10s %,10d %,8d %,8d %,10d %,11d  %s%n",
              s.service(),
              s.rows(),
              s.missing(),
              s.extra(),
              s.different(),
              s.unmappable(),
              s.ok() ? "OK" : "FAILED"));
      if (!s.ok() && s.detail() != null) {
        sb.append(s.detail());
      }
    }
    if (!badInput.isEmpty()) {
      sb.append("bad input:").append(System.lineSeparator());
      for (BadInputResult b : badInput) {
        sb.append(
            String.format(
                Locale.ROOT,
                "  %-4s %-44s -> %s: %s%n",
                b.ok() ? "OK" : "FAIL",
                b.input(),
                b.expected(),
                b.found()));
      }
    }
    sb.append(ok() ? "RESULT: OK, nothing lost" : "RESULT: FAILED").append(System.lineSeparator());
    return sb.toString();
  }

  static String format(Duration d) {
    long ms = d.toMillis();
    if (ms < 60_000) {
      return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }
    return String.format(Locale.ROOT, "%d min %02d s", ms / 60_000, (ms / 1000) % 60);
  }
}
