package dev.carve.sink;

/**
 * Which failure-log entries {@link FailureLog#list} returns.
 *
 * @param status only entries in this state; null for any
 * @param topic only entries of this topic; null for any
 * @param limit at most this many entries (oldest first), at least 1
 */
public record FailureFilter(FailureStatus status, String topic, int limit) {
  /** Checks the limit. */
  public FailureFilter {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
  }

  /** Every entry, up to 1000. */
  public static FailureFilter all() {
    return new FailureFilter(null, null, 1000);
  }

  /** Open entries, up to 1000. */
  public static FailureFilter open() {
    return new FailureFilter(FailureStatus.OPEN, null, 1000);
  }
}
