package dev.carve.transform.api;

import java.util.List;
import java.util.Set;

/**
 * Maps one change of a legacy table to the domain records it produces. Any exception fails that
 * change only: it goes to the dead-letter topic with the exception's message (or stops the service
 * with {@code on-error: fail}).
 */
@FunctionalInterface
public interface TableMapper {

  /**
   * Maps a change.
   *
   * @param change the change; never null, never a Debezium tombstone
   * @param scope the declared state stores
   * @return the records to write, in order; empty when the change produces nothing
   * @throws Exception when the change cannot be mapped; {@link MappingException} should name the
   *     column
   */
  List<Output<?, ?>> map(ChangeEvent change, MappingScope scope) throws Exception;

  /**
   * The step names of the key-value stores this mapper uses; each becomes a persistent store named
   * {@code <service>-<step>} with a compacted changelog.
   */
  default Set<String> stores() {
    return Set.of();
  }
}
