package dev.carve.cli.verify;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Re-compares the keys a reconciliation found different until they settle: verify reads the
 * monolith and then the target while both keep changing, so a key changed meanwhile differs only
 * because its change is still on its way through capture, transform and sink. Each round waits a
 * pause (about the pipeline's latency), then compares just the keys that still differ; it stops
 * when none differs, when a round settles none (what is left differs for good), or when the time is
 * up. A key is reported only when it still differs at its last comparison.
 *
 * <p>Each round reads the source in full again (the mapping is not invertible, so which source rows
 * map to a key is only known by mapping them all); only the compared keys are kept.
 */
public final class Settling {
  /** The pause between rounds, about the latency of a running pipeline under load. */
  public static final Duration PAUSE = Duration.ofSeconds(2);

  /** Waits between rounds; a test may act instead (make a change land). */
  @FunctionalInterface
  public interface Pause {
    /** Waits for {@code duration}. */
    void pause(Duration duration) throws Exception;

    /** {@link Thread#sleep}. */
    Pause SLEEP = d -> Thread.sleep(d.toMillis());
  }

  /**
   * The outcome of settling a report.
   *
   * @param report the report with every table's differences as of their last comparison (the first
   *     report unchanged when nothing was re-compared)
   * @param differed keys that differed in the first comparison
   * @param settled of those, keys equal in a later round (changed while verify read them)
   * @param rounds re-comparisons made
   * @param took time from the first re-comparison's pause to the end of the last
   * @param skipped why nothing was re-compared although keys differed; null otherwise
   */
  public record Outcome(
      ReconcileReport report,
      long differed,
      long settled,
      int rounds,
      Duration took,
      String skipped) {
    /** A line for a person; empty when the first comparison found no differing key. */
    public String describe() {
      if (differed == 0) {
        return "";
      }
      if (skipped != null) {
        return "  not re-checked: " + skipped;
      }
      return String.format(
          Locale.ROOT,
          "  re-checked the %,d key%s that differed (%d round%s, %.1f s): %,d equal now (changed"
              + " while verify read them, their change was on its way through the pipeline),"
              + " %,d still differ%s",
          differed,
          differed == 1 ? "" : "s",
          rounds,
          rounds == 1 ? "" : "s",
          took.toMillis() / 1000.0,
          settled,
          differed - settled,
          differed - settled == 0 ? "" : " (listed above)");
    }
  }

  private Settling() {}

  /**
   * Re-compares the keys {@code first} found different for at most {@code budget}.
   *
   * @param reconciler the reconciler that made {@code first}
   * @param options the options of {@code first} (fields compared; its window is replaced by the
   *     keys)
   * @param first the first report
   * @param budget how long to keep re-comparing; zero re-compares nothing
   * @param pause waits between rounds
   * @param progress receives a line per round
   */
  public static Outcome settle(
      Reconciler reconciler,
      Reconciler.Options options,
      ReconcileReport first,
      Duration budget,
      Pause pause,
      Consumer<String> progress)
      throws Exception {
    Objects.requireNonNull(first, "first");
    Repairer.Plan plan = Repairer.plan(first);
    Map<String, Set<String>> keys = plan.keys();
    long differed = count(keys) + plan.unlisted();
    if (differed == 0) {
      return new Outcome(first, 0, 0, 0, Duration.ZERO, null);
    }
    if (budget.isZero() || budget.isNegative()) {
      return new Outcome(first, differed, 0, 0, Duration.ZERO, "--settle 0");
    }
    if (plan.unlisted() > 0) {
      return new Outcome(
          first,
          differed,
          0,
          0,
          Duration.ZERO,
          String.format(
              Locale.ROOT,
              "%,d keys differ, more than the %,d a re-check follows",
              differed,
              Reconciler.MISMATCH_LIMIT));
    }
    long start = System.nanoTime();
    long deadline = start + budget.toNanos();
    ReconcileReport last = first;
    int rounds = 0;
    while (true) {
      long left = deadline - System.nanoTime();
      pause.pause(Duration.ofNanos(Math.max(0, Math.min(PAUSE.toNanos(), left))));
      last = reconciler.run(options.onlyKeys(keys), Reconciler.Progress.lines(line -> {}));
      rounds++;
      Map<String, Set<String>> still = Repairer.plan(last).keys();
      boolean progressed = count(still) < count(keys);
      keys = still;
      progress.accept(
          String.format(
              Locale.ROOT,
              "  re-check %d: %,d of the %,d keys that differed still differ",
              rounds,
              count(keys),
              differed));
      if (keys.isEmpty() || !progressed || System.nanoTime() >= deadline) {
        break;
      }
    }
    long stillDiffer = count(keys);
    return new Outcome(
        merge(first, last),
        differed,
        differed - stillDiffer,
        rounds,
        Duration.ofNanos(System.nanoTime() - start),
        null);
  }

  /**
   * The first report's tables with the differences of their last comparison. A re-compared key
   * counts as it was then, so the target's rows are those expected, less the missing, plus the
   * extra.
   */
  private static ReconcileReport merge(ReconcileReport first, ReconcileReport last) {
    List<ReconcileReport.EntityResult> merged = new ArrayList<>();
    for (ReconcileReport.EntityResult e : first.entities()) {
      ReconcileReport.EntityResult now =
          last.entities().stream()
              .filter(l -> l.entity().equals(e.entity()))
              .findFirst()
              .orElseThrow(() -> new IllegalStateException("no re-check of " + e.entity()));
      merged.add(
          new ReconcileReport.EntityResult(
              e.entity(),
              e.expectedRows(),
              e.expectedRows() - now.missingCount() + now.extraCount(),
              now.missing(),
              now.missingCount(),
              now.extra(),
              now.extraCount(),
              now.different(),
              now.differentCount(),
              now.mismatches()));
    }
    return new ReconcileReport(
        first.service(),
        merged,
        first.windowed(),
        first.unmappable(),
        first.unmappableCount(),
        first.keys());
  }

  private static long count(Map<String, Set<String>> keys) {
    return keys.values().stream().mapToLong(Set::size).sum();
  }
}
