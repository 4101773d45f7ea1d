package dev.carve.cli;

import static dev.carve.cli.CommandItSupport.carve;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carve.cli.CommandItSupport.Run;
import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.runtime.Part;
import dev.carve.cli.runtime.ServiceRuntime;
import dev.carve.core.config.Substitution;
import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documented way to re-map a service after its mapping changed, end to end on a real broker,
 * registry and PostgreSQL: the service runs, its mapping changes, {@code carve transform --reset},
 * the transformer runs again, {@code carve replay} swaps in a store built from the new records.
 */
@Timeout(300)
class RemapIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SERVICE = "remap_it";
  private static final String DATABASE = "remap_it";
  private static final String PREFIX = "remapit";
  private static final String ROWS = "SELECT item_id, name FROM public.item ORDER BY item_id";

  @TempDir Path dir;

  private static String mapping(String nameField) {
    return String.join(
        "\n",
        "service: remap_it",
        "entities:",
        "  item:",
        "    table: items",
        "    key: [item_id]",
        "    fields:",
        "      item_id: {column: item_no, convert: long}",
        "      name: " + nameField,
        "");
  }

  private Path config(String registryUrl) throws Exception {
    Path connector = dir.resolve("connector.json");
    Files.writeString(
        connector, "{\"name\": \"remap-it\", \"config\": {\"topic.prefix\": \"" + PREFIX + "\"}}");
    String yaml =
        String.join(
            "\n",
            "kafka:",
            "  bootstrap-servers: " + TestKafka.bootstrapServers(),
            "  properties:",
            "    session.timeout.ms: \"6000\"",
            "schema-registry:",
            "  url: " + registryUrl,
            "capture:",
            "  connector: " + connector,
            "services:",
            "  " + SERVICE + ":",
            "    topology: " + dir.resolve("remap_it.yaml"),
            "    target:",
            "      jdbc-url: " + TestPostgres.jdbcUrl(DATABASE),
            "      username: " + TestPostgres.USER,
            "      password: \"" + TestPostgres.PASSWORD + "\"",
            "");
    Path file = dir.resolve("carve.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private static String change(long itemNo, String name, long lsn) throws Exception {
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("version", "3.3.1.Final");
    source.put("connector", "postgresql");
    source.put("name", PREFIX);
    source.put("ts_ms", 1_700_000_000_000L);
    source.put("snapshot", "false");
    source.put("db", "legacy_shop");
    source.put("sequence", "[\"" + (lsn - 8) + "\",\"" + lsn + "\"]");
    source.put("schema", "public");
    source.put("table", "items");
    source.put("txId", 700);
    source.put("lsn", lsn);
    source.put("xmin", null);
    Map<String, Object> after = new LinkedHashMap<>();
    after.put("item_no", itemNo);
    after.put("name", name);
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("before", null);
    value.put("after", after);
    value.put("source", source);
    value.put("transaction", null);
    value.put("op", "c");
    value.put("ts_ms", 1_700_000_000_100L);
    return JSON.writeValueAsString(value);
  }

  private static List<String> rows() throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = TestPostgres.connect(DATABASE);
        Statement s = c.createStatement()) {
      if (!c.getMetaData().getTables(null, "public", "item", null).next()) {
        return out;
      }
      try (ResultSet rs = s.executeQuery(ROWS)) {
        while (rs.next()) {
          out.add(rs.getLong(1) + "=" + rs.getString(2));
        }
      }
    }
    return out;
  }

  private static ServiceRuntime service(Path config, Path state) {
    CarveConfig c = CarveConfig.load(config, Substitution.fromEnvironment());
    return ServiceRuntime.create(
        c.service(SERVICE), c, c.kafka().bootstrapServers(), c.registryUrl(), state);
  }

  @Test
  void changedMappingReachesEveryRowAfterResetTransformAndReplay() throws Exception {
    TestKafka.createTopics(1, true, PREFIX + ".public.items");
    TestPostgres.createDatabase(DATABASE);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (long i = 1; i <= 3; i++) {
        producer
            .send(
                new ProducerRecord<>(
                    PREFIX + ".public.items",
                    "{\"item_no\":" + i + "}",
                    change(i, "widget " + i, 1_000 + 16 * i)))
            .get();
      }
    }
    Files.writeString(dir.resolve("remap_it.yaml"), mapping("name"));
    try (EmbeddedSchemaRegistry registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.kafka(TestKafka.bootstrapServers())
                .withTopic("_schemas_remap_it"))) {
      Path config = config(registry.url());
      String cfg = config.toString();
      Path state = dir.resolve("state");

      // The service runs with the first mapping.
      List<Part> parts = service(config, state).parts();
      parts.forEach(Part::start);
      await()
          .atMost(Duration.ofSeconds(120))
          .until(() -> rows().equals(List.of("1=widget 1", "2=widget 2", "3=widget 3")));
      parts.forEach(part -> assertThat(part.stop(Duration.ofSeconds(30))).isTrue());

      // The mapping changes; the reset refuses until the stopped Streams member has left.
      Files.writeString(dir.resolve("remap_it.yaml"), mapping("{column: name, convert: upper}"));
      List<Run> resets = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> {
                Run r =
                    carve(
                        "transform",
                        SERVICE,
                        "--reset",
                        "--config",
                        cfg,
                        "--state-dir",
                        state.toString());
                resets.add(r);
                return r.exit() == 0;
              });
      assertThat(resets.get(resets.size() - 1).out()).contains("deleted", SERVICE + ".item");
      // Nothing changed in the store yet: readers see the old mapping until the replay's swap.
      assertThat(rows()).containsExactly("1=widget 1", "2=widget 2", "3=widget 3");

      // The transformer maps every raw change again, then the replay swaps in the new store.
      Part transformer = service(config, state).parts().get(0);
      transformer.start();
      try {
        await()
            .atMost(Duration.ofSeconds(120))
            .until(() -> committedRecords(SERVICE + ".item") >= 3);
        Run replay = carve("replay", SERVICE, "--config", cfg);
        assertThat(replay.exit()).as(replay.both()).isZero();
        assertThat(replay.out()).contains("replayed 3 records", "shadow swapped in");
        assertThat(rows()).containsExactly("1=WIDGET 1", "2=WIDGET 2", "3=WIDGET 3");
      } finally {
        transformer.stop(Duration.ofSeconds(30));
      }
    }
  }

  /** Committed records in {@code topic} (a fresh topic: only the re-mapped ones). */
  private static int committedRecords(String topic) {
    int n = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = TestKafka.committedReader("remap-it", topic)) {
      long until = System.currentTimeMillis() + 3_000;
      while (System.currentTimeMillis() < until) {
        n += consumer.poll(Duration.ofMillis(200)).count();
      }
    }
    return n;
  }
}
