package dev.carve.schemas;

import java.util.List;

/**
 * A set of Avro contracts that cannot be used: every problem found, each naming the file and what
 * is wrong with it.
 */
public class SchemaCatalogException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  /**
   * Creates the exception.
   *
   * @param source where the schemas were loaded from (a directory or "the classpath")
   * @param problems one sentence per problem, non-empty
   */
  public SchemaCatalogException(String source, List<String> problems) {
    super(format(source, problems));
    this.problems = List.copyOf(problems);
  }

  /** The problems, one sentence each, each naming its file. */
  public List<String> problems() {
    return problems;
  }

  private static String format(String source, List<String> problems) {
    if (problems.size() == 1) {
      return "Invalid Avro schemas in " + source + ": " + problems.get(0);
    }
    StringBuilder sb =
        new StringBuilder(
            "Invalid Avro schemas in " + source + " (" + problems.size() + " problems):");
    for (String p : problems) {
      sb.append(System.lineSeparator()).append("  - ").append(p);
    }
    return sb.toString();
  }
}
