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
 * of a service: entries {@code k<namespace>/<legacy value>} → claimed key, {@code
 * s<namespace>/<legacy value>} → key an operator set and, to refuse a colliding proposal, {@code
 * i<namespace>/<key>} → legacy value. Loaded by its own processor (Streams replays the topic
 * through it when it restores the store), so both entries come from one record.
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
        String key = store.get("e" + KeyRegistry.recordKey(namespace, legacyValue));
        return key == null ? null : Long.valueOf(key);
      }

      @Override
      public String legacyValueOf(String namespace, long key) {
        return store.get("i" + namespace + "/" + key);
      }
    };
  }

  /**
   * Applies one registry record to the store: {@code k<namespace>/<value>} holds a transformer's
   * claim, {@code s<namespace>/<value>} a key an operator set, {@code e<namespace>/<value>} the
   * value's key (the set one, else the claimed one) and {@code i<namespace>/<key>} the legacy value
   * whose key it is.
   */
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
      KeyRegistry.RecordKey parsed = KeyRegistry.RecordKey.parse(record.key());
      if (parsed == null) {
        // Not an allocation (a record written by hand): it names no legacy value.
        LOG.warn(
            "Key registry {}: ignored the record at {} with key '{}': a key must be"
                + " '<namespace>/<legacy value>' or '=<namespace>/<legacy value>'",
            topic,
            where(),
            record.key());
        return;
      }
      Long key = KeyRegistry.parseKey(record.value());
      if (record.value() != null && key == null) {
        // Compaction keeps only this last record of the key: a restarted instance will not see
        // the key before it either, so this one forgets it too.
        LOG.warn(
            "Key registry {}: the record at {} for '{}' has the value '{}', which is no positive"
                + " whole number: taken as a tombstone (the entry is forgotten)",
            topic,
            where(),
            record.key(),
            record.value());
      }
      String claimKey = parsed.claimKey();
      String before = effective(claimKey);
      String entry = (parsed.set() ? "s" : "k") + claimKey;
      if (key == null) {
        store.delete(entry);
      } else {
        store.put(entry, Long.toString(key));
      }
      String after = effective(claimKey);
      if (java.util.Objects.equals(before, after)) {
        return;
      }
      // One read per allocation on the stream threads: the effective key kept as its own entry.
      if (after == null) {
        store.delete("e" + claimKey);
      } else {
        store.put("e" + claimKey, after);
      }
      String namespace = parsed.namespace();
      String value = parsed.legacyValue();
      if (before != null && value.equals(store.get("i" + namespace + "/" + before))) {
        store.delete("i" + namespace + "/" + before);
      }
      if (after == null) {
        return;
      }
      String reverse = "i" + namespace + "/" + after;
      String owner = store.get(reverse);
      if (owner == null) {
        store.put(reverse, value);
      } else if (!owner.equals(value)) {
        LOG.error(
            "KEY COLLISION in key registry {} at {}: key {} of namespace '{}' is recorded for both"
                + " '{}' and '{}'; '{}' keeps it, the changes of '{}' are dead-lettered until one"
                + " of them gets another key (carve keys set)",
            topic,
            where(),
            after,
            namespace,
            owner,
            value,
            owner,
            value);
      }
    }

    /** The key a legacy value has: the one an operator set, else the claimed one; or null. */
    private String effective(String claimKey) {
      String set = store.get("s" + claimKey);
      return set != null ? set : store.get("k" + claimKey);
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
