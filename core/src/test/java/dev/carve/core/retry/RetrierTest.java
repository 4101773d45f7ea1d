package dev.carve.core.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetrierTest {
  private final Retrier retrier =
      new Retrier(3, Duration.ofMillis(1), Duration.ofMillis(4), e -> e instanceof IOException);

  @Test
  void retriesTransientErrorsUntilSuccess() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    String result =
        retrier.call(
            "read",
            () -> {
              if (calls.incrementAndGet() < 3) {
                throw new IOException("connection reset");
              }
              return "ok";
            });
    assertThat(result).isEqualTo("ok");
    assertThat(calls).hasValue(3);
  }

  @Test
  void givesUpAfterMaxAttemptsSayingWhat() {
    assertThatThrownBy(
            () ->
                retrier.call(
                    "write batch to orders.order",
                    () -> {
                      throw new IOException("down");
                    }))
        .isInstanceOf(RetriesExhaustedException.class)
        .hasMessageContaining("Failed to write batch to orders.order after 3 attempts: down");
  }

  @Test
  void fatalErrorsAreNotRetried() {
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(
            () ->
                retrier.call(
                    "parse",
                    () -> {
                      calls.incrementAndGet();
                      throw new IllegalStateException("bad");
                    }))
        .isInstanceOf(RetriesExhaustedException.class)
        .hasMessageContaining("after 1 attempt (not retriable)");
    assertThat(calls).hasValue(1);
  }

  @Test
  void interruptedWaitRestoresTheFlag() {
    Thread.currentThread().interrupt();
    var slow = new Retrier(3, Duration.ofSeconds(5), Duration.ofSeconds(5), e -> true);
    assertThatThrownBy(
            () ->
                slow.call(
                    "wait",
                    () -> {
                      throw new IOException("x");
                    }))
        .isInstanceOf(InterruptedException.class);
    assertThat(Thread.interrupted()).isTrue();
  }
}
