package dev.carve.schemas.registry.internal;

import java.util.function.BiConsumer;

/**
 * Where a registry keeps its records: JSON keys and values in the layout of Confluent's {@code
 * _schemas} topic, a null value deleting its key. {@link #write} must have made the record durable
 * when it returns, since the registry acknowledges the request right after.
 */
public interface RegistryStore extends AutoCloseable {

  /** A store that keeps nothing: the registry's memory is the only copy (for {@code mock://}). */
  RegistryStore IN_MEMORY =
      new RegistryStore() {
        @Override
        public void replay(BiConsumer<String, String> apply) {}

        @Override
        public void write(String key, String value) {}

        @Override
        public String describe() {
          return "memory";
        }

        @Override
        public void close() {}
      };

  /**
   * Calls {@code apply} with every stored record (key, value or null), oldest first.
   *
   * @throws RuntimeException when the store cannot be read
   */
  void replay(BiConsumer<String, String> apply);

  /**
   * Stores a record durably.
   *
   * @param key the JSON key
   * @param value the JSON value, or null to delete the key
   * @throws RuntimeException when the record could not be stored
   */
  void write(String key, String value);

  /**
   * Waits (bounded) for writes that failed with a timeout but may still be delivered, such as a
   * Kafka producer's send that is still being retried, so that a {@link #replay} sees every record
   * that will ever arrive.
   *
   * @return true when no write is in flight any more, false when one still is
   */
  default boolean awaitPendingWrites() {
    return true;
  }

  /** Where the records are kept, for messages. */
  String describe();

  @Override
  void close();
}
