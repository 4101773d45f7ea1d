package dev.carve.transform;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RestoreProgressTest {

  @Test
  void restorationSaysWhichStoreFromWhereHowManyAndHowLong() {
    Logger logger = (Logger) LoggerFactory.getLogger(RestoreProgress.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    try {
      RestoreProgress progress = new RestoreProgress("orders");
      TopicPartition registry = new TopicPartition("carve.legacy-keys", 0);
      progress.onRestoreStart(registry, "orders-legacy-keys", 0, 1_000);
      progress.onBatchRestored(registry, "orders-legacy-keys", 500, 500);
      progress.onBatchRestored(registry, "orders-legacy-keys", 1_000, 500);
      progress.onRestoreEnd(registry, "orders-legacy-keys", 1_000);
      // Nothing to restore: nothing to say.
      TopicPartition empty = new TopicPartition("carve-orders-orders-rows-changelog", 0);
      progress.onRestoreStart(empty, "orders-orders-rows", 7, 7);
      progress.onRestoreEnd(empty, "orders-orders-rows", 0);

      assertThat(logged.list)
          .extracting(ILoggingEvent::getFormattedMessage)
          .containsExactly(
              "Service 'orders': restoring store orders-legacy-keys from carve.legacy-keys-0"
                  + " (about 1000 records)",
              logged.list.get(1).getFormattedMessage());
      assertThat(logged.list.get(1).getFormattedMessage())
          .startsWith(
              "Service 'orders': restored store orders-legacy-keys from carve.legacy-keys-0: 1000"
                  + " records in ")
          .endsWith(" ms");
    } finally {
      logger.detachAppender(logged);
    }
  }
}
