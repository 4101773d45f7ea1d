package dev.carve.core.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${NAME}}, {@code ${NAME:-default}} and {@code ${file:/path/to/secret}} in
 * configuration text, so secrets come from the environment or from files and never from the file
 * under version control. An unset variable without a default is an error naming the line.
 *
 * <p>Kafka Connect's config provider references are left as they are, for the Connect worker to
 * resolve, so a secret deployed to Connect never has to be written into its config topic: {@code
 * ${file:/path/secrets.properties:key}} (a {@code file:} reference with a key after a second
 * colon), {@code ${env:NAME}}, {@code ${directory:/path:file}} and any other {@code
 * ${provider:...}}.
 */
public final class Substitution {
  private static final Pattern REF = Pattern.compile("\\$\\{(file:[^}]+|[^}:]+)(?::-([^}]*))?}");

  /** {@code file:<path>:<key>}: Connect's FileConfigProvider, not a whole-file secret of Carve. */
  private static final Pattern CONNECT_FILE_REF = Pattern.compile("file:[^:]+:[^:/-][^:/]*");

  /** A Kafka Connect config provider reference: {@code ${provider:[path:]key}}. */
  public static final Pattern PROVIDER_REF =
      Pattern.compile("\\$\\{[A-Za-z][A-Za-z0-9_.-]*:(?!-)[^}]*}");

  private final Function<String, String> env;

  /** Substitution from the process environment. */
  public static Substitution fromEnvironment() {
    return new Substitution(System::getenv);
  }

  /** Substitution from a given lookup (tests, or a layered environment). */
  public Substitution(Function<String, String> env) {
    this.env = env;
  }

  /**
   * Substitutes every reference in {@code text}; lines starting with '#' are left alone.
   *
   * @param source the file name, for messages
   * @throws ConfigException naming every unresolved reference and its line
   */
  public String apply(String text, String source) {
    List<String> problems = new ArrayList<>();
    StringBuilder out = new StringBuilder();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (i > 0) {
        out.append('\n');
      }
      if (line.stripLeading().startsWith("#")) {
        out.append(line);
        continue;
      }
      Matcher m = REF.matcher(line);
      StringBuilder sb = new StringBuilder();
      while (m.find()) {
        String name = m.group(1).trim();
        String fallback = m.group(2);
        if (CONNECT_FILE_REF.matcher(name).matches()) {
          m.appendReplacement(sb, Matcher.quoteReplacement(m.group()));
          continue;
        }
        String value = resolve(name, source, i + 1, problems);
        if (value == null) {
          if (fallback != null) {
            value = fallback;
          } else if (!name.startsWith("file:")) {
            problems.add(
                "line "
                    + (i + 1)
                    + ": ${"
                    + name
                    + "} is not set; export "
                    + name
                    + " or write ${"
                    + name
                    + ":-default}");
            value = "";
          } else {
            value = "";
          }
        }
        m.appendReplacement(sb, Matcher.quoteReplacement(value));
      }
      m.appendTail(sb);
      out.append(sb);
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(source, problems);
    }
    return out.toString();
  }

  private String resolve(String name, String source, int line, List<String> problems) {
    if (name.startsWith("file:")) {
      Path path = Path.of(name.substring("file:".length()));
      try {
        return Files.readString(path, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        problems.add(
            "line " + line + ": cannot read secret file '" + path + "': " + e.getMessage());
        return null;
      }
    }
    return env.apply(name);
  }
}
