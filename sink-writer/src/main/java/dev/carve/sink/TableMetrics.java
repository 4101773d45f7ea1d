package dev.carve.sink;

/**
 * Counts for one target table since the sink started.
 *
 * @param upserted rows inserted or updated
 * @param deleted deletes applied
 * @param skippedAsOlder records not applied because the stored row or tombstone was as new or newer
 *     (duplicates, redeliveries, reordered or replayed changes)
 */
public record TableMetrics(long upserted, long deleted, long skippedAsOlder) {}
