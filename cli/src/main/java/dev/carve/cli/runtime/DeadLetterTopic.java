package dev.carve.cli.runtime;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a dead-letter topic from its start to its last stable offset, committed records only, so
 * the transaction markers and aborted records exactly-once Streams leaves there are not seen.
 */
public final class DeadLetterTopic {
  private DeadLetterTopic() {}

  /**
   * How a read ended.
   *
   * @param complete whether every record up to the end was visited within the limit
   * @param offsetSpan end minus start offsets over all partitions (transaction markers included)
   */
  public record Read(boolean complete, long offsetSpan) {}

  /**
   * Visits every committed record of {@code topic}, without a consumer group.
   *
   * @param consumerConfig client settings (bootstrap servers, security); a group id is ignored
   * @param limit how long to read before giving up with {@link Read#complete()} false
   * @param visit called once per record, in partition order
   * @throws IllegalStateException naming the topic when Kafka cannot be read
   */
  public static Read read(
      Map<String, Object> consumerConfig,
      String topic,
      Duration limit,
      Consumer<ConsumerRecord<byte[], byte[]>> visit) {
    Map<String, Object> props = new HashMap<>(consumerConfig);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(15));
      if (partitions == null || partitions.isEmpty()) {
        return new Read(true, 0);
      }
      List<TopicPartition> tps =
          partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      // Under read_committed these are the last stable offsets: the reader never waits for an
      // open transaction beyond them.
      Map<TopicPartition, Long> ends = consumer.endOffsets(tps);
      Map<TopicPartition, Long> starts = consumer.beginningOffsets(tps);
      long span = 0;
      for (TopicPartition tp : tps) {
        span += ends.get(tp) - starts.get(tp);
      }
      long deadline = System.nanoTime() + limit.toNanos();
      while (!atEnd(consumer, ends)) {
        if (System.nanoTime() > deadline) {
          return new Read(false, span);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.offset() < ends.get(new TopicPartition(r.topic(), r.partition()))) {
            visit.accept(r);
          }
        }
      }
      return new Read(true, span);
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new IllegalStateException(
          "Could not read the dead letters in topic '" + topic + "': " + e.getMessage(), e);
    }
  }

  private static boolean atEnd(
      KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
