package dev.carve.core.retry;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place Carve retries: classifies an error as retriable or fatal, bounds attempts and delay
 * with exponential backoff, and restores the interrupt flag when interrupted.
 */
public final class Retrier {
  private static final Logger LOG = LoggerFactory.getLogger(Retrier.class);

  private final int maxAttempts;
  private final Duration initialDelay;
  private final Duration maxDelay;
  private final Predicate<Throwable> retriable;

  /** An action that may fail. */
  @FunctionalInterface
  public interface Action<T> {
    /** Runs the action once. */
    T run() throws Exception;
  }

  /**
   * Creates a retrier.
   *
   * @param maxAttempts total attempts including the first, at least 1
   * @param initialDelay delay after the first failure; doubled each time up to {@code maxDelay}
   * @param maxDelay the largest delay between attempts
   * @param retriable true for errors worth another attempt
   */
  public Retrier(
      int maxAttempts, Duration initialDelay, Duration maxDelay, Predicate<Throwable> retriable) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
    }
    this.maxAttempts = maxAttempts;
    this.initialDelay = Objects.requireNonNull(initialDelay);
    this.maxDelay = Objects.requireNonNull(maxDelay);
    this.retriable = Objects.requireNonNull(retriable);
  }

  /**
   * Runs {@code action} until it succeeds, fails with a fatal error, or runs out of attempts.
   *
   * @param what what is being done, for messages ("write batch to orders.order")
   * @throws RetriesExhaustedException after the last attempt or on a fatal error, saying "Failed to
   *     {@code what} after N attempts" with the last cause
   * @throws InterruptedException when interrupted while waiting (the flag is restored first)
   */
  public <T> T call(String what, Action<T> action) throws InterruptedException {
    long delay = initialDelay.toMillis();
    for (int attempt = 1; ; attempt++) {
      try {
        return action.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw e;
      } catch (Exception e) {
        boolean canRetry = retriable.test(e) && attempt < maxAttempts;
        if (!canRetry) {
          throw new RetriesExhaustedException(
              "Failed to "
                  + what
                  + " after "
                  + attempt
                  + " attempt"
                  + (attempt == 1 ? "" : "s")
                  + (retriable.test(e) ? "" : " (not retriable)")
                  + ": "
                  + e.getMessage(),
              e,
              attempt,
              retriable.test(e));
        }
        LOG.warn(
            "Attempt {} of {} to {} failed, retrying in {} ms: {}",
            attempt,
            maxAttempts,
            what,
            delay,
            e.toString());
        try {
          Thread.sleep(delay);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw ie;
        }
        delay = Math.min(delay * 2, maxDelay.toMillis());
      }
    }
  }

  /** The attempts this retrier makes at most. */
  public int maxAttempts() {
    return maxAttempts;
  }
}
