package dev.carve.cli.runtime;

import java.time.Duration;
import java.util.Optional;

/**
 * One independently started and stopped piece of a running pipeline (capture, a service's
 * transformer or sink, the load generator). {@code carve up} runs several in one JVM; in production
 * each runs in its own process with the same lifecycle.
 */
public interface Part {
  /** A short name for messages: {@code capture}, {@code transform orders}, {@code sink orders}. */
  String name();

  /** Starts the part; returns once it runs (or throws naming what prevented it). */
  void start();

  /**
   * Stops the part cleanly within {@code timeout}: no new input, in-flight work finished or rolled
   * back, offsets committed.
   *
   * @return true when it stopped within the bound
   */
  boolean stop(Duration timeout);

  /** The error that stopped the part, when it failed on its own. */
  Optional<Throwable> failure();
}
