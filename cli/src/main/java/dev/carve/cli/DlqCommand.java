package dev.carve.cli;

import dev.carve.sink.FailureEntry;
import dev.carve.sink.FailureFilter;
import dev.carve.sink.FailureLog;
import dev.carve.sink.FailureStatus;
import dev.carve.sink.PlannedRetry;
import dev.carve.sink.RetryOutcome;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code carve dlq list|show|retry|purge <service>}: the failure log of a service's sink. */
@Command(
    name = "dlq",
    mixinStandardHelpOptions = true,
    header = "Lists, shows, retries and purges a sink's failed records.",
    description = "Lists, shows, retries and purges the records a service's sink could not write.",
    subcommands = {
      DlqCommand.ListCmd.class,
      DlqCommand.Show.class,
      DlqCommand.Retry.class,
      DlqCommand.Purge.class
    })
public final class DlqCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  private static void row(PrintWriter out, FailureEntry e) {
    out.printf(
        Locale.ROOT,
        "%6d  %-8s %-24s %3d %10d  attempts %d  last %s  key %s%n         %s%n",
        e.id(),
        e.status().name().toLowerCase(Locale.ROOT),
        e.topic(),
        e.partition(),
        e.offset(),
        e.attempts(),
        e.lastSeen(),
        e.key(),
        e.error());
  }

  /** Lists failures. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List the failures of a service (open ones by default).")
  static final class ListCmd implements Callable<Integer> {
    @CommandLine.Mixin ServiceArgs args;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--all", description = "Include resolved failures.")
    boolean all;

    @Option(names = "--topic", description = "Only failures of this topic.")
    String topic;

    @Option(
        names = "--limit",
        defaultValue = "100",
        description = "At most this many (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
      if (limit < 1) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--limit must be at least 1, was " + limit);
      }
      try (FailureLog log = FailureLog.open(args.service, args.sinkOptions())) {
        FailureFilter filter = new FailureFilter(all ? null : FailureStatus.OPEN, topic, limit);
        List<FailureEntry> entries = log.list(filter);
        // A list shorter than the limit is all there is; only a full one may hide more.
        long total = entries.size() < limit ? entries.size() : log.count(filter);
        PrintWriter out = spec.commandLine().getOut();
        entries.forEach(e -> row(out, e));
        String what = (all ? "" : "open ") + "failure(s) of service '" + args.service + "'";
        if (total > entries.size()) {
          out.printf(
              Locale.ROOT,
              "... %,d more, --limit to see them%n%,d of %,d %s shown, oldest first%n",
              total - entries.size(),
              entries.size(),
              total,
              what);
        } else {
          out.printf(Locale.ROOT, "%,d %s%n", entries.size(), what);
        }
        out.flush();
      }
      return 0;
    }
  }

  /** Shows one failure. */
  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one failure.")
  static final class Show implements Callable<Integer> {
    @CommandLine.Mixin ServiceArgs args;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "1", paramLabel = "ID", description = "The failure id (from list).")
    long id;

    @Override
    public Integer call() {
      try (FailureLog log = FailureLog.open(args.service, args.sinkOptions())) {
        FailureEntry e =
            log.show(id)
                .orElseThrow(
                    () ->
                        new UserFacingException(
                            "No failure " + id + " for service '" + args.service + "'"));
        PrintWriter out = spec.commandLine().getOut();
        out.printf(
            Locale.ROOT,
            "failure %d of service '%s': %s%n"
                + "  record      %s partition %d offset %d%n"
                + "  key         %s%n"
                + "  attempts    %d%n"
                + "  first seen  %s%n"
                + "  last seen   %s%n"
                + "  error       %s%n",
            e.id(),
            e.service(),
            e.status().name().toLowerCase(Locale.ROOT),
            e.topic(),
            e.partition(),
            e.offset(),
            e.key(),
            e.attempts(),
            e.firstSeen(),
            e.lastSeen(),
            e.error());
        out.flush();
      }
      return 0;
    }
  }

  /** Retries failures through the same writer. */
  @Command(
      name = "retry",
      mixinStandardHelpOptions = true,
      description = {
        "Re-read failed records from Kafka and write them again through the sink's guard.",
        "Without an id, every open failure is retried, oldest first, read "
            + FailureLog.PAGE_SIZE
            + " at a time; one that is refused or fails again stays open and does not hold up the"
            + " others.",
        "Failures that first failed longer ago than the service's tombstone-retention are"
            + " refused: a newer delete of their key may have lost its tombstone, and writing"
            + " them could bring a deleted row back."
      })
  static final class Retry implements Callable<Integer> {
    @CommandLine.Mixin ServiceArgs args;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(
        index = "1",
        arity = "0..1",
        paramLabel = "ID",
        description = "One failure id; without it, every open failure.")
    Long id;

    @Option(
        names = "--force-older-than-tombstones",
        description =
            "Also retry failures older than tombstone-retention (check their keys first: a"
                + " deleted row may come back).")
    boolean force;

    @Option(names = "--dry-run", description = "List what would be retried; write nothing.")
    boolean dryRun;

    /** Failures read at a time by a run over every open one; a test sets a small page. */
    int pageSize = FailureLog.PAGE_SIZE;

    @Override
    public Integer call() {
      try (FailureLog log = FailureLog.open(args.service, args.sinkOptions())) {
        PrintWriter out = spec.commandLine().getOut();
        if (dryRun) {
          return dryRun(log, out);
        }
        Tally tally;
        if (id != null) {
          tally = new Tally(out, 1, Integer.MAX_VALUE);
          tally.add(log.retry(id, force));
        } else {
          long open = log.count(FailureFilter.open());
          if (open > pageSize) {
            out.printf(
                Locale.ROOT,
                "retrying %,d open failure(s) of service '%s', oldest first, %,d at a time%n",
                open,
                args.service,
                pageSize);
            out.flush();
          }
          tally = new Tally(out, open, pageSize);
          log.retryEveryOpen(force, pageSize, tally::add);
        }
        out.printf(
            Locale.ROOT,
            "%,d of %,d retried failure(s) resolved%s%n",
            tally.resolved,
            tally.done - tally.refused,
            tally.refused == 0
                ? ""
                : String.format(
                    Locale.ROOT,
                    "; %,d refused as older than tombstone-retention"
                        + " (--force-older-than-tombstones retries them)",
                    tally.refused));
        out.flush();
        return tally.resolved == tally.done ? 0 : Carve.EXIT_FAILURE;
      }
    }

    /**
     * Prints each outcome as it comes and counts them; on a run of more than one page, a progress
     * line after each page says how far it got and how long the rest will take.
     */
    private static final class Tally {
      private final PrintWriter out;
      private final long expected;
      private final int pageSize;
      private final long started = System.nanoTime();
      long done;
      long resolved;
      long refused;

      Tally(PrintWriter out, long expected, int pageSize) {
        this.out = out;
        this.expected = expected;
        this.pageSize = pageSize;
      }

      void add(RetryOutcome o) {
        out.printf(
            Locale.ROOT,
            "%6d  %s  %s%n",
            o.id(),
            o.refused() ? "refused" : o.resolved() ? "resolved" : "failed again",
            o.message());
        done++;
        resolved += o.resolved() ? 1 : 0;
        refused += o.refused() ? 1 : 0;
        if (expected > pageSize && done % pageSize == 0 && done < expected) {
          progress();
        }
        out.flush();
      }

      private void progress() {
        // Failures logged while the run goes on are retried too: the total may grow.
        long total = Math.max(expected, done);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        Duration left = elapsed.multipliedBy(total - done).dividedBy(done);
        out.printf(
            Locale.ROOT,
            "... %,d of %,d done: %,d resolved, %,d failed again, %,d refused; %s, about %s"
                + " left%n",
            done,
            total,
            resolved,
            done - resolved - refused,
            refused,
            FailureLog.describe(elapsed),
            FailureLog.describe(left));
      }
    }

    private int dryRun(FailureLog log, PrintWriter out) {
      long[] wouldRetry = {0};
      long planned;
      if (id != null) {
        PlannedRetry p =
            log.planRetry(id, force)
                .orElseThrow(
                    () ->
                        new UserFacingException(
                            "No failure with id " + id + " for service '" + args.service + "'"));
        print(out, p);
        wouldRetry[0] = p.wouldRetry() && p.entry().status() == FailureStatus.OPEN ? 1 : 0;
        planned = 1;
      } else {
        planned =
            log.planEveryOpen(
                force,
                pageSize,
                p -> {
                  print(out, p);
                  wouldRetry[0] += p.wouldRetry() ? 1 : 0;
                });
      }
      out.printf(
          Locale.ROOT,
          "would retry %,d of %,d failure(s) of service '%s'; dry run: nothing written%n",
          wouldRetry[0],
          planned,
          args.service);
      out.flush();
      return 0;
    }

    private static void print(PrintWriter out, PlannedRetry p) {
      FailureEntry e = p.entry();
      if (e.status() == FailureStatus.RESOLVED) {
        out.printf(Locale.ROOT, "%6d  already resolved%n", e.id());
      } else if (p.wouldRetry()) {
        out.printf(
            Locale.ROOT,
            "%6d  would retry  %s %d %d  key %s  first failed %s ago%n",
            e.id(),
            e.topic(),
            e.partition(),
            e.offset(),
            e.key(),
            FailureLog.describe(p.age()));
      } else {
        out.printf(Locale.ROOT, "%6d  would refuse  %s%n", e.id(), p.refusal());
      }
    }
  }

  /** Purges failures. */
  @Command(
      name = "purge",
      mixinStandardHelpOptions = true,
      description = "Delete failures from the log (resolved ones by default).")
  static final class Purge implements Callable<Integer> {
    @CommandLine.Mixin ServiceArgs args;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--older-than",
        paramLabel = "DURATION",
        description = "Only failures last seen before this long ago (e.g. 7d).")
    String olderThan;

    @Option(
        names = "--status",
        paramLabel = "STATUS",
        defaultValue = "resolved",
        description = "open or resolved (default: ${DEFAULT-VALUE}).")
    String status;

    @Option(names = "--dry-run", description = "Say what would be deleted; delete nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
      Duration age = olderThan == null ? null : CliDurations.parse(spec, "--older-than", olderThan);
      FailureStatus st;
      try {
        st = FailureStatus.valueOf(status.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--status must be open or resolved, not '" + status + "'");
      }
      try (FailureLog log = FailureLog.open(args.service, args.sinkOptions())) {
        PrintWriter out = spec.commandLine().getOut();
        String what =
            st.name().toLowerCase(Locale.ROOT)
                + " failure(s) of service '"
                + args.service
                + "'"
                + (age == null ? "" : " last seen more than " + olderThan + " ago");
        if (dryRun) {
          out.printf(
              Locale.ROOT,
              "would delete %d %s; dry run: nothing deleted%n",
              log.countPurgeable(age, st),
              what);
        } else {
          out.printf(Locale.ROOT, "deleted %d %s%n", log.purge(age, st), what);
        }
        out.flush();
      }
      return 0;
    }
  }
}
