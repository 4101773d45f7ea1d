package dev.carve.cli.verify;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of a reconciliation of one service.
 *
 * @param service the service
 * @param entities one result per entity (target table)
 * @param windowed true when only part of the source was compared (a time window or a key set):
 *     target rows outside the compared keys were not reported as extra
 * @param unmappable source rows the service's mapping rejects (the pipeline dead-letters them), at
 *     most {@link Reconciler#MISMATCH_LIMIT}; they are not compared
 * @param unmappableCount how many source rows the mapping rejects
 */
public record ReconcileReport(
    String service,
    List<EntityResult> entities,
    boolean windowed,
    List<Unmappable> unmappable,
    long unmappableCount) {
  /** How many keys of each kind a report lists. */
  public static final int SAMPLE = 20;

  /** Creates a report of a whole-table comparison with no unmappable source row. */
  public ReconcileReport(String service, List<EntityResult> entities) {
    this(service, entities, false, List.of(), 0);
  }

  /**
   * A source row the mapping rejects: the transformer sends its changes to the dead-letter topic,
   * so the target cannot hold its mapping.
   *
   * @param table the monolith table
   * @param key the row's primary key, as read
   * @param error the mapping's error
   */
  public record Unmappable(String table, String key, String error) {}

  /** The kinds of difference between a target row and the mapped source. */
  public enum Kind {
    /** The mapping produces the key; the target lacks it. */
    MISSING,
    /** The target holds the key; the mapping does not produce it (or produces a delete). */
    EXTRA,
    /** Both hold the key with different values. */
    DIFFERENT
  }

  /**
   * A source row that produced (an upsert or a delete of) a target key.
   *
   * @param table the monolith table
   * @param key its primary-key column to value, as read (decimal text for numbers)
   */
  public record SourceKey(String table, Map<String, Object> key) {}

  /**
   * One mismatched target key, with what a repair needs.
   *
   * @param kind the kind of difference
   * @param key the canonical text of the target key ({@code field=value} pairs)
   * @param sources the source rows whose mapping produced this key, in reading order; empty when no
   *     source row maps to it (an extra row a snapshot cannot remove)
   * @param targetPosition the target row's stored position {@code [commit, change]}; null when the
   *     row is absent or holds no position
   */
  public record Mismatch(Kind kind, String key, List<SourceKey> sources, long[] targetPosition) {}

  /**
   * The comparison of one target table with the mapped source.
   *
   * @param entity the entity (table)
   * @param expectedRows rows the mapping of the source produces (in the compared scope)
   * @param actualRows rows in the target table (in the compared scope)
   * @param missing keys expected but absent (a sample of at most {@link #SAMPLE})
   * @param missingCount how many keys are missing
   * @param extra keys present but not expected (sample)
   * @param extraCount how many keys are extra
   * @param different keys whose row differs, with both versions of the differing fields (sample)
   * @param differentCount how many rows differ
   * @param mismatches every mismatched key up to {@link Reconciler#MISMATCH_LIMIT}, for a repair
   */
  public record EntityResult(
      String entity,
      long expectedRows,
      long actualRows,
      List<String> missing,
      long missingCount,
      List<String> extra,
      long extraCount,
      List<String> different,
      long differentCount,
      List<Mismatch> mismatches) {
    /** True when the table equals the mapped source. */
    public boolean equal() {
      return missingCount == 0 && extraCount == 0 && differentCount == 0;
    }

    /** How many keys mismatch. */
    public long mismatchCount() {
      return missingCount + extraCount + differentCount;
    }
  }

  /** True when every table equals the mapped source (unmappable source rows aside). */
  public boolean equal() {
    return entities.stream().allMatch(EntityResult::equal);
  }

  /** True when every table equals the mapped source and every source row could be mapped. */
  public boolean clean() {
    return equal() && unmappableCount == 0;
  }

  /** A one-line verdict per entity. */
  public String brief() {
    StringBuilder sb = new StringBuilder();
    for (EntityResult e : entities) {
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append(service).append('.').append(e.entity()).append(' ');
      if (e.equal()) {
        sb.append(String.format(Locale.ROOT, "%,d rows equal", e.actualRows()));
      } else {
        sb.append(
            String.format(
                Locale.ROOT,
                "%,d missing, %,d extra, %,d different",
                e.missingCount(),
                e.extraCount(),
                e.differentCount()));
      }
    }
    if (unmappableCount > 0) {
      sb.append(
          String.format(
              Locale.ROOT,
              "; %,d source row%s cannot be mapped",
              unmappableCount,
              unmappableCount == 1 ? "" : "s"));
    }
    return sb.toString();
  }

  /** The full report with sample keys, for a person. */
  public String render() {
    StringBuilder sb = new StringBuilder();
    String nl = System.lineSeparator();
    sb.append(
        String.format(
            Locale.ROOT,
            "  %-16s %12s %12s %9s %9s %9s  %s%n",
            "table",
            "expected",
            "actual",
            "missing",
            "extra",
            "different",
            "verdict"));
    for (EntityResult e : entities) {
      sb.append(
          String.format(
              Locale.ROOT,
              "  %-16s %,12d %,12d %,9d %,9d %,9d  %s%n",
              service + "." + e.entity(),
              e.expectedRows(),
              e.actualRows(),
              e.missingCount(),
              e.extraCount(),
              e.differentCount(),
              e.equal() ? "OK" : "MISMATCH"));
      e.missing().forEach(k -> sb.append("      missing   ").append(k).append(nl));
      e.extra().forEach(k -> sb.append("      extra     ").append(k).append(nl));
      e.different().forEach(k -> sb.append("      different ").append(k).append(nl));
      long listed = e.missing().size() + e.extra().size() + e.different().size();
      if (listed < e.mismatchCount()) {
        sb.append(
            String.format(Locale.ROOT, "      ... and %,d more%n", e.mismatchCount() - listed));
      }
    }
    if (unmappableCount > 0) {
      sb.append(
          String.format(
              Locale.ROOT,
              "  %,d source row%s cannot be mapped (their changes are in %s.dlq; not compared):%n",
              unmappableCount,
              unmappableCount == 1 ? "" : "s",
              service));
      unmappable.stream()
          .limit(SAMPLE)
          .forEach(
              u ->
                  sb.append("      ")
                      .append(u.table())
                      .append(' ')
                      .append(u.key())
                      .append(": ")
                      .append(u.error())
                      .append(nl));
      if (unmappable.size() > SAMPLE || unmappableCount > unmappable.size()) {
        sb.append(String.format(Locale.ROOT, "      ... and %,d more%n", unmappableCount - SAMPLE));
      }
    }
    return sb.toString();
  }
}
