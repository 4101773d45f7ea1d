package dev.carve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carve.core.CarveHeaders;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code carve status} against a real broker and a real PostgreSQL with lags and dead letters set
 * up by hand, so every figure it prints is known: the transformer lag counts only the raw topics
 * the service's topology reads, and the dead letters are counted without the transaction markers
 * exactly-once Streams leaves in the dead-letter topic.
 */
@Timeout(180)
class StatusCommandIT {
  private static final String DB = "status_it_source";
  private static final String SLOT = "carve_status_it";
  private static final Path HOME = TestHome.dir();

  @TempDir static Path dir;
  private static Path config;

  @BeforeAll
  static void setUp() throws Exception {
    TestPostgres.createDatabase(DB);
    try (Connection c = TestPostgres.connect(DB);
        Statement s = c.createStatement()) {
      s.execute("SELECT pg_create_logical_replication_slot('" + SLOT + "', 'pgoutput')");
      // WAL written after the slot was created and never confirmed: the capture lag.
      s.execute("CREATE TABLE filler (id int PRIMARY KEY, t text)");
      s.execute("INSERT INTO filler SELECT g, repeat('x', 100) FROM generate_series(1, 200) g");
    }
    Path connector = dir.resolve("connector.json");
    Files.writeString(
        connector,
        Files.readString(HOME.resolve("cdc-connector-config/connectors/legacy-shop.json"))
            .replace("\"slot.name\": \"carve_legacy_shop\"", "\"slot.name\": \"" + SLOT + "\""));
    config = dir.resolve("carve.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "kafka:",
            "  bootstrap-servers: " + TestKafka.bootstrapServers(),
            "schema-registry:",
            "  url: http://127.0.0.1:9",
            "capture:",
            "  connector: " + connector,
            "source:",
            "  jdbc-url: " + TestPostgres.jdbcUrl(DB),
            "  username: " + TestPostgres.USER,
            "  password: " + TestPostgres.PASSWORD,
            "services:",
            "  customers:",
            "    topology: " + HOME.resolve("stream-transformer/topologies/customers.yaml"),
            "    target: {jdbc-url: 'jdbc:postgresql://127.0.0.1:9/customers', username: app}",
            "  orders:",
            "    topology: " + HOME.resolve("stream-transformer/topologies/orders.yaml"),
            "    target: {jdbc-url: 'jdbc:postgresql://127.0.0.1:9/orders', username: app}",
            ""));

    TestKafka.createTopics(
        1,
        true,
        "legacy.public.customers",
        "legacy.public.orders",
        "customers.customer",
        "customers.dlq");
    produce("legacy.public.customers", 10);
    produce("legacy.public.orders", 4);
    produce("customers.customer", 5);
    try (KafkaProducer<String, String> tx = producer("status-it-tx")) {
      tx.initTransactions();
      tx.beginTransaction();
      tx.send(deadLetter("transform"));
      tx.send(deadLetter("transform"));
      tx.commitTransaction();
      tx.beginTransaction();
      tx.send(deadLetter("transform"));
      tx.abortTransaction();
    }
    try (KafkaProducer<String, String> p = producer(null)) {
      p.send(deadLetter("sink")).get();
    }
    try (Admin admin = Admin.create(TestKafka.adminProperties())) {
      commit(admin, "carve-customers", "legacy.public.customers", 4);
      commit(admin, "carve-sink-customers", "customers.customer", 2);
      commit(admin, "carve-orders", "legacy.public.orders", 3);
    }
  }

  @AfterAll
  static void dropSlot() throws Exception {
    try (Connection c = TestPostgres.connect(DB);
        Statement s = c.createStatement()) {
      s.execute(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
              + " WHERE slot_name = '"
              + SLOT
              + "'");
    }
  }

  @Test
  void tableNamesEachServiceWithItsLagsAndDeadLettersByStage() {
    Run run = carve("status", "--config", config.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .containsPattern("capture    slot " + SLOT + ": [\\d,]+ bytes of WAL not yet confirmed")
        .containsPattern("service +transform lag +sink lag +dead letters +by stage")
        // 10 raw records, 4 committed; addresses (also read) does not exist; orders not counted.
        .containsPattern("customers +6 +3 +3  sink 1, transform 2")
        .containsPattern("orders +1 +0 +0  -");
  }

  @Test
  void jsonNamesEachServiceWithItsLagsAndDeadLetters() throws Exception {
    Run run = carve("status", "--json", "--config", config.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    JsonNode json = new ObjectMapper().readTree(run.out());
    assertThat(json.at("/capture/slot").asText()).isEqualTo(SLOT);
    assertThat(json.at("/capture/slotLagBytes").asLong()).isPositive();
    JsonNode customers = json.at("/services/0");
    assertThat(customers.get("service").asText()).isEqualTo("customers");
    assertThat(customers.get("transformGroup").asText()).isEqualTo("carve-customers");
    assertThat(customers.get("transformLag").asLong()).isEqualTo(6);
    assertThat(customers.get("sinkGroup").asText()).isEqualTo("carve-sink-customers");
    assertThat(customers.get("sinkLag").asLong()).isEqualTo(3);
    assertThat(customers.get("deadLetters").asLong())
        .as(
            "two committed transform dead letters and one of the sink; markers and the aborted one"
                + " not counted")
        .isEqualTo(3);
    assertThat(customers.at("/deadLettersByStage/transform").asLong()).isEqualTo(2);
    assertThat(customers.at("/deadLettersByStage/sink").asLong()).isEqualTo(1);
    JsonNode orders = json.at("/services/1");
    assertThat(orders.get("service").asText()).isEqualTo("orders");
    assertThat(orders.get("transformLag").asLong()).isEqualTo(1);
    assertThat(orders.get("sinkLag").asLong()).isZero();
    assertThat(orders.get("deadLetters").asLong()).isZero();
  }

  @Test
  void namedServicesOnly() {
    Run run = carve("status", "orders", "--config", config.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("orders").doesNotContain("customers");
  }

  @Test
  void unknownServiceFailsNamingItAndTheKnownOnes() {
    Run run = carve("status", "invoices", "--config", config.toString());

    assertThat(run.exit()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(run.err())
        .contains("Unknown service 'invoices'; services in the configuration: customers, orders")
        .doesNotContain("\tat ");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void unreachableKafkaIsNamedWithTheConfigToUseWhileCarveUpRuns(@TempDir Path dir)
      throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Path other = dir.resolve("carve.yaml");
    Files.writeString(
        other,
        Files.readString(config)
            .replace(TestKafka.bootstrapServers(), "localhost:" + closed)
            .replace(
                "  bootstrap-servers:",
                "  properties: {reconnect.backoff.max.ms: 1000}\n  bootstrap-servers:"));

    Run run = carve("status", "--config", other.toString());

    assertThat(run.exit()).as(run.err()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(run.err())
        .contains("Cannot reach Kafka at localhost:" + closed)
        .contains("did not answer within 10 s")
        .contains("kafka.bootstrap-servers of " + other)
        .contains("--config .carve/carve-up.yaml")
        .doesNotContain("null")
        .doesNotContain("\tat ");
  }

  private record Run(int exit, String out, String err) {}

  private static Run carve(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = Carve.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private static KafkaProducer<String, String> producer(String transactionalId) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
    if (transactionalId != null) {
      p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    }
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  private static void produce(String topic, int n) throws Exception {
    try (KafkaProducer<String, String> p = producer(null)) {
      for (int i = 0; i < n; i++) {
        p.send(new ProducerRecord<>(topic, "k" + i, "v" + i)).get();
      }
    }
  }

  private static int deadLetters;

  private static ProducerRecord<String, String> deadLetter(String stage) {
    ProducerRecord<String, String> r =
        new ProducerRecord<>("customers.dlq", "k" + deadLetters++, "bad");
    r.headers().add(CarveHeaders.DLQ_STAGE, stage.getBytes(StandardCharsets.UTF_8));
    r.headers().add(CarveHeaders.DLQ_SERVICE, "customers".getBytes(StandardCharsets.UTF_8));
    return r;
  }

  private static void commit(Admin admin, String group, String topic, long offset)
      throws Exception {
    admin
        .alterConsumerGroupOffsets(
            group, Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(offset)))
        .all()
        .get();
  }
}
