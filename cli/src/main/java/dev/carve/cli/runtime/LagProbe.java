package dev.carve.cli.runtime;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Measures a consumer group's lag on a set of topics from the outside, through the Admin client:
 * the sum over partitions of end offset minus committed offset. Works the same for Kafka Streams
 * applications (group = application id) and plain consumers.
 */
public final class LagProbe {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private final Admin admin;

  /** Creates a probe on an open admin client (not closed by the probe). */
  public LagProbe(Admin admin) {
    this.admin = admin;
  }

  /**
   * The lag of {@code group} on {@code topics}; a partition the group never committed counts from
   * its start offset, so a group that has not started shows the whole topic as lag.
   *
   * @return total records behind; 0 when every topic is absent or empty
   */
  public long lag(String group, Collection<String> topics) throws InterruptedException {
    try {
      Set<String> existing =
          admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      Set<String> wanted = topics.stream().filter(existing::contains).collect(Collectors.toSet());
      if (wanted.isEmpty()) {
        return 0;
      }
      Map<String, TopicDescription> descriptions =
          admin
              .describeTopics(wanted)
              .allTopicNames()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
      descriptions
          .values()
          .forEach(
              d ->
                  d.partitions()
                      .forEach(
                          p -> {
                            TopicPartition tp = new TopicPartition(d.name(), p.partition());
                            latest.put(tp, OffsetSpec.latest());
                            earliest.put(tp, OffsetSpec.earliest());
                          }));
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
          admin.listOffsets(latest).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts =
          admin.listOffsets(earliest).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin
              .listConsumerGroupOffsets(group)
              .partitionsToOffsetAndMetadata()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      long lag = 0;
      for (TopicPartition tp : latest.keySet()) {
        OffsetAndMetadata c = committed.get(tp);
        long position = c == null ? starts.get(tp).offset() : c.offset();
        lag += Math.max(0, ends.get(tp).offset() - position);
      }
      return lag;
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Could not measure the lag of consumer group '" + group + "': " + reason(e), e);
    }
  }

  /**
   * The topics {@code group} has committed offsets on: for a Kafka Streams application also its
   * repartition and foreign-key subscription topics, whose lag the raw topics alone do not show.
   */
  public Set<String> committedTopics(String group) throws InterruptedException {
    try {
      return admin
          .listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .keySet()
          .stream()
          .map(TopicPartition::topic)
          .collect(Collectors.toSet());
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Could not read the committed offsets of consumer group '" + group + "': " + reason(e),
          e);
    }
  }

  /** Records currently held by a topic (end minus start offsets); 0 when it does not exist. */
  public long size(String topic) throws InterruptedException {
    try {
      if (!admin
          .listTopics()
          .names()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .contains(topic)) {
        return 0;
      }
      TopicDescription d =
          admin
              .describeTopics(List.of(topic))
              .allTopicNames()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .get(topic);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
      d.partitions()
          .forEach(
              p -> {
                latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
                earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest());
              });
      var ends = admin.listOffsets(latest).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      var starts = admin.listOffsets(earliest).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      long n = 0;
      for (TopicPartition tp : latest.keySet()) {
        n += ends.get(tp).offset() - starts.get(tp).offset();
      }
      return n;
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("Could not measure topic '" + topic + "': " + reason(e), e);
    }
  }

  /** What went wrong, also for a timeout, whose message is null. */
  static String reason(Exception e) {
    if (e instanceof TimeoutException) {
      return "Kafka did not answer within " + TIMEOUT.toSeconds() + " s";
    }
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
  }

  /**
   * Fails unless the cluster answers within the probe's timeout.
   *
   * @param bootstrapServers for the message
   * @param hint what the user may do about it, appended to the message
   * @throws IllegalStateException naming the servers when the cluster does not answer
   */
  public void requireReachable(String bootstrapServers, String hint) throws InterruptedException {
    try {
      admin.describeCluster().clusterId().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Cannot reach Kafka at " + bootstrapServers + ": " + reason(e) + ". " + hint, e);
    }
  }
}
