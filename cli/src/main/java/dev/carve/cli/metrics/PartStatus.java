package dev.carve.cli.metrics;

import java.util.Objects;

/**
 * Whether one part of the pipeline runs, for {@code carve_part_up} and {@code /health}.
 *
 * @param name the part ({@code capture}, {@code transform orders}, {@code sink orders}); never null
 * @param up true while the part runs
 * @param problem why it does not run ("starting", "stopped", the error); null when up
 */
public record PartStatus(String name, boolean up, String problem) {
  /** Checks the values. */
  public PartStatus {
    Objects.requireNonNull(name, "name");
  }

  /** A running part. */
  public static PartStatus up(String name) {
    return new PartStatus(name, true, null);
  }

  /** A part that does not run, with the reason. */
  public static PartStatus down(String name, String problem) {
    return new PartStatus(name, false, problem);
  }
}
