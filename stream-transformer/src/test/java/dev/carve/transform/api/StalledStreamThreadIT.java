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
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stream thread that stalls longer than its transaction timeout (a long GC pause, a slow call in
 * a Java mapper) while its transaction is open: the broker aborts the transaction, and the resumed
 * thread's next send, to a partition the transaction had not written to, is refused (fenced epoch).
 * The transformer stays up and maps every change exactly once from its committed offsets. (Kafka
 * 4.1.0 brokers may answer such a send with the fatal {@code InvalidTxnStateException} instead,
 * KAFKA-19690: {@code ThreadFailurePolicy} replaces the thread then.)
 */
@Timeout(180)
class StalledStreamThreadIT {
  private static final String PREFIX = "stalledit";
  private static final AtomicBoolean PAUSED = new AtomicBoolean();
  private static String bootstrap;
  private static EmbeddedSchemaRegistry registry;

  @BeforeAll
  static void broker() {
    bootstrap = TestKafka.bootstrapServers();
    registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.kafka(bootstrap).withTopic("_schemas_stalled_it"));
    TestKafka.createTopics(1, true, PREFIX + ".public.products");
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  /** Products; the mapping of the product titled "pause" stalls once for {@code pauseMillis}. */
  private record StallingCatalog(long pauseMillis) implements DomainTopology {
    @Override
    public String service() {
      return "stalled";
    }

    @Override
    public void define(StreamsBuilder builder, TopologyContext ctx) {
      Topic<GenericRecord, GenericRecord> product = ctx.domainTopic("product");
      // The stalled change writes to a partition its transaction has not written to before: the
      // broker's verification of that partition is what answers InvalidTxnStateException.
      Topic<GenericRecord, GenericRecord> paused = ctx.domainTopic("paused");
      ctx.mapTable(
          builder,
          "products",
          new TableMapper() {
            @Override
            public List<Output<?, ?>> map(ChangeEvent change, MappingScope scope) {
              String sku = (String) change.key().get("sku");
              Object title = change.after().get("title");
              boolean pause = "pause".equals(title);
              if (pause && PAUSED.compareAndSet(false, true)) {
                try {
                  Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  throw new IllegalStateException(e);
                }
              }
              GenericRecord key = new GenericData.Record(JavaTopologyTest.KEY);
              key.put("sku", sku);
              GenericRecord value = new GenericData.Record(JavaTopologyTest.VALUE);
              value.put("sku", sku);
              value.put("title", title);
              value.put("weight_g", 1L);
              value.put("versions", 1);
              return List.of(
                  Output.to(
                      pause ? paused : product,
                      DomainRecord.upsert(key, value, change.position())));
            }

            @Override
            public Set<String> stores() {
              return Set.of();
            }
          });
    }
  }

  private static void produce(String sku, String title, long lsn) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  PREFIX + ".public.products",
                  Debezium.key("sku", sku),
                  Debezium.create(
                      "products", Debezium.row("sku", sku, "title", title, "weight_kg", "1"), lsn)))
          .get();
    }
  }

  @Test
  void threadStalledPastItsTransactionTimeoutIsReplacedAndEveryChangeIsMappedOnce()
      throws Exception {
    produce("SKU-1", "tea", 100);
    produce("SKU-2", "pause", 200);
    produce("SKU-3", "cake", 300);
    TransformerRuntime runtime =
        TransformerRuntime.create(
            new StallingCatalog(15_000),
            TransformerOptions.of(bootstrap, registry.url())
                .withRawTopicPrefix(PREFIX)
                .withStateDir(Files.createTempDirectory("carve-stalled-it"))
                .withKafkaProperties(
                    Map.of(
                        "commit.interval.ms",
                        "1000",
                        // The broker aborts the open transaction after 2 s (its check runs
                        // every 10 s), long before the mapping of SKU-2 ends.
                        "producer.transaction.timeout.ms",
                        "2000",
                        "consumer.session.timeout.ms",
                        "6000")));
    List<String> skus = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> out =
        TestKafka.committedReader("stalled-it", "stalled.product")) {
      out.subscribe(List.of("stalled.product", "stalled.paused"));
      runtime.start();
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                for (ConsumerRecord<byte[], byte[]> r : out.poll(Duration.ofMillis(200))) {
                  GenericRecord key =
                      (GenericRecord)
                          AvroSerdes.generic(Map.of("schema.registry.url", registry.url()), true)
                              .deserializer()
                              .deserialize(r.topic(), r.key());
                  skus.add(key.get("sku").toString());
                }
                return skus.size() >= 3 || runtime.state() == TransformerRuntime.State.FAILED;
              });
      assertThat(PAUSED).isTrue();
      assertThat(runtime.failure()).isNull();
      assertThat(runtime.state()).isNotEqualTo(TransformerRuntime.State.FAILED);
      // Read a while longer: each change exactly once in what was committed.
      long until = System.currentTimeMillis() + 3_000;
      while (System.currentTimeMillis() < until) {
        out.poll(Duration.ofMillis(200)).forEach(r -> skus.add("more"));
      }
      assertThat(skus).containsExactlyInAnyOrder("SKU-1", "SKU-2", "SKU-3");
    } finally {
      runtime.close(Duration.ofSeconds(30));
    }
  }
}
