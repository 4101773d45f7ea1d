package dev.carve.cli;

import dev.carve.core.config.ConfigOption;
import java.time.Duration;
import picocli.CommandLine;

/** Parses durations given on the command line, with the same syntax as carve.yaml's. */
final class CliDurations {
  private CliDurations() {}

  /**
   * Parses {@code value} of {@code option}; only positive durations are accepted.
   *
   * @throws CommandLine.ParameterException naming the option and the expected form
   */
  static Duration parse(CommandLine.Model.CommandSpec spec, String option, String value) {
    Duration d;
    try {
      d = ConfigOption.parseDuration(value);
    } catch (IllegalArgumentException e) {
      d = null;
    }
    if (d == null || d.isZero() || d.isNegative()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          option + " takes a positive duration such as 500ms, 30s, 5m or 2h, not '" + value + "'");
    }
    return d;
  }

  /**
   * Parses {@code value} of {@code option}: a positive duration, or {@code 0} (also with a unit)
   * for none.
   *
   * @throws CommandLine.ParameterException naming the option and the expected form
   */
  static Duration parseOrZero(CommandLine.Model.CommandSpec spec, String option, String value) {
    if (value != null && value.trim().matches("0+(ms|s|m|h|d)?")) {
      return Duration.ZERO;
    }
    try {
      return parse(spec, option, value);
    } catch (CommandLine.ParameterException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          option
              + " takes 0 or a positive duration such as 500ms, 30s, 5m or 2h, not '"
              + value
              + "'");
    }
  }
}
