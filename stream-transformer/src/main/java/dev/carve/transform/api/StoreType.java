package dev.carve.transform.api;

import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;

/**
 * Where the state stores of a topology keep their data; both are backed by a compacted changelog.
 */
public enum StoreType {
  /** RocksDB on local disk (the default): state larger than memory, fast restarts. */
  ROCKSDB(BuiltInDslStoreSuppliers.RocksDBDslStoreSuppliers.class),
  /** On the heap: faster, restored from the changelog at every start. */
  IN_MEMORY(BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class);

  private final Class<?> dslStoreSuppliers;

  StoreType(Class<?> dslStoreSuppliers) {
    this.dslStoreSuppliers = dslStoreSuppliers;
  }

  /**
   * The Kafka Streams settings that give the stores Streams creates itself (a foreign-key join's
   * subscription store) this type too; they are read when the topology is built and again when it
   * starts, so both configurations need them.
   */
  public Map<String, Object> streamsConfig() {
    return Map.of(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, dslStoreSuppliers);
  }
}
