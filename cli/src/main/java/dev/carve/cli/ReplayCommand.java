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
    if (dryRun) {
      out.println(job.plan().describe());
      out.flush();
      return 0;
    }
    boolean terminal = System.console() != null;
    long[] lastPrint = {0};
    ReplayJob.Result result =
        job.run(
            p -> {
              long now = System.nanoTime();
              if (!terminal && now - lastPrint[0] < 10_000_000_000L) {
                return;
              }
              lastPrint[0] = now;
              int width = 30;
              int done =
                  p.recordsTotal() <= 0
                      ? width
                      : (int) Math.min(width, width * p.recordsRead() / p.recordsTotal());
              String line =
                  String.format(
                      Locale.ROOT,
                      "[%s%s] %,d / %,d records  %,.0f/s  ETA %s",
                      "#".repeat(done),
                      ".".repeat(width - done),
                      p.recordsRead(),
                      p.recordsTotal(),
                      p.recordsPerSecond(),
                      p.eta() == null ? "-" : p.eta().toSeconds() + " s");
              out.print(terminal ? "\r" + line : line + System.lineSeparator());
              out.flush();
            });
    out.println();
    out.printf(
        Locale.ROOT,
        "replayed %,d records of service '%s' in %.1f s (%s); %d failure(s)%n",
        result.recordsRead(),
        args.service,
        result.elapsed().toMillis() / 1000.0,
        inPlace ? "in place" : "shadow swapped in",
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
    out.flush();
    return result.failures() == 0 ? 0 : Carve.EXIT_FAILURE;
  }
}
