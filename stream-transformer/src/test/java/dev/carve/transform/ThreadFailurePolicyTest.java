package dev.carve.transform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.transform.api.MappingException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class ThreadFailurePolicyTest {
  private static final StreamsException ABORTED =
      new StreamsException(
          "task [0_0] Abort sending since an error caught with a previous record",
          new InvalidTxnStateException(
              "The producer attempted a transactional operation in an" + " invalid state."));

  @Test
  void abortedTransactionOfAStalledThreadReplacesTheThreadAFewTimesPerWindow() {
    ThreadFailurePolicy policy = new ThreadFailurePolicy();
    long t = 1_000_000;
    for (int i = 0; i < ThreadFailurePolicy.REPLACEMENTS; i++) {
      assertThat(policy.decide(ABORTED, t + i))
          .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }
    // A fourth within the window is no stall but a broker that keeps refusing: stop.
    assertThat(policy.decide(ABORTED, t + 10))
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    // Once the first replacements are out of the window, a new stall is replaced again.
    assertThat(policy.decide(ABORTED, t + ThreadFailurePolicy.WINDOW_MS + 5))
        .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
  }

  @Test
  void everyOtherErrorStopsTheTransformer() {
    ThreadFailurePolicy policy = new ThreadFailurePolicy();
    assertThat(policy.decide(new StreamsException(new MappingException("unknown code 'Q'")), 1_000))
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    assertThat(policy.decide(new IllegalStateException("boom"), 1_000))
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }
}
