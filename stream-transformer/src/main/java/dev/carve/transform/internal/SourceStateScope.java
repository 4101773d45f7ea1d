package dev.carve.transform.internal;

import dev.carve.transform.api.MappingScope;
import java.util.Map;

/**
 * A {@link MappingScope} that can also keep state recording the source row itself (the last TOAST
 * values per source key): such writes hold even when the mapping of the change fails and it is
 * dead-lettered, since the source row changed all the same and a later change of it builds on that
 * row, not on the last one mapped.
 */
public interface SourceStateScope extends MappingScope {

  /**
   * Writes (or with a null value removes) a value of a declared store, kept whether or not the
   * change is mapped; later reads of the same change see it as {@link #put} does.
   *
   * @throws IllegalArgumentException when the store was not declared
   */
  void putSourceState(String store, String key, String value);

  /**
   * The source key the change's row had before a primary-key update: Debezium sends such an update
   * as a delete of the old key (header {@code __debezium.newkey}) and a create of the new key
   * (header {@code __debezium.oldkey}, the old key as JSON); this is that header's key for the
   * create, null for any other change.
   */
  default Map<String, Object> oldKey() {
    return null;
  }

  /**
   * Whether the change is the delete of the old key of a primary-key update (header {@code
   * __debezium.newkey}): the row lives on under its new key.
   */
  default boolean keyMoved() {
    return false;
  }

  /**
   * {@link #putSourceState} when {@code scope} supports it, else {@link MappingScope#put} (a scope
   * outside a stream processor, as {@code carve verify}'s, has no dead letters).
   */
  static void put(MappingScope scope, String store, String key, String value) {
    if (scope instanceof SourceStateScope sourceState) {
      sourceState.putSourceState(store, key, value);
    } else {
      scope.put(store, key, value);
    }
  }
}
