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
      assertThat(policy.decide(ABORTED, t + i).response())
          .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }
    // A fourth within the window is no stall but a broker that keeps refusing: stop.
    assertThat(policy.decide(ABORTED, t + 10).response())
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    // Once the first replacements are out of the window, a new stall is replaced again.
    assertThat(policy.decide(ABORTED, t + ThreadFailurePolicy.WINDOW_MS + 5).response())
        .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
  }

  @Test
  void everyOtherErrorStopsTheTransformer() {
    ThreadFailurePolicy policy = new ThreadFailurePolicy();
    assertThat(
            policy
                .decide(new StreamsException(new MappingException("unknown code 'Q'")), 1_000)
                .response())
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    assertThat(policy.decide(new IllegalStateException("boom"), 1_000).response())
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  @Test
  void unusableRegistryReplacesTheThreadAfterGrowingPausesThenStops() {
    ThreadFailurePolicy policy = new ThreadFailurePolicy();
    StreamsException down =
        new StreamsException(
            "Exception caught in process",
            dev.carve.transform.internal.RegistryUnavailableException.forTest(
                "HTTP 503 from http://registry:8081"));
    long t = 5_000_000;
    java.util.List<Long> pauses = new java.util.ArrayList<>();
    for (int i = 0; i < ThreadFailurePolicy.REGISTRY_REPLACEMENTS; i++) {
      ThreadFailurePolicy.Decision d = policy.decide(down, t + i);
      assertThat(d.response()).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
      assertThat(d.cause()).isEqualTo(ThreadFailurePolicy.Cause.REGISTRY_UNAVAILABLE);
      assertThat(d.attempt()).isEqualTo(i + 1);
      pauses.add(d.pauseMs());
    }
    assertThat(pauses)
        .startsWith(2_000L, 4_000L, 8_000L, 16_000L, 30_000L, 30_000L)
        .allSatisfy(
            p -> assertThat(p).isLessThanOrEqualTo(ThreadFailurePolicy.REGISTRY_MAX_PAUSE_MS));
    assertThat(policy.decide(down, t + 20))
        .as("a registry down past the budget stops the transformer")
        .isEqualTo(ThreadFailurePolicy.Decision.STOP);
    // The aborted transactions have a budget of their own.
    assertThat(policy.decide(ABORTED, t + 21).response())
        .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    // Out of the window, the registry is retried again, from the first pause.
    ThreadFailurePolicy.Decision later =
        policy.decide(down, t + ThreadFailurePolicy.WINDOW_MS + 30);
    assertThat(later.response()).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    assertThat(later.pauseMs()).isEqualTo(ThreadFailurePolicy.REGISTRY_FIRST_PAUSE_MS);
  }
}
