package dev.carve.capture;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.capture.PreflightCheck.Level;
import dev.carve.capture.internal.TextWrap;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The results of a {@link Preflight} run, in the order the checks ran.
 *
 * @param connector the connector's name, never null
 * @param database where the checks ran, {@code host:port/dbname}, never null
 * @param results every check's result, never null
 */
public record PreflightReport(String connector, String database, List<PreflightCheck> results) {
  /** The exit code of {@code carve preflight} when no check is a {@link Level#BLOCKER}. */
  public static final int EXIT_READY = 0;

  /** The exit code of {@code carve preflight} when any check is a {@link Level#BLOCKER}. */
  public static final int EXIT_BLOCKED = 1;

  /** The width {@link #render()} wraps the table to. */
  public static final int DEFAULT_WIDTH = 120;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GAP = "  ";

  /** Checks the fields and copies the list. */
  public PreflightReport {
    Objects.requireNonNull(connector, "connector");
    Objects.requireNonNull(database, "database");
    results = List.copyOf(results);
  }

  /** The results at {@link Level#BLOCKER}, in order. */
  public List<PreflightCheck> blockers() {
    return atLevel(Level.BLOCKER);
  }

  /** The results at {@link Level#WARN}, in order. */
  public List<PreflightCheck> warnings() {
    return atLevel(Level.WARN);
  }

  /** True when no result is a {@link Level#BLOCKER}: the connector may be deployed. */
  public boolean ready() {
    return blockers().isEmpty();
  }

  /** {@link #EXIT_READY} (0) without blockers, {@link #EXIT_BLOCKED} (1) otherwise. */
  public int exitCode() {
    return ready() ? EXIT_READY : EXIT_BLOCKED;
  }

  /**
   * The results whose check has this name.
   *
   * @param name a check name, e.g. {@code wal_level}
   */
  public List<PreflightCheck> named(String name) {
    return results.stream().filter(r -> r.name().equals(name)).toList();
  }

  private List<PreflightCheck> atLevel(Level level) {
    return results.stream().filter(r -> r.level() == level).toList();
  }

  /** {@link #render(int)} at {@link #DEFAULT_WIDTH} columns. */
  public String render() {
    return render(DEFAULT_WIDTH);
  }

  /**
   * The report as a table (level, check, finding, fix; long text wrapped within its column)
   * followed by the verdict (wrapped to the width as well).
   *
   * @param width the maximum line width, at least 60
   */
  public String render(int width) {
    if (width < 60) {
      throw new IllegalArgumentException("width must be at least 60, not " + width);
    }
    int levelWidth = "BLOCKER".length();
    int checkWidth = "CHECK".length();
    for (PreflightCheck r : results) {
      checkWidth = Math.max(checkWidth, r.name().length());
    }
    checkWidth = Math.min(checkWidth, 24);
    int rest = width - levelWidth - checkWidth - 3 * GAP.length();
    int findingWidth = rest * 11 / 20;
    int fixWidth = rest - findingWidth;
    StringBuilder sb = new StringBuilder();
    row(
        sb,
        List.of("LEVEL"),
        List.of("CHECK"),
        List.of("FINDING"),
        List.of("FIX"),
        widths(levelWidth, checkWidth, findingWidth));
    row(
        sb,
        List.of("-".repeat(levelWidth)),
        List.of("-".repeat(checkWidth)),
        List.of("-".repeat(findingWidth)),
        List.of("-".repeat(fixWidth)),
        widths(levelWidth, checkWidth, findingWidth));
    for (PreflightCheck r : results) {
      row(
          sb,
          List.of(r.level().name()),
          TextWrap.wrap(r.name(), checkWidth),
          TextWrap.wrap(r.finding(), findingWidth),
          TextWrap.wrap(r.fix(), fixWidth),
          widths(levelWidth, checkWidth, findingWidth));
    }
    sb.append(System.lineSeparator());
    for (String line : TextWrap.wrap(verdict(), width)) {
      sb.append(line).append(System.lineSeparator());
    }
    return sb.toString();
  }

  private static int[] widths(int level, int check, int finding) {
    return new int[] {level, check, finding};
  }

  private static void row(
      StringBuilder sb,
      List<String> level,
      List<String> check,
      List<String> finding,
      List<String> fix,
      int[] widths) {
    int lines =
        Math.max(Math.max(level.size(), check.size()), Math.max(finding.size(), fix.size()));
    for (int i = 0; i < lines; i++) {
      String line =
          TextWrap.pad(cell(level, i), widths[0])
              + GAP
              + TextWrap.pad(cell(check, i), widths[1])
              + GAP
              + TextWrap.pad(cell(finding, i), widths[2])
              + GAP
              + cell(fix, i);
      sb.append(line.stripTrailing()).append(System.lineSeparator());
    }
  }

  private static String cell(List<String> lines, int i) {
    return i < lines.size() ? lines.get(i) : "";
  }

  /**
   * One line saying whether the connector may be deployed, e.g. {@code connector 'legacy-shop' on
   * localhost:5432/legacy_shop: 2 blockers, 1 warning; fix the blockers before deploying}.
   */
  public String verdict() {
    int b = blockers().size();
    int w = warnings().size();
    String counts = plural(b, "blocker") + ", " + plural(w, "warning");
    return String.format(
        Locale.ROOT,
        "connector '%s' on %s: %s; %s",
        connector,
        database,
        counts,
        b > 0
            ? "fix the blockers before deploying the connector"
            : w > 0 ? "ready to deploy (read the warnings)" : "ready to deploy");
  }

  private static String plural(int n, String word) {
    return n + " " + word + (n == 1 ? "" : "s");
  }

  /**
   * The report as JSON: {@code {"connector", "database", "ready", "blockers", "warnings",
   * "results": [{"level", "check", "finding", "fix"}]}}; {@code fix} is null for OK results.
   */
  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("connector", connector);
    root.put("database", database);
    root.put("ready", ready());
    root.put("blockers", blockers().size());
    root.put("warnings", warnings().size());
    ArrayNode list = root.putArray("results");
    for (PreflightCheck r : results) {
      ObjectNode n = list.addObject();
      n.put("level", r.level().name());
      n.put("check", r.name());
      n.put("finding", r.finding());
      n.put("fix", r.fix());
    }
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "Could not write the preflight report of connector '" + connector + "' as JSON", e);
    }
  }
}
