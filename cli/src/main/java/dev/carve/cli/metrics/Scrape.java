package dev.carve.cli.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The samples of one scrape, grouped into families, filled by every {@link MetricsSource} in turn.
 * Several sources may add to the same family (one per service, say); the family is declared once,
 * so {@link PrometheusText} writes its {@code # HELP} and {@code # TYPE} lines once. Not
 * thread-safe: one scrape is collected by one thread.
 */
public final class Scrape {
  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  private final Map<String, Family> families = new LinkedHashMap<>();

  /**
   * One sample line.
   *
   * @param suffix appended to the family name ({@code _sum}, {@code _count}); empty for none
   * @param labels label names and values, in order; never null
   * @param value the value (NaN and infinities are allowed)
   */
  public record Sample(String suffix, Map<String, String> labels, double value) {
    /** Copies the labels, keeping their order. */
    public Sample {
      Objects.requireNonNull(suffix, "suffix");
      labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    }
  }

  /** A metric family: one name, type and help text, any number of samples. */
  public static final class Family {
    private final String name;
    private final MetricType type;
    private final String help;
    private final List<Sample> samples = new ArrayList<>();

    private Family(String name, MetricType type, String help) {
      this.name = name;
      this.type = type;
      this.help = help;
    }

    /** The family name ({@code carve_sink_rows_upserted_total}). */
    public String name() {
      return name;
    }

    /** The type. */
    public MetricType type() {
      return type;
    }

    /** The help text. */
    public String help() {
      return help;
    }

    /** The samples added so far, in order. */
    public List<Sample> samples() {
      return Collections.unmodifiableList(samples);
    }

    /**
     * Adds a sample.
     *
     * @param labels label name, value, name, value, ...; a null value is written as empty
     * @return this family
     * @throws IllegalArgumentException when a label name is invalid or a value is missing
     */
    public Family add(double value, String... labels) {
      return add("", value, labels);
    }

    /**
     * Adds a sample of a summary: {@code suffix} is {@code _sum} or {@code _count}.
     *
     * @return this family
     * @throws IllegalArgumentException when the suffix or a label is invalid
     */
    public Family add(String suffix, double value, String... labels) {
      if (!suffix.isEmpty() && !(type == MetricType.SUMMARY && isSummarySuffix(suffix))) {
        throw new IllegalArgumentException(
            "Metric '" + name + "' (" + type.exposition() + ") has no samples '" + suffix + "'");
      }
      if (labels.length % 2 != 0) {
        throw new IllegalArgumentException(
            "Labels of metric '" + name + "' must come in name/value pairs, got " + labels.length);
      }
      Map<String, String> map = new LinkedHashMap<>();
      for (int i = 0; i < labels.length; i += 2) {
        String label = labels[i];
        if (label == null || !LABEL_NAME.matcher(label).matches() || label.startsWith("__")) {
          throw new IllegalArgumentException(
              "Metric '" + name + "' has an invalid label name '" + label + "'");
        }
        map.put(label, labels[i + 1] == null ? "" : labels[i + 1]);
      }
      samples.add(new Sample(suffix, map, value));
      return this;
    }

    private static boolean isSummarySuffix(String suffix) {
      return suffix.equals("_sum") || suffix.equals("_count");
    }
  }

  /** A counter family; see {@link #family}. */
  public Family counter(String name, String help) {
    return family(name, MetricType.COUNTER, help);
  }

  /** A gauge family; see {@link #family}. */
  public Family gauge(String name, String help) {
    return family(name, MetricType.GAUGE, help);
  }

  /** A summary family (sum and count only); see {@link #family}. */
  public Family summary(String name, String help) {
    return family(name, MetricType.SUMMARY, help);
  }

  /**
   * The family of that name, declared now or by an earlier source.
   *
   * @throws IllegalArgumentException when the name is invalid, or it was declared with another type
   */
  public Family family(String name, MetricType type, String help) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(help, "help");
    if (name == null || !METRIC_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("Invalid metric name '" + name + "'");
    }
    Family f = families.computeIfAbsent(name, n -> new Family(n, type, help));
    if (f.type != type) {
      throw new IllegalArgumentException(
          "Metric '"
              + name
              + "' is declared as "
              + f.type.exposition()
              + " and as "
              + type.exposition());
    }
    return f;
  }

  /** The families, in the order they were first declared. */
  public List<Family> families() {
    return List.copyOf(families.values());
  }
}
