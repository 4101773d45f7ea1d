package dev.carve.transform.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.testkit.TestKafka;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The key registry topic read and written from outside a topology, on the shared test broker: the
 * last record of a key wins, a tombstone (or a value that is no key) forgets, a key an operator set
 * wins over a claim, only committed transactions count, a missing topic is a registry of nothing,
 * an unreachable Kafka is an error naming topic and servers.
 */
@Timeout(120)
class KeyRegistryTopicIT {

  private static KafkaProducer<String, String> producer(String transactionalId) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
    if (transactionalId != null) {
      p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    }
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  private static void send(String topic, String... keyValues) throws Exception {
    try (KafkaProducer<String, String> producer = producer(null)) {
      for (int i = 0; i < keyValues.length; i += 2) {
        producer.send(new ProducerRecord<>(topic, keyValues[i], keyValues[i + 1])).get();
      }
    }
  }

  private static KeyRegistryTopic registry(String topic) {
    return KeyRegistryTopic.of(topic, TestKafka.bootstrapServers(), Map.of());
  }

  @Test
  void lastRecordOfAKeyWinsAndATombstoneForgetsIt() throws Exception {
    String topic = "keys-it-last-wins";
    TestKafka.createTopics(3, true, topic);
    long proposalOfB = KeyRegistry.proposal("customer", "B");
    send(
        topic,
        "customer/A",
        "5",
        "customer/A",
        "6",
        "customer/B",
        Long.toString(proposalOfB),
        "customer/C",
        "7",
        "customer/C",
        null,
        "order/A",
        "5",
        "no-namespace",
        "8",
        "customer/D",
        "not a number");

    KeyRegistryTopic.Snapshot read = registry(topic).read();

    assertThat(read.topicExists()).isTrue();
    assertThat(read.keyOf("customer", "A")).isEqualTo(6L);
    assertThat(read.legacyValueOf("customer", 6)).isEqualTo("A");
    assertThat(read.legacyValueOf("customer", 5)).as("A moved away from 5").isNull();
    assertThat(read.keyOf("order", "A")).isEqualTo(5L);
    assertThat(read.legacyValueOf("order", 5)).isEqualTo("A");
    assertThat(read.keyOf("customer", "B")).isEqualTo(proposalOfB);
    assertThat(read.keyOf("customer", "C")).as("forgotten by the tombstone").isNull();
    assertThat(read.keyOf("customer", "D")).isNull();
    assertThat(read.size()).isEqualTo(3);
    assertThat(read.notProposals()).isEqualTo(2);
    assertThat(read.skipped()).isEqualTo(1);
    assertThat(read.noKeys()).isEqualTo(1);
    assertThat(read.describe())
        .isEqualTo(
            "key registry keys-it-last-wins: 3 keys recorded (2 other than their proposal, 0 set"
                + " by an operator), 1 records skipped, 1 values that are no key taken as"
                + " tombstones");

    // Bound for verify: a recorded key wins over the proposal, a new value gets its proposal.
    KeyRegistry.Allocation allocation = new KeyRegistry.Allocation(read);
    assertThat(allocation.allocate("customer", "A")).isEqualTo(6L);
    assertThat(allocation.allocate("customer", "E"))
        .isEqualTo(KeyRegistry.proposal("customer", "E"));
  }

  @Test
  void onlyCommittedTransactionsCountAndAnOpenOneDoesNotBlockTheRead() throws Exception {
    String topic = "keys-it-read-committed";
    TestKafka.createTopics(1, true, topic);
    try (KafkaProducer<String, String> producer = producer("keys-it-read-committed")) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "customer/T1", "11"));
      producer.commitTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "customer/T2", "12"));
      producer.flush();

      KeyRegistryTopic.Snapshot open = registry(topic).withTimeout(Duration.ofSeconds(10)).read();
      assertThat(open.keyOf("customer", "T1")).isEqualTo(11L);
      assertThat(open.keyOf("customer", "T2")).as("not committed yet").isNull();

      producer.abortTransaction();
    }
    KeyRegistryTopic.Snapshot aborted = registry(topic).read();
    assertThat(aborted.keyOf("customer", "T2")).as("aborted").isNull();
    assertThat(aborted.size()).isEqualTo(1);
  }

  @Test
  void missingTopicIsARegistryOfNothingRecorded() {
    KeyRegistryTopic.Snapshot read = registry("keys-it-never-created").read();

    assertThat(read.topicExists()).isFalse();
    assertThat(read.size()).isZero();
    assertThat(read.describe())
        .isEqualTo(
            "key registry keys-it-never-created: topic does not exist yet, no keys recorded");
  }

  @Test
  void unreachableKafkaIsAnErrorNamingTopicAndServers() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String servers = "127.0.0.1:" + port;
    KeyRegistryTopic registry =
        KeyRegistryTopic.of("keys-it-nowhere", servers, Map.of())
            .withTimeout(Duration.ofSeconds(2));

    assertThatThrownBy(registry::read)
        .isInstanceOf(KeyRegistryTopic.UnavailableException.class)
        .hasMessageContaining("key registry topic keys-it-nowhere at " + servers)
        .hasMessageContaining("Is Kafka running");
    assertThatThrownBy(() -> registry.set("customer", "C1", 5))
        .isInstanceOf(KeyRegistryTopic.UnavailableException.class)
        .hasMessageContaining("keys-it-nowhere at " + servers);
  }

  @Test
  void setCreatesTheTopicCompactedAndLookupFindsKeyAndHolders() throws Exception {
    String topic = "keys-it-set";
    KeyRegistryTopic registry = registry(topic);

    registry.set("customer", "C1", 100);
    registry.set("customer", "C2", 200);
    registry.set("customer", "C2", 300);

    try (Admin admin = Admin.create(TestKafka.adminProperties())) {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
      assertThat(config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value())
          .isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
    }
    KeyRegistryTopic.Lookup c2 = registry.lookup("customer", "C2", 100, 200, 300);
    assertThat(c2.recorded()).contains(300L);
    assertThat(c2.otherHolders(100)).containsExactly("C1");
    assertThat(c2.otherHolders(200)).as("C2 moved to 300").isEmpty();
    assertThat(c2.holders().get(300L)).containsExactly("C2");
    assertThat(registry.lookup("customer", "C3").recorded()).isEmpty();
    assertThat(registry.lookup("order", "C3", 100).otherHolders(100))
        .as("another namespace")
        .isEmpty();
    assertThatThrownBy(() -> registry.set("customer", "C4", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("positive");
  }

  @Test
  void aSetKeyWinsOverALaterClaimAndItsTombstoneFallsBackToTheClaim() throws Exception {
    String topic = "keys-it-set-wins";
    TestKafka.createTopics(3, true, topic);
    long proposalOfA = KeyRegistry.proposal("customer", "A");
    KeyRegistryTopic registry = registry(topic);
    registry.set("customer", "A", 500);
    // A transformer's transaction open while the key was set commits its claim afterwards.
    send(topic, "customer/A", Long.toString(proposalOfA), "customer/B", "600");
    registry.set("customer", "B", 601);

    KeyRegistryTopic.Snapshot read = registry.read();
    assertThat(read.keyOf("customer", "A")).isEqualTo(500L);
    assertThat(read.legacyValueOf("customer", 500)).isEqualTo("A");
    assertThat(read.keyOf("customer", "B")).isEqualTo(601L);
    assertThat(read.legacyValueOf("customer", 600)).as("B's claim is under its set key").isNull();
    assertThat(read.size()).isEqualTo(2);
    assertThat(read.set()).isEqualTo(2);
    assertThat(read.notProposals()).isEqualTo(2);
    KeyRegistryTopic.Lookup a = registry.lookup("customer", "A", proposalOfA, 500);
    assertThat(a.recorded()).contains(500L);
    assertThat(a.set()).contains(500L);
    assertThat(a.claimed()).contains(proposalOfA);
    assertThat(a.holders().get(500L)).containsExactly("A");
    assertThat(registry.lookup("customer", "C", 600).otherHolders(600))
        .as("600 is B's claim, not its key")
        .isEmpty();

    registry.unset("customer", "A");
    registry.unset("customer", "B");

    KeyRegistryTopic.Snapshot unset = registry.read();
    assertThat(unset.keyOf("customer", "A")).as("back to its claim").isEqualTo(proposalOfA);
    assertThat(unset.keyOf("customer", "B")).isEqualTo(600L);
    assertThat(unset.legacyValueOf("customer", 600)).isEqualTo("B");
    assertThat(unset.legacyValueOf("customer", 500)).isNull();
    assertThat(unset.set()).isZero();
    assertThat(unset.notProposals()).isEqualTo(1);
    KeyRegistryTopic.Lookup b = registry.lookup("customer", "C", 600, 601);
    assertThat(b.otherHolders(600)).containsExactly("B");
    assertThat(b.otherHolders(601)).isEmpty();
    assertThat(registry.lookup("customer", "B").set()).isEmpty();
    assertThat(registry.lookup("customer", "B").recorded()).contains(600L);
  }

  @Test
  void aKeySetBeforeAClaimOfAnAskedKeyHidesThatClaimFromTheLookup() throws Exception {
    String topic = "keys-it-set-first";
    TestKafka.createTopics(1, true, topic);
    KeyRegistryTopic registry = registry(topic);
    registry.set("customer", "A", 700);
    send(topic, "customer/A", "800");

    assertThat(registry.lookup("customer", "X", 800).otherHolders(800)).isEmpty();
    assertThat(registry.lookup("customer", "X", 700).otherHolders(700)).containsExactly("A");

    registry.unset("customer", "A");
    assertThat(registry.lookup("customer", "X", 800).otherHolders(800)).containsExactly("A");
    assertThat(registry.lookup("customer", "X", 700).otherHolders(700)).isEmpty();
  }

  @Test
  void aValueThatIsNoKeyIsATombstoneOfItsRecordKey() throws Exception {
    String topic = "keys-it-no-key";
    TestKafka.createTopics(1, true, topic);
    send(
        topic,
        "customer/A",
        "5",
        "customer/A",
        "not a number",
        "customer/B",
        "6",
        "=customer/B",
        "60",
        "=customer/B",
        "-1",
        "customer/C",
        "0");

    KeyRegistryTopic.Snapshot read = registry(topic).read();
    assertThat(read.keyOf("customer", "A")).as("as compaction would leave it").isNull();
    assertThat(read.legacyValueOf("customer", 5)).isNull();
    assertThat(read.keyOf("customer", "B")).as("the set key forgotten: its claim").isEqualTo(6L);
    assertThat(read.keyOf("customer", "C")).isNull();
    assertThat(read.noKeys()).isEqualTo(3);
    assertThat(read.size()).isEqualTo(1);
    KeyRegistryTopic.Lookup a = registry(topic).lookup("customer", "A", 5);
    assertThat(a.recorded()).isEmpty();
    assertThat(a.holders().get(5L)).isEmpty();
    KeyRegistryTopic.Lookup b = registry(topic).lookup("customer", "B", 6, 60);
    assertThat(b.recorded()).contains(6L);
    assertThat(b.set()).isEmpty();
    assertThat(b.holders().get(6L)).containsExactly("B");
    assertThat(b.holders().get(60L)).isEmpty();
  }

  @Test
  void lookupComparesKeysAsNumbers() throws Exception {
    String topic = "keys-it-007";
    TestKafka.createTopics(1, true, topic);
    send(topic, "customer/A", "007", "=customer/B", "0042");

    KeyRegistryTopic.Lookup a = registry(topic).lookup("customer", "A", 7, 42);
    assertThat(a.recorded()).contains(7L);
    assertThat(a.holders().get(7L)).containsExactly("A");
    assertThat(a.otherHolders(42)).containsExactly("B");
    assertThat(registry(topic).read().legacyValueOf("customer", 42)).isEqualTo("B");
  }
}
