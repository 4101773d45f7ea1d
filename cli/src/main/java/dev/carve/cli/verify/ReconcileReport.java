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
 * @param keys the new keys the mapping allocated, checked for collisions
 */
public record ReconcileReport(
    String service,
    List<EntityResult> entities,
    boolean windowed,
    List<Unmappable> unmappable,
    long unmappableCount,
    Keys keys) {
  /** How many keys of each kind a report lists. */
  public static final int SAMPLE = 20;

  /** Creates a report of a whole-table comparison with no unmappable source row. */
  public ReconcileReport(String service, List<EntityResult> entities) {
    this(service, entities, false, List.of(), 0, Keys.NONE);
  }

  /**
   * A new key the allocation gave to more than one legacy value of its namespace: their rows share
   * one target row (or reference), which no comparison of rows can repair.
   *
   * @param namespace the key space, e.g. {@code customer}
   * @param key the new key
   * @param legacyValues the legacy values it was given to, sorted
   */
  public record KeyCollision(String namespace, long key, List<String> legacyValues) {}

  /**
   * The new keys the mapping of the compared source allocated ({@code allocate:} in a YAML mapping,
   * {@code LegacyKeys.allocate} in Java).
   *
   * @param checked distinct new keys by namespace
   * @param collisions keys given to more than one legacy value (a sample of at most {@link
   *     #SAMPLE})
   * @param collisionCount how many keys were given to more than one legacy value
   */
  public record Keys(
      Map<String, Long> checked, List<KeyCollision> collisions, long collisionCount) {
    /** No key allocated. */
    public static final Keys NONE = new Keys(Map.of(), List.of(), 0);

    /** A line for a person: the keys checked by namespace, or the collisions. */
    String summary() {
      StringBuilder sb = new StringBuilder();
      checked.forEach(
          (namespace, n) ->
              sb.append(sb.length() == 0 ? "" : ", ")
                  .append(String.format(Locale.ROOT, "%s %,d", namespace, n)));
      return collisionCount == 0
          ? "new keys (" + sb + "): each belongs to one legacy value"
          : String.format(
              Locale.ROOT,
              "KEY COLLISION: %,d new key%s given to more than one legacy value (%s)",
              collisionCount,
              collisionCount == 1 ? "" : "s",
              sb);
    }
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

  /**
   * True when every table equals the mapped source (unmappable source rows aside) and no new key
   * belongs to two legacy values.
   */
  public boolean equal() {
    return entities.stream().allMatch(EntityResult::equal) && keys.collisionCount() == 0;
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
    if (keys.collisionCount() > 0) {
      sb.append("; ").append(keys.summary());
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
    if (!keys.checked().isEmpty()) {
      sb.append("  ").append(keys.summary()).append(nl);
    }
    for (KeyCollision c : keys.collisions()) {
      sb.append(
          String.format(
              Locale.ROOT,
              "      %s %d was given to %s: their rows share one target row%n",
              c.namespace(),
              c.key(),
              String.join(", ", c.legacyValues().stream().map(v -> "'" + v + "'").toList())));
    }
    if (keys.collisionCount() > keys.collisions().size()) {
      sb.append(
          String.format(
              Locale.ROOT,
              "      ... and %,d more%n",
              keys.collisionCount() - keys.collisions().size()));
    }
    return sb.toString();
  }
}
