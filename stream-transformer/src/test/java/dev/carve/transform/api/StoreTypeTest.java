package dev.carve.transform.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.core.error.OnError;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.transform.mapping.MappingLoader;
import dev.carve.transform.testing.Harness;
import java.nio.file.Files;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.StateStore;
import org.junit.jupiter.api.Test;

class StoreTypeTest {
  private static Map<String, StateStore> stores(StoreType type) throws Exception {
    return stores(type, MappingLoader.load(Harness.topologyFile("orders")));
  }

  private static Map<String, StateStore> stores(StoreType type, DomainTopology orders)
      throws Exception {
    Map<String, Object> serde = Map.of("schema.registry.url", "mock://store-type-" + type);
    TopologyContext ctx =
        TopologyContext.create(
            "orders", "legacy", OnError.DEAD_LETTER, k -> AvroSerdes.generic(serde, k), type);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "carve-orders");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("store-type").toString());
    props.putAll(type.streamsConfig());
    try (TopologyTestDriver driver = new TopologyTestDriver(orders.build(ctx), props)) {
      return driver.getAllStateStores();
    }
  }

  @Test
  void inMemoryAppliesToEveryStoreIncludingTheForeignKeyJoinsOwn() throws Exception {
    Map<String, StateStore> stores = stores(StoreType.IN_MEMORY);
    assertThat(stores.keySet()).contains("orders-orders-rows", "orders-orders-replica");
    assertThat(stores.values()).allSatisfy(s -> assertThat(s.persistent()).as(s.name()).isFalse());
  }

  @Test
  void inMemoryAppliesToTheKTableJoinsSubscriptionStore() throws Exception {
    // Regression: the KTable foreign-key join's subscription store stayed on RocksDB with
    // store-type in-memory (TransformBenchmark spent its time flushing RocksDB).
    Map<String, StateStore> stores = stores(StoreType.IN_MEMORY, Harness.ordersWithKTableJoin());
    assertThat(stores.keySet()).anyMatch(name -> name.contains("subscription"));
    assertThat(stores.values()).allSatisfy(s -> assertThat(s.persistent()).as(s.name()).isFalse());
  }

  @Test
  void rocksDbIsTheDefault() throws Exception {
    assertThat(stores(StoreType.ROCKSDB).values())
        .allSatisfy(s -> assertThat(s.persistent()).as(s.name()).isTrue());
  }
}
