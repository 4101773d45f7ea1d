package dev.carve.transform;

import dev.carve.transform.internal.RegistryUnavailableException;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

/**
 * What a stream thread's fatal error does to the transformer: stop it ({@code SHUTDOWN_CLIENT}),
 * except for two errors that are no fault of the changes, after which the thread is replaced. Under
 * exactly_once_v2 the failed thread's open transaction is aborted, and the new thread (with a
 * transactional id of its own) resumes its tasks from their committed offsets, so nothing is lost
 * or written twice.
 *
 * <ul>
 *   <li>The error a Kafka 4.1.0 broker gives a producer whose transaction it aborted during a
 *       stall: {@code InvalidTxnStateException} (KAFKA-19690; brokers with the fix answer {@code
 *       InvalidProducerEpochException}, which Kafka Streams recovers from itself). At most {@link
 *       #REPLACEMENTS} times per {@link #WINDOW_MS}; more is no stall but a broken broker.
 *   <li>A schema registry that could not be used ({@link RegistryUnavailableException}: not
 *       reached, or refusing the client): the thread is replaced after a pause growing from {@link
 *       #REGISTRY_FIRST_PAUSE_MS} to {@link #REGISTRY_MAX_PAUSE_MS}, at most {@link
 *       #REGISTRY_REPLACEMENTS} times per {@link #WINDOW_MS} (about five minutes of pauses), so a
 *       registry restart or a short outage does not stop the service; one down for longer does.
 * </ul>
 */
final class ThreadFailurePolicy {
  static final int REPLACEMENTS = 3;
  static final int REGISTRY_REPLACEMENTS = 12;
  static final long REGISTRY_FIRST_PAUSE_MS = 2_000;
  static final long REGISTRY_MAX_PAUSE_MS = 30_000;
  static final long WINDOW_MS = 10 * 60 * 1000L;

  /** Why a thread is replaced. */
  enum Cause {
    ABORTED_TRANSACTION,
    REGISTRY_UNAVAILABLE
  }

  /**
   * A decision.
   *
   * @param response what Kafka Streams does with the thread
   * @param cause why it is replaced; null when the transformer stops
   * @param pauseMs how long to wait before the replacement starts
   * @param attempt the replacement's number within the window (1 for the first)
   */
  record Decision(StreamThreadExceptionResponse response, Cause cause, long pauseMs, int attempt) {
    static final Decision STOP =
        new Decision(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, null, 0, 0);
  }

  private final Deque<Long> aborted = new ArrayDeque<>();
  private final Deque<Long> registry = new ArrayDeque<>();

  /** The decision on {@code error} at {@code nowMs}. */
  synchronized Decision decide(Throwable error, long nowMs) {
    if (has(error, InvalidTxnStateException.class)) {
      return replace(aborted, REPLACEMENTS, nowMs, Cause.ABORTED_TRANSACTION, 0);
    }
    if (has(error, RegistryUnavailableException.class)) {
      long pause =
          Math.min(
              REGISTRY_MAX_PAUSE_MS,
              REGISTRY_FIRST_PAUSE_MS << Math.min(16, recent(registry, nowMs)));
      return replace(registry, REGISTRY_REPLACEMENTS, nowMs, Cause.REGISTRY_UNAVAILABLE, pause);
    }
    return Decision.STOP;
  }

  private static Decision replace(
      Deque<Long> times, int budget, long nowMs, Cause cause, long pauseMs) {
    if (recent(times, nowMs) >= budget) {
      return Decision.STOP;
    }
    times.addLast(nowMs);
    return new Decision(StreamThreadExceptionResponse.REPLACE_THREAD, cause, pauseMs, times.size());
  }

  /** Replacements within the window before {@code nowMs}, dropping older ones. */
  private static int recent(Deque<Long> times, long nowMs) {
    while (!times.isEmpty() && nowMs - times.peekFirst() >= WINDOW_MS) {
      times.removeFirst();
    }
    return times.size();
  }

  /** Is {@code error} or one of its causes a {@code type}? */
  static boolean has(Throwable error, Class<? extends Throwable> type) {
    return find(error, type) != null;
  }

  /** {@code error} or its first cause that is a {@code type}; null when none is. */
  static <T extends Throwable> T find(Throwable error, Class<T> type) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
