package dev.carve.testkit;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * One real KRaft Kafka broker (combined broker and controller) shared by all tests of a JVM, so
 * that infrastructure starts once per suite. Each test uses its own topics and consumer groups.
 */
public final class TestKafka {
  private static KafkaClusterTestKit cluster;

  private TestKafka() {}

  /** Starts the broker on first use and returns its bootstrap servers. */
  public static synchronized String bootstrapServers() {
    if (cluster == null) {
      try {
        KafkaClusterTestKit kit =
            new KafkaClusterTestKit.Builder(
                    new TestKitNodes.Builder()
                        .setCombined(true)
                        .setNumBrokerNodes(1)
                        .setNumControllerNodes(1)
                        .build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("num.partitions", "1")
                .setConfigProp("auto.create.topics.enable", "false")
                .setConfigProp("log.cleaner.backoff.ms", "1000")
                .build();
        // Kafka's fatal paths call Exit.exit/halt, which would end the test JVM with a non-zero
        // status; record them instead so the test fails with a message.
        org.apache.kafka.common.utils.Exit.setExitProcedure(
            (code, message) -> {
              throw new IllegalStateException("Kafka asked to exit(" + code + "): " + message);
            });
        org.apache.kafka.common.utils.Exit.setHaltProcedure(
            (code, message) -> {
              throw new IllegalStateException("Kafka asked to halt(" + code + "): " + message);
            });
        kit.format();
        kit.startup();
        kit.waitForReadyBrokers();
        cluster = kit;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while starting the test Kafka broker", e);
      } catch (Exception e) {
        throw new IllegalStateException("Could not start the test Kafka broker: " + e, e);
      }
    }
    return cluster.bootstrapServers();
  }

  /** Admin client properties for the shared broker. */
  public static Properties adminProperties() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return p;
  }

  /**
   * A consumer of the shared broker that reads {@code topic} from the earliest offset and only
   * committed transactions (what a sink sees of an exactly-once writer), in a consumer group of its
   * own named after {@code group}; the caller closes it.
   */
  public static KafkaConsumer<byte[], byte[]> committedReader(String group, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group + "-" + System.nanoTime());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(topic));
    return consumer;
  }

  /** Creates topics (idempotent): compacted when {@code compacted} is true. */
  public static void createTopics(int partitions, boolean compacted, String... names) {
    Map<String, String> configs = new HashMap<>();
    if (compacted) {
      configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    }
    try (Admin admin = Admin.create(adminProperties())) {
      for (String name : names) {
        try {
          admin
              .createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
              .all()
              .get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("Could not create topic '" + name + "'", e.getCause());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while creating topics", e);
    }
  }

  /** The broker objects, for tests that must stop and restart the broker. */
  public static synchronized KafkaClusterTestKit cluster() {
    bootstrapServers();
    return cluster;
  }

  /** Stops the broker (at the end of the JUnit session, see {@link SharedInfrastructure}). */
  public static synchronized void stop() {
    if (cluster != null) {
      try {
        cluster.close();
      } catch (Exception e) {
        // Shutting down the JVM anyway; nothing to recover.
      }
      cluster = null;
    }
  }
}
