package dev.carve.transform.internal;

import dev.carve.transform.keys.KeyRegistry;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key registry topic read into a global store {@code <service>-legacy-keys} on every instance
 * of a service: entries {@code k<namespace>/<legacy value>} → key and, to refuse a colliding
 * proposal, {@code i<namespace>/<key>} → legacy value. Loaded by its own processor (Streams replays
 * the topic through it when it restores the store), so both entries come from one record.
 */
final class KeyRegistryStore {
  private static final Logger LOG = LoggerFactory.getLogger(KeyRegistryStore.class);

  private KeyRegistryStore() {}

  /**
   * Where a service's processors find the registry: its global store and its topic.
   *
   * @param store the global store's name
   * @param topic the registry topic
   */
  record Ref(String store, String topic) {}

  static String storeName(String service) {
    return service + "-legacy-keys";
  }

  /** Adds the global store, sourced from {@code topic}, to {@code builder}. */
  static void add(
      StreamsBuilder builder, String service, String topic, KeyValueBytesStoreSupplier supplier) {
    String store = storeName(service);
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.String())
            .withLoggingDisabled(),
        topic,
        Consumed.with(Serdes.String(), Serdes.String()).withName(service + "-source-legacy-keys"),
        () -> new Loader(store, topic));
  }

  /** What the global store holds, for {@link KeyRegistry.Allocation}. */
  static KeyRegistry.Recorded recorded(ReadOnlyKeyValueStore<String, String> store) {
    return new KeyRegistry.Recorded() {
      @Override
      public Long keyOf(String namespace, String legacyValue) {
        String key = store.get("k" + KeyRegistry.recordKey(namespace, legacyValue));
        return key == null ? null : Long.valueOf(key);
      }

      @Override
      public String legacyValueOf(String namespace, long key) {
        return store.get("i" + namespace + "/" + key);
      }
    };
  }

  /** Applies one registry record to the store. */
  static final class Loader implements Processor<String, String, Void, Void> {
    private final String storeName;
    private final String topic;
    private KeyValueStore<String, String> store;
    private ProcessorContext<Void, Void> context;

    Loader(String storeName, String topic) {
      this.storeName = storeName;
      this.topic = topic;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      this.context = context;
      this.store = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, String> record) {
      String[] parts = KeyRegistry.parseRecordKey(record.key());
      Long key = parts == null ? null : KeyRegistry.parseKey(record.value());
      if (parts == null || (record.value() != null && key == null)) {
        // Not an allocation (a record written by hand): it cannot be applied; the topic keeps it.
        LOG.warn(
            "Key registry {}: ignored the record at {} with key '{}' and value '{}': a key must be"
                + " '<namespace>/<legacy value>' and a value a positive whole number (or null)",
            topic,
            where(),
            record.key(),
            record.value());
        return;
      }
      String forward = "k" + record.key();
      String previous = store.get(forward);
      if (previous != null && !previous.equals(record.value())) {
        String reverse = "i" + parts[0] + "/" + previous;
        if (parts[1].equals(store.get(reverse))) {
          store.delete(reverse);
        }
      }
      if (key == null) {
        store.delete(forward);
        return;
      }
      store.put(forward, record.value());
      String reverse = "i" + parts[0] + "/" + key;
      String owner = store.get(reverse);
      if (owner == null) {
        store.put(reverse, parts[1]);
      } else if (!owner.equals(parts[1])) {
        LOG.error(
            "KEY COLLISION in key registry {} at {}: key {} of namespace '{}' is recorded for both"
                + " '{}' and '{}'; their rows are one row in the target. carve verify reports it;"
                + " record another key for one of them (carve keys set)",
            topic,
            where(),
            key,
            parts[0],
            owner,
            parts[1]);
      }
    }

    private String where() {
      return context
          .recordMetadata()
          .map(RecordMetadata::partition)
          .map(
              p ->
                  "partition "
                      + p
                      + " offset "
                      + context.recordMetadata().map(RecordMetadata::offset).orElse(-1L))
          .orElse("an unknown offset");
    }
  }
}
