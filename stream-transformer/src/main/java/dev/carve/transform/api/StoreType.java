package dev.carve.transform.api;

/**
 * Where the state stores of a topology keep their data; both are backed by a compacted changelog.
 */
public enum StoreType {
  /** RocksDB on local disk (the default): state larger than memory, fast restarts. */
  ROCKSDB,
  /** On the heap: faster, restored from the changelog at every start. */
  IN_MEMORY
}
