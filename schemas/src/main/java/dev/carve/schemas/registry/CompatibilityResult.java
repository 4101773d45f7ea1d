package dev.carve.schemas.registry;

import java.util.List;

/**
 * The answer to a compatibility test.
 *
 * @param compatible true when the schema may be registered
 * @param messages what is incompatible, as the registry words it (verbose mode); empty when
 *     compatible or when the registry gave no detail; never null
 */
public record CompatibilityResult(boolean compatible, List<String> messages) {
  /** Copies the messages; null means none. */
  public CompatibilityResult {
    messages = messages == null ? List.of() : List.copyOf(messages);
  }
}
