package dev.carve.core.error;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * The one policy that decides what happens to a record a stage could not process: retry a transient
 * error while attempts remain, otherwise dead-letter or fail as the service's {@link OnError} says.
 */
public final class PoisonRecordPolicy {
  private final OnError onError;
  private final int maxAttempts;
  private final Predicate<Throwable> transientError;

  /**
   * Creates the policy.
   *
   * @param onError what to do with a record that fails for good
   * @param maxAttempts attempts for a transient error before it counts as permanent
   * @param transientError true for errors worth retrying
   */
  public PoisonRecordPolicy(OnError onError, int maxAttempts, Predicate<Throwable> transientError) {
    this.onError = Objects.requireNonNull(onError);
    this.maxAttempts = maxAttempts;
    this.transientError = Objects.requireNonNull(transientError);
  }

  /**
   * Decides for one failure.
   *
   * @param error what went wrong; never null
   * @param attempt how many attempts were made so far (1 after the first failure)
   */
  public Decision decide(Throwable error, int attempt) {
    if (transientError.test(error) && attempt < maxAttempts) {
      return Decision.RETRY;
    }
    return onError == OnError.DEAD_LETTER ? Decision.DEAD_LETTER : Decision.FAIL;
  }

  /** The configured behaviour for permanent failures. */
  public OnError onError() {
    return onError;
  }
}
