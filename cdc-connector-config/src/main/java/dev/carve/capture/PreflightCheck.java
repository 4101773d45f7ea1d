package dev.carve.capture;

import java.util.Objects;

/**
 * The result of one preflight check on the monolith's database: a level, a one-line finding and,
 * unless it is {@link Level#OK}, the fix.
 *
 * @param name the check, e.g. {@code wal_level} or {@code replica identity}; never null
 * @param level how serious the finding is; never null
 * @param finding what was found, one line; never null
 * @param fix what to do about it, one line; null when there is nothing to do
 */
public record PreflightCheck(String name, Level level, String finding, String fix) {

  /** How serious a finding is. */
  public enum Level {
    /** Nothing to do. */
    OK,
    /** The connector will run, but something deserves attention. */
    WARN,
    /** The connector will fail, or lose or break data, until this is fixed. */
    BLOCKER
  }

  /** Checks the fields and flattens finding and fix to one line each. */
  public PreflightCheck {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(level, "level");
    Objects.requireNonNull(finding, "finding");
    finding = oneLine(finding);
    fix = fix == null || fix.isBlank() ? null : oneLine(fix);
    if (level != Level.OK && fix == null) {
      throw new IllegalArgumentException(
          "Check '" + name + "' is " + level + " and needs a fix; only OK results have none");
    }
  }

  /** A passed check. */
  public static PreflightCheck ok(String name, String finding) {
    return new PreflightCheck(name, Level.OK, finding, null);
  }

  /** A finding that deserves attention, with its fix (never null). */
  public static PreflightCheck warn(String name, String finding, String fix) {
    return new PreflightCheck(name, Level.WARN, finding, fix);
  }

  /** A finding that stops the connector until fixed, with its fix (never null). */
  public static PreflightCheck blocker(String name, String finding, String fix) {
    return new PreflightCheck(name, Level.BLOCKER, finding, fix);
  }

  private static String oneLine(String text) {
    return text.strip().replaceAll("\\s*\\R\\s*", " ");
  }
}
