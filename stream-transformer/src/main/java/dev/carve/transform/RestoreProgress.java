package dev.carve.transform;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs the restoration of state stores (after a restart on an empty state directory, a rebalance,
 * or at every start for the key registry's global store): when it starts, at most every 10 s while
 * it runs (records restored of how many, per store and partition), and when it ends, so a start
 * that takes minutes says why.
 */
final class RestoreProgress implements StateRestoreListener {
  private static final Logger LOG = LoggerFactory.getLogger(RestoreProgress.class);
  private static final long EVERY_NANOS = 10_000_000_000L;

  private final String service;
  private final Map<TopicPartition, Progress> running = new ConcurrentHashMap<>();

  private static final class Progress {
    final long start = System.nanoTime();
    final long total;
    long restored;
    long lastLog = start;

    Progress(long total) {
      this.total = total;
    }
  }

  RestoreProgress(String service) {
    this.service = service;
  }

  @Override
  public void onRestoreStart(
      TopicPartition partition, String store, long startingOffset, long endingOffset) {
    long total = Math.max(0, endingOffset - startingOffset);
    running.put(partition, new Progress(total));
    if (total > 0) {
      LOG.info(
          "Service '{}': restoring store {} from {} (about {} records)",
          service,
          store,
          partition,
          total);
    }
  }

  @Override
  public void onBatchRestored(
      TopicPartition partition, String store, long batchEndOffset, long numRestored) {
    Progress p = running.get(partition);
    if (p == null) {
      return;
    }
    p.restored += numRestored;
    long now = System.nanoTime();
    if (now - p.lastLog >= EVERY_NANOS) {
      p.lastLog = now;
      LOG.info(
          "Service '{}': restoring store {} from {}: {} of about {} records, {} s",
          service,
          store,
          partition,
          p.restored,
          p.total,
          (now - p.start) / 1_000_000_000L);
    }
  }

  @Override
  public void onRestoreSuspended(TopicPartition partition, String store, long totalRestored) {
    // The task moved to another thread or instance mid-restore: it is not restoring here any more.
    running.remove(partition);
    LOG.info(
        "Service '{}': restoring store {} from {} suspended after {} records (the task moved)",
        service,
        store,
        partition,
        totalRestored);
  }

  @Override
  public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
    Progress p = running.remove(partition);
    if (totalRestored > 0) {
      LOG.info(
          "Service '{}': restored store {} from {}: {} records in {} ms",
          service,
          store,
          partition,
          totalRestored,
          p == null ? -1 : (System.nanoTime() - p.start) / 1_000_000L);
    }
  }
}
