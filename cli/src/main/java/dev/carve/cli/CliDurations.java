package dev.carve.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Parses durations given on the command line ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}).
 */
final class CliDurations {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

  private CliDurations() {}

  /**
   * Parses {@code value} of {@code option}.
   *
   * @throws CommandLine.ParameterException naming the option and the expected form
   */
  static Duration parse(CommandLine.Model.CommandSpec spec, String option, String value) {
    Matcher m = DURATION.matcher(value.trim().toLowerCase(Locale.ROOT));
    if (!m.matches() || Long.parseLong(m.group(1)) <= 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          option + " takes a positive duration such as 500ms, 30s, 5m or 2h, not '" + value + "'");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }
}
