package dev.carve.schemas.registry.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps registry records in a compacted, single-partition Kafka topic (by default {@code
 * _schemas}), as Confluent's registry does. Writes wait for {@code acks=all}.
 */
public final class KafkaRegistryStore implements RegistryStore {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaRegistryStore.class);

  private final String topic;
  private final Map<String, Object> clientProperties;
  private final Duration timeout;
  private final KafkaProducer<byte[], byte[]> producer;

  /** A send whose wait timed out; the producer may still deliver it. Null when none. */
  private volatile Future<RecordMetadata> inFlight;

  /**
   * Connects to Kafka and makes sure the topic exists, is compacted and has one partition.
   *
   * @param bootstrapServers the brokers
   * @param topic the topic
   * @param extraProperties extra client properties (security.protocol, sasl.*, ssl.*); may be empty
   * @param timeout how long to wait for Kafka on each operation
   * @throws IllegalStateException naming the topic when Kafka cannot be used
   */
  public KafkaRegistryStore(
      String bootstrapServers, String topic, Map<String, ?> extraProperties, Duration timeout) {
    this.topic = topic;
    this.timeout = timeout;
    Map<String, Object> props = new HashMap<>(extraProperties);
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    this.clientProperties = Map.copyOf(props);
    ensureTopic();
    Map<String, Object> producerProps = new HashMap<>(clientProperties);
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
    producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    producerProps.put(ProducerConfig.CLIENT_ID_CONFIG, "carve-schema-registry-" + topic);
    this.producer =
        new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private void ensureTopic() {
    try (Admin admin = Admin.create(clientProperties)) {
      TopicDescription description;
      try {
        description =
            admin
                .describeTopics(List.of(topic))
                .allTopicNames()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .get(topic);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
        description = null;
      }
      if (description == null) {
        try {
          admin
              .createTopics(
                  List.of(
                      new NewTopic(topic, Optional.of(1), Optional.empty())
                          .configs(
                              Map.of(
                                  TopicConfig.CLEANUP_POLICY_CONFIG,
                                  TopicConfig.CLEANUP_POLICY_COMPACT))))
              .all()
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          LOG.info("Created the compacted schema registry topic '{}'", topic);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
        return;
      }
      if (description.partitions().size() != 1) {
        throw new IllegalStateException(
            "The schema registry topic '"
                + topic
                + "' has "
                + description.partitions().size()
                + " partitions; it must have exactly 1 so that records stay in order");
      }
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Config config =
          admin
              .describeConfigs(List.of(resource))
              .all()
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
              .get(resource);
      String policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
      if (!policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT) || policy.contains("delete")) {
        throw new IllegalStateException(
            "The schema registry topic '"
                + topic
                + "' has cleanup.policy="
                + policy
                + "; it must be compact, or schemas would be lost when segments expire");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "Interrupted while checking the schema registry topic '" + topic + "'", e);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IllegalStateException(
          "Could not check or create the schema registry topic '" + topic + "': " + cause, cause);
    }
  }

  @Override
  public void replay(BiConsumer<String, String> apply) {
    Map<String, Object> props = new HashMap<>(clientProperties);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "carve-schema-registry-reader-" + topic);
    TopicPartition partition = new TopicPartition(topic, 0);
    long deadline = System.nanoTime() + timeout.toNanos();
    int count = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
      while (consumer.position(partition, timeout) < end) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "Timed out after "
                  + timeout.toMillis()
                  + " ms reading the schema registry topic '"
                  + topic
                  + "' to its end offset "
                  + end);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.key() == null) {
            continue;
          }
          String key = new String(r.key(), StandardCharsets.UTF_8);
          String value = r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8);
          try {
            apply.accept(key, value);
          } catch (RuntimeException e) {
            throw new IllegalStateException(
                "Unreadable record in the schema registry topic '"
                    + topic
                    + "' at partition 0, offset "
                    + r.offset()
                    + ": "
                    + e.getMessage(),
                e);
          }
          count++;
        }
      }
    }
    LOG.info("Read {} records from the schema registry topic '{}'", count, topic);
  }

  @Override
  public void write(String key, String value) {
    Future<RecordMetadata> sent =
        producer.send(
            new ProducerRecord<>(
                topic,
                0,
                key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8)));
    try {
      sent.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      inFlight = sent;
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "Interrupted while writing to the schema registry topic '" + topic + "'", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "Could not write to the schema registry topic '" + topic + "': " + e.getCause(),
          e.getCause());
    } catch (TimeoutException e) {
      inFlight = sent;
      throw new IllegalStateException(
          "Timed out after "
              + timeout.toMillis()
              + " ms writing to the schema registry topic '"
              + topic
              + "'",
          e);
    }
  }

  @Override
  public boolean awaitPendingWrites() {
    Future<RecordMetadata> pending = inFlight;
    if (pending == null) {
      return true;
    }
    try {
      pending.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      // Settled: the record was not written.
    } catch (TimeoutException e) {
      return false;
    }
    inFlight = null;
    return true;
  }

  @Override
  public String describe() {
    return "Kafka topic '" + topic + "'";
  }

  @Override
  public void close() {
    producer.close(timeout);
  }
}
