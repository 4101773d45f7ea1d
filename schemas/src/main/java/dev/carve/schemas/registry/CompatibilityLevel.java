package dev.carve.schemas.registry;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The compatibility levels of the Confluent Schema Registry. BACKWARD: the new schema reads data
 * written with the latest one; FORWARD: the latest schema reads data written with the new one;
 * FULL: both. The {@code _TRANSITIVE} forms check against every earlier version instead of the
 * latest; NONE checks nothing.
 */
public enum CompatibilityLevel {
  /** No check. */
  NONE(false, false, false),
  /** The new schema reads data of the latest version (the registry's default). */
  BACKWARD(true, false, false),
  /** The new schema reads data of every earlier version. */
  BACKWARD_TRANSITIVE(true, false, true),
  /** The latest version reads data of the new schema. */
  FORWARD(false, true, false),
  /** Every earlier version reads data of the new schema. */
  FORWARD_TRANSITIVE(false, true, true),
  /** BACKWARD and FORWARD against the latest version. */
  FULL(true, true, false),
  /** BACKWARD and FORWARD against every earlier version. */
  FULL_TRANSITIVE(true, true, true);

  private final boolean backward;
  private final boolean forward;
  private final boolean transitive;

  CompatibilityLevel(boolean backward, boolean forward, boolean transitive) {
    this.backward = backward;
    this.forward = forward;
    this.transitive = transitive;
  }

  /** True when the new schema must read data of earlier versions. */
  public boolean backward() {
    return backward;
  }

  /** True when earlier versions must read data of the new schema. */
  public boolean forward() {
    return forward;
  }

  /** True when every earlier version is checked, not only the latest. */
  public boolean transitive() {
    return transitive;
  }

  /**
   * Parses a level, case-insensitively.
   *
   * @throws IllegalArgumentException naming the allowed levels for null or an unknown value
   */
  public static CompatibilityLevel parse(String text) {
    if (text != null) {
      String name = text.trim().toUpperCase(Locale.ROOT);
      for (CompatibilityLevel level : values()) {
        if (level.name().equals(name)) {
          return level;
        }
      }
    }
    throw new IllegalArgumentException(
        "Invalid compatibility level '" + text + "'. Valid values are " + allowed());
  }

  /** The allowed values, for messages. */
  public static String allowed() {
    return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
  }
}
