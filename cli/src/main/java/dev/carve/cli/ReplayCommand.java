package dev.carve.cli;

import dev.carve.sink.ReplayJob;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code carve replay <service>}: rebuilds a service's store from the earliest offsets. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    header = "Rebuilds a service's store from its domain topics.",
    description = {
      "Rebuilds a service's store from the earliest offsets of its domain topics into a shadow",
      "schema, then swaps it in with one transaction: readers never see an empty or half-built",
      "store. The service's sink must be stopped first; afterwards it continues from the replay's",
      "offsets. --in-place truncates the live tables and re-consumes instead."
    })
public final class ReplayCommand implements Callable<Integer> {
  @CommandLine.Mixin ServiceArgs args;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--in-place",
      description = "Truncate the live tables and re-consume (readers see the store rebuild).")
  boolean inPlace;

  @Option(names = "--dry-run", description = "Say what would change; change nothing.")
  boolean dryRun;

  @Override
  public Integer call() {
    ReplayJob job =
        ReplayJob.create(
            args.service,
            args.sinkOptions(),
            inPlace ? ReplayJob.Mode.IN_PLACE : ReplayJob.Mode.SHADOW);
    PrintWriter out = spec.commandLine().getOut();
    // What it changes is said before it is changed, also without --dry-run.
    out.println(job.plan().describe());
    out.flush();
    if (dryRun) {
      return 0;
    }
    ProgressLine progress = new ProgressLine(out, System.console() != null);
    ReplayJob.Result result = job.run(progress::update);
    progress.finish();
    out.printf(
        Locale.ROOT,
        "replayed %,d records of service '%s' in %.1f s (%s); %d failure(s)%n",
        result.recordsRead(),
        args.service,
        result.elapsed().toMillis() / 1000.0,
        inPlace
            ? "in place"
            : result.swapAttempts() > 1
                ? "shadow swapped in at attempt "
                    + result.swapAttempts()
                    + ": readers held the live tables longer than swap-lock-timeout"
                : "shadow swapped in",
        result.failures());
    result
        .tables()
        .forEach(
            (table, m) ->
                out.printf(
                    Locale.ROOT,
                    "  %-16s upserted %,d  deleted %,d  skipped as older %,d%n",
                    table,
                    m.upserted(),
                    m.deleted(),
                    m.skippedAsOlder()));
    if (result.failures() > 0) {
      out.printf(
          Locale.ROOT,
          "%d record(s) could not be written; they are in the failure log: carve dlq list %s%n",
          result.failures(),
          args.service);
    }
    out.flush();
    return result.failures() == 0 ? 0 : Carve.EXIT_FAILURE;
  }

  /**
   * The progress bar with rate and ETA: redrawn in place after every batch on a terminal; else (a
   * log, a pipe) one line at most every {@link #LOG_INTERVAL_NANOS}, and always the last one, so a
   * log shows where the replay ended even when it took less than the interval.
   */
  private static final class ProgressLine {
    private static final long LOG_INTERVAL_NANOS = 10_000_000_000L;
    private static final int WIDTH = 30;

    private final PrintWriter out;
    private final boolean terminal;
    private ReplayJob.Progress last;
    private boolean lastPrinted;
    private long lastPrintNanos;
    private boolean printedAny;

    ProgressLine(PrintWriter out, boolean terminal) {
      this.out = out;
      this.terminal = terminal;
    }

    void update(ReplayJob.Progress p) {
      last = p;
      lastPrinted = false;
      long now = System.nanoTime();
      if (terminal || !printedAny || now - lastPrintNanos >= LOG_INTERVAL_NANOS) {
        print(p, now);
      }
    }

    /** Prints the last state if it was not printed yet and ends the line. */
    void finish() {
      if (last != null && !lastPrinted) {
        print(last, System.nanoTime());
      }
      if (terminal && printedAny) {
        out.println();
      }
      out.flush();
    }

    private void print(ReplayJob.Progress p, long now) {
      int done =
          p.recordsTotal() <= 0
              ? WIDTH
              : (int) Math.min(WIDTH, WIDTH * p.recordsRead() / p.recordsTotal());
      String line =
          String.format(
              Locale.ROOT,
              "[%s%s] %,d / %,d records  %,.0f/s  ETA %s",
              "#".repeat(done),
              ".".repeat(WIDTH - done),
              p.recordsRead(),
              p.recordsTotal(),
              p.recordsPerSecond(),
              p.eta() == null ? "-" : p.eta().toSeconds() + " s");
      out.print(terminal ? "\r" + line : line + System.lineSeparator());
      out.flush();
      printedAny = true;
      lastPrinted = true;
      lastPrintNanos = now;
    }
  }
}
