package dev.carve.cli.metrics;

/** Adds the current figures of one component to a scrape; called on every scrape. */
@FunctionalInterface
public interface MetricsSource {
  /**
   * Adds samples to {@code scrape}. Must be cheap and must not block for long: Prometheus waits.
   *
   * @param scrape never null
   */
  void collect(Scrape scrape);
}
