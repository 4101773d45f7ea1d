package dev.carve.cli.metrics;

import java.util.Map;

/**
 * Writes a {@link Scrape} in Prometheus' text exposition format, version 0.0.4: per family one
 * {@code # HELP} and one {@code # TYPE} line, then one {@code name{label="value"} value} line per
 * sample. Families without samples are left out.
 */
public final class PrometheusText {
  /** The {@code Content-Type} of the format. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private PrometheusText() {}

  /** The scrape as exposition text, ending with a newline (empty when there are no samples). */
  public static String write(Scrape scrape) {
    StringBuilder sb = new StringBuilder();
    for (Scrape.Family f : scrape.families()) {
      if (f.samples().isEmpty()) {
        continue;
      }
      sb.append("# HELP ").append(f.name()).append(' ').append(escapeHelp(f.help())).append('\n');
      sb.append("# TYPE ").append(f.name()).append(' ').append(f.type().exposition()).append('\n');
      for (Scrape.Sample s : f.samples()) {
        sb.append(f.name()).append(s.suffix());
        if (!s.labels().isEmpty()) {
          sb.append('{');
          boolean first = true;
          for (Map.Entry<String, String> l : s.labels().entrySet()) {
            if (!first) {
              sb.append(',');
            }
            first = false;
            sb.append(l.getKey()).append("=\"").append(escapeLabelValue(l.getValue())).append('"');
          }
          sb.append('}');
        }
        sb.append(' ').append(value(s.value())).append('\n');
      }
    }
    return sb.toString();
  }

  /** Escapes a label value: backslash, double quote and line feed. */
  static String escapeLabelValue(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  /** Escapes help text: backslash and line feed. */
  static String escapeHelp(String help) {
    return help.replace("\\", "\\\\").replace("\n", "\\n");
  }

  /** A value: integers without a fraction, {@code NaN}, {@code +Inf}, {@code -Inf}. */
  static String value(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }
}
