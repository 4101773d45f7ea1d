package dev.carve.cli.verify;

import java.util.List;
import java.util.Locale;

/**
 * The outcome of a reconciliation of one service.
 *
 * @param service the service
 * @param entities one result per entity (target table)
 */
public record ReconcileReport(String service, List<EntityResult> entities) {
  /** How many keys of each kind a report lists. */
  public static final int SAMPLE = 20;

  /**
   * The comparison of one target table with the mapped source.
   *
   * @param entity the entity (table)
   * @param expectedRows rows the mapping of the source produces
   * @param actualRows rows in the target table
   * @param missing keys expected but absent (a sample of at most {@link #SAMPLE})
   * @param missingCount how many keys are missing
   * @param extra keys present but not expected (sample)
   * @param extraCount how many keys are extra
   * @param different keys whose row differs, with both versions (sample)
   * @param differentCount how many rows differ
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
      long differentCount) {
    /** True when the table equals the mapped source. */
    public boolean equal() {
      return missingCount == 0 && extraCount == 0 && differentCount == 0;
    }
  }

  /** True when every table equals the mapped source. */
  public boolean equal() {
    return entities.stream().allMatch(EntityResult::equal);
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
    return sb.toString();
  }

  /** The full report with sample keys, for a person. */
  public String render() {
    StringBuilder sb = new StringBuilder();
    for (EntityResult e : entities) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%-10s %-14s expected %,10d  actual %,10d  missing %,d  extra %,d  different %,d  %s%n",
              service,
              e.entity(),
              e.expectedRows(),
              e.actualRows(),
              e.missingCount(),
              e.extraCount(),
              e.differentCount(),
              e.equal() ? "OK" : "MISMATCH"));
      e.missing()
          .forEach(k -> sb.append("    missing   ").append(k).append(System.lineSeparator()));
      e.extra().forEach(k -> sb.append("    extra     ").append(k).append(System.lineSeparator()));
      e.different()
          .forEach(k -> sb.append("    different ").append(k).append(System.lineSeparator()));
    }
    return sb.toString();
  }
}
