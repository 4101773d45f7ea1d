package dev.carve.transform.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.testkit.TestKafka;
import dev.carve.transform.TransformerOptions;
import dev.carve.transform.TransformerRuntime;
import dev.carve.transform.testing.Debezium;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stream thread stalled past its transaction timeout and its poll interval (a mapping stuck on a
 * slow call, a long GC pause) finds its transaction aborted and its producer fenced by the broker:
 * Kafka Streams rejoins and goes on from the last commit, and the transformer keeps running with
 * every order written once (exactly_once_v2; a read_committed reader never sees the aborted
 * transaction's records). A stop of the whole process is another case: see chaos/README.md.
 */
@Timeout(240)
class StalledStreamThreadIT {
  private static final String PREFIX = "stallit";
  private static final int ORDERS = 40;
  private static String bootstrap;
  private static EmbeddedSchemaRegistry registry;

  @BeforeAll
  static void broker() {
    bootstrap = TestKafka.bootstrapServers();
    registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.kafka(bootstrap).withTopic("_schemas_stall_it"));
    TestKafka.createTopics(1, true, PREFIX + ".public.orders");
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  /** Orders of service {@code stall}; the mapping of {@code ORD-STALL} stalls once. */
  private record StallingTopology(AtomicBoolean stalled, Duration stall) implements DomainTopology {
    @Override
    public String service() {
      return "stall";
    }

    @Override
    public void define(StreamsBuilder builder, TopologyContext ctx) {
      Topic<GenericRecord, GenericRecord> order = ctx.domainTopic("order");
      ctx.mapTable(
          builder,
          "orders",
          (change, scope) -> {
            Object ref = change.row().get("order_ref");
            if ("ORD-STALL".equals(ref) && stalled.compareAndSet(false, true)) {
              try {
                Thread.sleep(stall.toMillis());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            GenericRecord key = new GenericData.Record(ForeignKeyJoinTest.KEY);
            key.put("order_ref", ref);
            GenericRecord value = new GenericData.Record(ForeignKeyJoinTest.VALUE);
            value.put("order_ref", ref);
            return List.of(Output.to(order, DomainRecord.upsert(key, value, change.position())));
          });
    }
  }

  private static void orders(List<String> refs, long lsn) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      long n = lsn;
      for (String ref : refs) {
        producer.send(
            new ProducerRecord<>(
                PREFIX + ".public.orders",
                Debezium.key("order_ref", ref),
                Debezium.update("orders", Debezium.row("order_ref", ref), n += 16)));
      }
      producer.flush();
    }
  }

  @Test
  void threadStalledPastTheTransactionTimeoutIsReplacedAndEveryOrderWrittenOnce() throws Exception {
    TransformerOptions options =
        TransformerOptions.of(bootstrap, registry.url())
            .withRawTopicPrefix(PREFIX)
            .withStateDir(Files.createTempDirectory("carve-stall-it"))
            .withKafkaProperties(
                Map.of(
                    "commit.interval.ms", "100",
                    "consumer.session.timeout.ms", "6000",
                    "consumer.max.poll.interval.ms", "5000",
                    "producer.transaction.timeout.ms", "2000"));
    TransformerRuntime runtime =
        TransformerRuntime.create(
            new StallingTopology(new AtomicBoolean(), Duration.ofSeconds(15)), options);
    List<String> before = new ArrayList<>();
    List<String> after = new ArrayList<>();
    for (int i = 0; i < ORDERS; i++) {
      before.add("ORD-A" + i);
      after.add("ORD-B" + i);
    }
    before.add("ORD-STALL");
    List<String> written = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        TestKafka.committedReader("stall-it", "stall.order")) {
      runtime.start();
      assertThat(runtime.awaitRunning(Duration.ofSeconds(90))).isTrue();
      orders(before, 1_000);
      await().atMost(Duration.ofSeconds(90)).until(() -> read(consumer, written) >= ORDERS + 1);
      orders(after, 10_000);
      await().atMost(Duration.ofSeconds(90)).until(() -> read(consumer, written) >= 2 * ORDERS + 1);
      read(consumer, written);
      assertThat(runtime.state()).isEqualTo(TransformerRuntime.State.RUNNING);
      assertThat(runtime.failure()).isNull();
    } finally {
      runtime.close(Duration.ofSeconds(30));
    }
    assertThat(written).hasSize(2 * ORDERS + 1).doesNotHaveDuplicates();
  }

  private static int read(KafkaConsumer<byte[], byte[]> consumer, List<String> written) {
    Deserializer<GenericRecord> keys =
        AvroSerdes.generic(Map.of("schema.registry.url", registry.url()), true).deserializer();
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
      written.add(keys.deserialize(r.topic(), r.key()).get("order_ref").toString());
    }
    return written.size();
  }
}
