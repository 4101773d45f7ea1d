package dev.carve.transform.internal;

import dev.carve.transform.api.MappingScope;

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
