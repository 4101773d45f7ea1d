package dev.carve.core.config;

import java.util.List;

/**
 * Configuration that cannot be used, with every problem found (not just the first). Each problem
 * names the key, the value and what is allowed.
 */
public class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  /** Creates the exception from a non-empty list of problems. */
  public ConfigException(String source, List<String> problems) {
    super(format(source, problems));
    this.problems = List.copyOf(problems);
  }

  /** Creates the exception from one problem. */
  public ConfigException(String source, String problem) {
    this(source, List.of(problem));
  }

  /** The problems, one sentence each. */
  public List<String> problems() {
    return problems;
  }

  private static String format(String source, List<String> problems) {
    if (problems.size() == 1) {
      return "Invalid configuration in " + source + ": " + problems.get(0);
    }
    StringBuilder sb =
        new StringBuilder(
            "Invalid configuration in " + source + " (" + problems.size() + " problems):");
    for (String p : problems) {
      sb.append(System.lineSeparator()).append("  - ").append(p);
    }
    return sb.toString();
  }
}
