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
        List<FailureEntry> entries =
            log.list(new FailureFilter(all ? null : FailureStatus.OPEN, topic, limit));
        PrintWriter out = spec.commandLine().getOut();
        entries.forEach(e -> row(out, e));
        out.printf(
            Locale.ROOT,
            "%d %sfailure(s) of service '%s'%n",
            entries.size(),
            all ? "" : "open ",
            args.service);
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

    @Override
    public Integer call() {
      try (FailureLog log = FailureLog.open(args.service, args.sinkOptions())) {
        PrintWriter out = spec.commandLine().getOut();
        if (dryRun) {
          return dryRun(log, out);
        }
        List<RetryOutcome> outcomes =
            id != null ? List.of(log.retry(id, force)) : log.retryAll(FailureFilter.open(), force);
        long resolved = outcomes.stream().filter(RetryOutcome::resolved).count();
        long refused = outcomes.stream().filter(RetryOutcome::refused).count();
        outcomes.forEach(
            o ->
                out.printf(
                    Locale.ROOT,
                    "%6d  %s  %s%n",
                    o.id(),
                    o.refused() ? "refused" : o.resolved() ? "resolved" : "failed again",
                    o.message()));
        out.printf(
            Locale.ROOT,
            "%d of %d retried failure(s) resolved%s%n",
            resolved,
            outcomes.size() - refused,
            refused == 0
                ? ""
                : "; "
                    + refused
                    + " refused as older than tombstone-retention"
                    + " (--force-older-than-tombstones retries them)");
        out.flush();
        return resolved == outcomes.size() ? 0 : Carve.EXIT_FAILURE;
      }
    }

    private int dryRun(FailureLog log, PrintWriter out) {
      List<PlannedRetry> plan;
      if (id != null) {
        plan =
            List.of(
                log.planRetry(id, force)
                    .orElseThrow(
                        () ->
                            new UserFacingException(
                                "No failure with id "
                                    + id
                                    + " for service '"
                                    + args.service
                                    + "'")));
      } else {
        plan = log.planRetry(FailureFilter.open(), force);
      }
      for (PlannedRetry p : plan) {
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
      out.printf(
          Locale.ROOT,
          "would retry %d of %d failure(s) of service '%s'; dry run: nothing written%n",
          plan.stream()
              .filter(p -> p.wouldRetry() && p.entry().status() == FailureStatus.OPEN)
              .count(),
          plan.size(),
          args.service);
      out.flush();
      return 0;
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
