package dev.carve.transform.api;

/**
 * What a {@link TableMapper} may use besides the change itself: the state stores it declared.
 * Writes are buffered and applied only when the whole change was mapped and serialized, so a change
 * that goes to the dead-letter topic leaves the stores as they were.
 */
public interface MappingScope {

  /** The service the mapping belongs to. */
  String service();

  /**
   * Reads a value from a declared store.
   *
   * @param store the store's step name as declared in {@link TableMapper#stores()}
   * @param key the key; never null
   * @return the value, or null when absent
   * @throws IllegalArgumentException when the store was not declared
   */
  String get(String store, String key);

  /**
   * Writes (or with a null value removes) a value of a declared store.
   *
   * @throws IllegalArgumentException when the store was not declared
   */
  void put(String store, String key, String value);
}
