package dev.carve.capture;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.utils.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the shared test broker from halting the test JVM while it shuts down. When the JVM exits,
 * the broker of {@code TestKafka} is closed by a shutdown hook; its log-dir failure handler may
 * then call {@code Exit.halt(1)} (seen when a compacted topic is still being cleaned), which makes
 * failsafe report "Error occurred in starting fork" although every test passed. Exits and halts
 * requested by Kafka before shutdown begins still happen as usual.
 */
final class BrokerShutdownGuard {
  private static final Logger LOG = LoggerFactory.getLogger(BrokerShutdownGuard.class);
  private static final AtomicBoolean INSTALLED = new AtomicBoolean();
  private static final AtomicBoolean SHUTTING_DOWN = new AtomicBoolean();

  private BrokerShutdownGuard() {}

  static void install() {
    if (!INSTALLED.compareAndSet(false, true)) {
      return;
    }
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> SHUTTING_DOWN.set(true), "broker-shutdown-guard"));
    Exit.setHaltProcedure(
        (code, message) -> {
          if (SHUTTING_DOWN.get()) {
            LOG.warn("Ignored Kafka's halt({}) during JVM shutdown: {}", code, message);
          } else {
            Runtime.getRuntime().halt(code);
          }
        });
    Exit.setExitProcedure(
        (code, message) -> {
          if (SHUTTING_DOWN.get()) {
            LOG.warn("Ignored Kafka's exit({}) during JVM shutdown: {}", code, message);
          } else {
            System.exit(code);
          }
        });
  }
}
