package dev.carve.cli.runtime;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Prints the live progress lines of {@code carve up} (redrawn in place on a terminal, every tenth
 * refresh otherwise) and the summary a person reads at a glance.
 */
public final class StatusPrinter {
  private final PrintWriter out;
  private final boolean terminal;
  private final Map<String, Long> lastRecords = new HashMap<>();
  private long lastNanos;
  private int drawnLines;
  private int refreshes;

  /**
   * Creates a printer.
   *
   * @param terminal true to redraw in place with ANSI cursor movement
   */
  public StatusPrinter(PrintWriter out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  /** Prints a note between refreshes. */
  public void note(String line) {
    clear();
    out.println("  " + line);
    out.flush();
  }

  /** Prints (or redraws) the progress lines. */
  public void print(PipelineStatus status) {
    List<String> lines = lines(status);
    refreshes++;
    if (!terminal && refreshes % 5 != 1) {
      return;
    }
    clear();
    lines.forEach(out::println);
    drawnLines = terminal ? lines.size() : 0;
    out.flush();
  }

  private void clear() {
    if (terminal && drawnLines > 0) {
      out.print("\033[" + drawnLines + "A\033[J");
      drawnLines = 0;
    }
  }

  private List<String> lines(PipelineStatus s) {
    long now = System.nanoTime();
    double seconds = lastNanos == 0 ? 0 : (now - lastNanos) / 1e9;
    lastNanos = now;
    java.util.ArrayList<String> lines = new java.util.ArrayList<>();
    lines.add(
        String.format(
            Locale.ROOT,
            "[%s] capture   %-9s snapshot %-9s %,d changes  slot lag %s%s",
            clock(s.elapsed()),
            s.capture().state().name().toLowerCase(Locale.ROOT),
            s.capture().snapshot().name().toLowerCase(Locale.ROOT).replace('_', ' '),
            s.capture().recordsTotal(),
            bytes(s.slotLagBytes()),
            s.loadChanges() >= 0
                ? String.format(Locale.ROOT, "  load %,d changes", s.loadChanges())
                : ""));
    for (PipelineStatus.Service svc : s.services()) {
      long prev = lastRecords.getOrDefault(svc.name(), svc.sinkRecords());
      lastRecords.put(svc.name(), svc.sinkRecords());
      double rate = seconds <= 0 ? 0 : (svc.sinkRecords() - prev) / seconds;
      String tables =
          svc.rows().entrySet().stream()
              .map(
                  e ->
                      e.getKey()
                          + " "
                          + (e.getValue() < 0
                              ? "-"
                              : String.format(Locale.ROOT, "%,d", e.getValue())))
              .collect(Collectors.joining("  "));
      lines.add(
          String.format(
              Locale.ROOT,
              "           %-10s %s | %,.0f rows/s | lag %,d+%,d | dlq %,d%s",
              svc.name(),
              tables,
              rate,
              svc.transformLag(),
              svc.sinkLag(),
              svc.deadLetters(),
              svc.lastError() == null ? "" : " | last error: " + svc.lastError()));
    }
    return lines;
  }

  /** Prints the closing summary with the outcome. */
  public void summary(PipelineStatus s, String outcome) {
    clear();
    out.println();
    out.println("Summary after " + clock(s.elapsed()) + " — " + outcome);
    out.println(
        String.format(
            Locale.ROOT,
            "  capture   %,d changes captured, snapshot %s",
            s.capture().recordsTotal(),
            s.capture().snapshot().name().toLowerCase(Locale.ROOT).replace('_', ' ')));
    out.println(String.format(Locale.ROOT, "  %-10s %-14s %12s", "service", "table", "rows"));
    for (PipelineStatus.Service svc : s.services()) {
      svc.rows()
          .forEach(
              (table, rows) ->
                  out.println(
                      String.format(
                          Locale.ROOT,
                          "  %-10s %-14s %12s",
                          svc.name(),
                          table,
                          rows < 0 ? "-" : String.format(Locale.ROOT, "%,d", rows))));
      out.println(
          String.format(
              Locale.ROOT,
              "  %-10s lag %,d (transform) + %,d (sink), dead letters %,d",
              svc.name(),
              svc.transformLag(),
              svc.sinkLag(),
              svc.deadLetters()));
    }
    if (s.elapsed().toSeconds() > 0) {
      long total = s.services().stream().mapToLong(PipelineStatus.Service::sinkRecords).sum();
      out.println(
          String.format(
              Locale.ROOT,
              "  throughput %,.0f domain records/s written on average",
              total / (double) Math.max(1, s.elapsed().toSeconds())));
    }
    out.flush();
  }

  /** Flushes the output. */
  public void flush() {
    out.flush();
  }

  private static String clock(Duration d) {
    return String.format(
        Locale.ROOT, "%02d:%02d:%02d", d.toHours(), d.toMinutesPart(), d.toSecondsPart());
  }

  private static String bytes(long b) {
    if (b < 0) {
      return "-";
    }
    if (b < 1024 * 1024) {
      return String.format(Locale.ROOT, "%,d kB", b / 1024);
    }
    return String.format(Locale.ROOT, "%.1f MB", b / (1024.0 * 1024));
  }
}
