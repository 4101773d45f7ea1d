package dev.carve.transform;

import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

/**
 * What a stream thread's fatal error does to the transformer: stop it ({@code SHUTDOWN_CLIENT}),
 * except for the one error a Kafka 4.1.0 broker gives a producer whose transaction it aborted
 * during a stall: {@code InvalidTxnStateException} (KAFKA-19690; brokers with the fix answer {@code
 * InvalidProducerEpochException}, which Kafka Streams recovers from itself). Then the thread is
 * replaced: the broker has aborted the failed thread's transaction already, and under
 * exactly_once_v2 the new thread (with a transactional id of its own) resumes the tasks from their
 * committed offsets, so nothing is lost or written twice. At most {@link #REPLACEMENTS} times per
 * {@link #WINDOW_MS}; more is no stall but a broken broker, and stops.
 */
final class ThreadFailurePolicy {
  static final int REPLACEMENTS = 3;
  static final long WINDOW_MS = 10 * 60 * 1000L;

  private final Deque<Long> replaced = new ArrayDeque<>();

  /** The response to {@code error} at {@code nowMs}. */
  synchronized StreamThreadExceptionResponse decide(Throwable error, long nowMs) {
    if (!abortedTransaction(error)) {
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    while (!replaced.isEmpty() && nowMs - replaced.peekFirst() >= WINDOW_MS) {
      replaced.removeFirst();
    }
    if (replaced.size() >= REPLACEMENTS) {
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    replaced.addLast(nowMs);
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }

  /** Is {@code error} (or a cause) the aborted transaction's {@code InvalidTxnStateException}? */
  static boolean abortedTransaction(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof InvalidTxnStateException) {
        return true;
      }
    }
    return false;
  }
}
