package dev.carve.cli.verify;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * The progress of a verify run on stdout: rows read, rows/s and the estimated time left. On a
 * terminal one line is redrawn with {@code \r}; otherwise (a pipe, a CI log) a line is printed
 * every ten seconds.
 */
public final class ProgressBar implements Reconciler.Progress {
  private static final long LOG_INTERVAL_NANOS = 10_000_000_000L;
  private static final long REDRAW_INTERVAL_NANOS = 200_000_000L;
  private static final int WIDTH = 24;

  private final PrintWriter out;
  private final boolean terminal;
  private final long started = System.nanoTime();
  private long lastDrawn;
  private boolean lineOpen;

  /**
   * Creates a progress bar.
   *
   * @param out where to draw
   * @param terminal true to redraw one line in place (when {@code System.console() != null})
   */
  public ProgressBar(PrintWriter out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
    this.lastDrawn = started;
  }

  @Override
  public synchronized void rows(String phase, long done, long estimatedTotal) {
    long now = System.nanoTime();
    long interval = terminal ? REDRAW_INTERVAL_NANOS : LOG_INTERVAL_NANOS;
    if (now - lastDrawn < interval) {
      return;
    }
    lastDrawn = now;
    String line = line(phase, done, estimatedTotal, (now - started) / 1e9);
    if (terminal) {
      out.print('\r' + line + "\u001b[K");
      lineOpen = true;
    } else {
      out.println(line);
    }
    out.flush();
  }

  @Override
  public synchronized void note(String line) {
    if (lineOpen) {
      out.print("\r\u001b[K");
      lineOpen = false;
    }
    out.println("  " + line);
    out.flush();
  }

  /** Ends the redrawn line, if any. */
  public synchronized void finish() {
    if (lineOpen) {
      out.print("\r\u001b[K");
      out.flush();
      lineOpen = false;
    }
  }

  static String line(String phase, long done, long total, double seconds) {
    double rate = seconds > 0 ? done / seconds : 0;
    StringBuilder sb = new StringBuilder("  ");
    if (total > 0) {
      double fraction = Math.min(1.0, (double) done / total);
      int filled = (int) Math.round(fraction * WIDTH);
      sb.append('[')
          .append("#".repeat(filled))
          .append(".".repeat(WIDTH - filled))
          .append(String.format(Locale.ROOT, "] %3.0f%% ", fraction * 100));
    }
    sb.append(String.format(Locale.ROOT, "%,d rows  %,.0f rows/s", done, rate));
    if (total > done && rate > 0) {
      long eta = (long) ((total - done) / rate);
      sb.append(String.format(Locale.ROOT, "  ETA %d:%02d", eta / 60, eta % 60));
    }
    return sb.append("  ").append(phase).toString();
  }
}
