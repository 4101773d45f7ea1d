package dev.carve.sink.internal;

import dev.carve.core.Topics;
import dev.carve.core.config.ConfigException;
import dev.carve.sink.SinkOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Builds the Kafka clients and the topic-to-table map of a service's sink. */
public final class KafkaClients {
  private KafkaClients() {}

  /**
   * Maps each domain topic of the service to its table (the entity name).
   *
   * @param entities entity names ({@code order}) or topics ({@code orders.order})
   * @throws ConfigException naming the {@code entities} key and the bad entry
   */
  public static Map<String, String> tablesByTopic(String service, List<String> entities) {
    Topics.checkName("service", service);
    Map<String, String> out = new LinkedHashMap<>();
    String prefix = service + ".";
    for (String e : entities) {
      String entity = e.startsWith(prefix) ? e.substring(prefix.length()) : e;
      try {
        out.put(Topics.domain(service, entity), entity);
      } catch (IllegalArgumentException ex) {
        throw new ConfigException(
            "sink options of service '" + service + "'",
            "key '"
                + SinkOptions.ENTITIES.key()
                + "' has entry '"
                + e
                + "': "
                + ex.getMessage()
                + " (topics must be '"
                + prefix
                + "<entity>')");
      }
    }
    return out;
  }

  /**
   * Consumer properties: bytes in, manual commits, read_committed, earliest, batch-size records a
   * poll.
   */
  public static Properties consumerProperties(
      SinkOptions options, String groupId, String clientId) {
    Properties p = new Properties();
    p.putAll(options.kafkaProperties());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    if (groupId != null) {
      p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    }
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // A new group (or one whose offsets expired) starts from the beginning: the domain topics are
    // compacted, so that is the whole state; "latest" would skip it (a managed key, see
    // SinkOptions).
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(options.batchSize()));
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }

  /** A byte-array consumer. */
  public static KafkaConsumer<byte[], byte[]> consumer(
      SinkOptions options, String groupId, String clientId) {
    return new KafkaConsumer<>(consumerProperties(options, groupId, clientId));
  }

  /** The dead-letter producer: idempotent, acks=all. */
  public static KafkaProducer<byte[], byte[]> deadLetterProducer(
      SinkOptions options, String clientId) {
    Properties p = new Properties();
    p.putAll(options.kafkaProperties());
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return new KafkaProducer<>(p);
  }
}
