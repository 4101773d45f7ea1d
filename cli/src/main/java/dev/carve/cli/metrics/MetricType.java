package dev.carve.cli.metrics;

import java.util.Locale;

/** The type of a metric family, as written on its {@code # TYPE} line. */
public enum MetricType {
  /** A value that only goes up (reset to 0 when the process restarts); named {@code *_total}. */
  COUNTER,
  /** A value that goes up and down. */
  GAUGE,
  /** Observations summed: samples {@code <name>_sum} and {@code <name>_count}, no quantiles. */
  SUMMARY;

  /** The word on the {@code # TYPE} line: {@code counter}, {@code gauge}, {@code summary}. */
  public String exposition() {
    return name().toLowerCase(Locale.ROOT);
  }
}
