package dev.carve.capture;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.core.config.Substitution;
import dev.carve.examples.DataGenerator;
import dev.carve.examples.LegacyShop;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same connector file, once on a real Kafka Connect worker (standalone, in this JVM) deployed
 * through {@link ConnectClient}, once on {@link EmbeddedCapture}: both must write the same bytes
 * (apart from the source block's positions and timestamps, which differ between two slots).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KafkaConnectParityIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DB = "capture_parity";

  @TempDir static Path workDir;
  private static Connect<StandaloneHerder> connect;
  private static ConnectClient client;

  @BeforeAll
  static void startConnectAndShop() throws Exception {
    BrokerShutdownGuard.install();
    TestPostgres.createDatabase(DB);
    try (Connection c = TestPostgres.connect(DB)) {
      LegacyShop.createSchema(c);
      DataGenerator.create(new DataGenerator.Sizes(15, 6, 25), 23)
          .generate(c, DataGenerator.Progress.NONE);
    }
    connect =
        new ConnectStandalone()
            .startConnect(
                Map.of(
                    "bootstrap.servers", TestKafka.bootstrapServers(),
                    "key.converter", "org.apache.kafka.connect.json.JsonConverter",
                    "value.converter", "org.apache.kafka.connect.json.JsonConverter",
                    "offset.storage.file.filename",
                        Files.createTempFile(workDir, "offsets", ".dat").toString(),
                    "offset.flush.interval.ms", "500",
                    "listeners", "http://localhost:0"));
    client = ConnectClient.create(connect.rest().advertisedUrl());
  }

  @AfterAll
  static void stopConnect() {
    if (connect != null) {
      connect.stop();
      connect.awaitStop();
    }
  }

  private static ConnectorConfig connector(String name, String prefix) {
    Map<String, String> env =
        Map.of(
            "MONOLITH_PORT",
            Integer.toString(TestPostgres.port()),
            "MONOLITH_DB",
            DB,
            "MONOLITH_PASSWORD",
            TestPostgres.PASSWORD);
    String json;
    try {
      json =
          Files.readString(Path.of("connectors/legacy-shop.json"))
              .replace("\"legacy-shop\"", "\"" + name + "\"");
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    return ConnectorConfig.parse(json, "legacy-shop.json", new Substitution(env::get))
        .withOverrides(
            Map.of(
                "topic.prefix",
                prefix,
                "slot.name",
                DB + "_" + prefix,
                "publication.name",
                DB + "_" + prefix));
  }

  @Test
  void embeddedEngineWritesTheBytesKafkaConnectWrites() throws Exception {
    ConnectorConfig viaConnect = connector("parity-connect", "viaconnect");
    assertThat(client.deploy(viaConnect)).isEqualTo(ConnectClient.DeployResult.CREATED);
    assertThat(client.deploy(viaConnect)).isEqualTo(ConnectClient.DeployResult.UNCHANGED);
    assertThat(client.diff(viaConnect).empty()).isTrue();
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> client.status("parity-connect").healthy());

    try (EmbeddedCapture capture =
        EmbeddedCapture.create(
            connector("parity-embedded", "viaembedded"),
            EmbeddedCapture.Options.of(TestKafka.bootstrapServers())
                .withOffsetsTopic("capture-it-offsets-parity"))) {
      capture.start();
      for (String table : List.of("customers", "orders", "products")) {
        int expected = table.equals("customers") ? 15 : table.equals("orders") ? 25 : 6;
        List<ConsumerRecord<byte[], byte[]>> a = read("viaconnect.public." + table, expected);
        List<ConsumerRecord<byte[], byte[]>> b = read("viaembedded.public." + table, expected);
        a.sort(Comparator.comparing(r -> new String(r.key())));
        b.sort(Comparator.comparing(r -> new String(r.key())));
        for (int i = 0; i < expected; i++) {
          assertThat(b.get(i).key()).as(table + " key").isEqualTo(a.get(i).key());
          assertThat(normalized(b.get(i).value()))
              .as(table + " value")
              .isEqualTo(normalized(a.get(i).value()));
          assertThat(b.get(i).partition()).isEqualTo(a.get(i).partition());
        }
      }
    }
    client.pause("parity-connect");
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> client.status("parity-connect").state().equals("PAUSED"));
    client.resume("parity-connect");
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> client.status("parity-connect").healthy());
    client.delete("parity-connect");
  }

  /** The value's JSON text with the fields that differ between two slots or runs blanked. */
  private static String normalized(byte[] value) throws Exception {
    ObjectNode node = (ObjectNode) JSON.readTree(value);
    for (String f : List.of("ts_ms", "ts_us", "ts_ns")) {
      if (node.has(f)) {
        node.put(f, 0);
      }
    }
    JsonNode source = node.get("source");
    if (source instanceof ObjectNode s) {
      for (String f :
          List.of("ts_ms", "ts_us", "ts_ns", "lsn", "txId", "sequence", "name", "snapshot")) {
        if (s.has(f)) {
          s.put(f, "x");
        }
      }
    }
    return node.toString();
  }

  private static List<ConsumerRecord<byte[], byte[]>> read(String topic, int count) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> !consumer.partitionsFor(topic).isEmpty());
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (out.size() < count && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    assertThat(out).as(topic).hasSize(count);
    return out;
  }
}
