package dev.carve.cli;

import static dev.carve.cli.CommandItSupport.carve;
import static dev.carve.cli.CommandItSupport.entity;
import static dev.carve.cli.CommandItSupport.execute;
import static dev.carve.cli.CommandItSupport.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.carve.cli.CommandItSupport.Run;
import dev.carve.core.CarveHeaders;
import dev.carve.schemas.EntitySchemas;
import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import dev.carve.sink.ServiceSink;
import dev.carve.sink.internal.PostgresDialect;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code carve dlq list | show | retry | purge} through the command line, on a failure log filled
 * by a real sink: orders the target database refuses (a CHECK constraint a DBA added) reach the
 * dead-letter topic and {@code carve_failures}; once the constraint is relaxed a retry writes them.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DlqCommandIT {
  private static final String SERVICE = "dlq_it";
  private static final String DATABASE = "dlq_command_it";
  private static final String TOPIC = "dlq_it.order";
  private static final String DLQ = "dlq_it.dlq";
  private static final String FAILURES =
      "SELECT kafka_offset, status, attempts FROM public.carve_failures ORDER BY id";

  private static EmbeddedSchemaRegistry registry;

  @TempDir static Path dir;

  @BeforeAll
  static void startRegistry() {
    TestKafka.createTopics(1, true, TOPIC, "_schemas_dlq_command_it");
    TestKafka.createTopics(1, false, DLQ);
    TestPostgres.createDatabase(DATABASE);
    registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.kafka(TestKafka.bootstrapServers())
                .withTopic("_schemas_dlq_command_it"));
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  private static GenericRecord key(EntitySchemas order, long id) {
    GenericRecord k = new GenericData.Record(order.key());
    k.put("order_id", id);
    return k;
  }

  private static GenericRecord order(EntitySchemas order, long id, long totalCents) {
    GenericRecord v = new GenericData.Record(order.value());
    v.put("order_id", id);
    v.put("order_ref", "ORD-2024-" + id);
    v.put("customer_id", 7L);
    v.put("ordered_at", 1_700_000_000_000_000L);
    v.put("status", new GenericData.EnumSymbol(order.value().getField("status").schema(), "NEW"));
    BigDecimal total = BigDecimal.valueOf(totalCents, 2);
    v.put("total", ByteBuffer.wrap(total.unscaledValue().toByteArray()));
    v.put("total_cents", totalCents);
    v.put("currency", "EUR");
    v.put("line_count", 1);
    return v;
  }

  @Test
  void failuresOfARealSinkAreListedShownRetriedAndPurgedThroughTheCommand() throws Exception {
    Path config = CommandItSupport.writeConfig(dir, SERVICE, DATABASE, registry.url());
    String cfg = config.toString();
    EntitySchemas order = entity(SERVICE, "order");
    CommandItSupport.Producer producer = new CommandItSupport.Producer(registry.url());

    try (ServiceSink sink = CommandItSupport.liveSink(config, SERVICE)) {
      sink.start();
      producer.add(TOPIC, key(order, 1), order(order, 1, 100), 100).send();
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 1);
      // A rule a DBA added behind the pipeline's back: these two totals are refused for good.
      execute(
          DATABASE,
          "ALTER TABLE public.\"order\" ADD CONSTRAINT no_big_orders"
              + " CHECK (total_cents NOT IN (5000, 7000))");
      producer
          .add(TOPIC, key(order, 2), order(order, 2, 5000), 200)
          .add(TOPIC, key(order, 3), order(order, 3, 7000), 300)
          .send();
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 3);
    }
    assertThat(rows(DATABASE, FAILURES)).containsExactly("1|OPEN|1", "2|OPEN|1");
    assertThat(deadLetterErrors())
        .hasSize(2)
        .allSatisfy(e -> assertThat(e).contains("no_big_orders"));
    List<String> ids = rows(DATABASE, "SELECT id FROM public.carve_failures ORDER BY id");
    String first = ids.get(0);
    String second = ids.get(1);

    Run list = carve("dlq", "list", SERVICE, "--config", cfg);
    assertThat(list.exit()).as(list.both()).isZero();
    assertThat(list.out())
        .containsPattern("(?m)^ +" + first + "  open +dlq_it\\.order +0 +1  attempts 1 ")
        .containsPattern("(?m)^ +" + second + "  open +dlq_it\\.order +0 +2  attempts 1 ")
        .contains("key {\"order_id\": 2}")
        .contains("no_big_orders")
        .contains("2 open failure(s) of service 'dlq_it'");

    Run show = carve("dlq", "show", SERVICE, first, "--config", cfg);
    assertThat(show.exit()).as(show.both()).isZero();
    assertThat(show.out())
        .startsWith("failure " + first + " of service 'dlq_it': open")
        .contains("record      dlq_it.order partition 0 offset 1")
        .contains("key         {\"order_id\": 2}")
        .contains("attempts    1")
        .containsPattern("first seen  \\d{4}-\\d\\d-\\d\\dT")
        .containsPattern("last seen   \\d{4}-\\d\\d-\\d\\dT")
        .containsPattern("error       SQLException: .*violates check constraint \"no_big_orders\"")
        .doesNotContain("{\"order_id\": 3}");

    // Relax the rule for order 2 only: one retry succeeds, the other fails again.
    execute(
        DATABASE,
        "ALTER TABLE public.\"order\" DROP CONSTRAINT no_big_orders;"
            + " ALTER TABLE public.\"order\" ADD CONSTRAINT no_big_orders"
            + " CHECK (total_cents <> 7000)");
    Run retry = carve("dlq", "retry", SERVICE, "--config", cfg);
    assertThat(retry.exit()).as("not every failure was resolved: " + retry.both()).isEqualTo(1);
    assertThat(retry.out())
        .containsPattern("(?m)^ +" + first + "  resolved  written$")
        .containsPattern("(?m)^ +" + second + "  failed again  .*no_big_orders")
        .contains("1 of 2 retried failure(s) resolved");
    assertThat(rows(DATABASE, "SELECT order_id, total_cents FROM public.\"order\" ORDER BY 1"))
        .containsExactly("1|100", "2|5000");
    assertThat(rows(DATABASE, FAILURES)).containsExactly("1|RESOLVED|2", "2|OPEN|2");

    Run open = carve("dlq", "list", SERVICE, "--config", cfg);
    assertThat(open.out())
        .contains("1 open failure(s) of service 'dlq_it'")
        .doesNotContainPattern("(?m)^ +" + first + " ");
    Run all = carve("dlq", "list", SERVICE, "--all", "--config", cfg);
    assertThat(all.out())
        .containsPattern("(?m)^ +" + first + "  resolved ")
        .contains("2 failure(s) of service 'dlq_it'");

    Run dryRun = carve("dlq", "purge", SERVICE, "--dry-run", "--config", cfg);
    assertThat(dryRun.exit()).as(dryRun.both()).isZero();
    assertThat(dryRun.out())
        .contains(
            "would delete 1 resolved failure(s) of service 'dlq_it'; dry run: nothing deleted");
    Run dryRunOpen =
        carve("dlq", "purge", SERVICE, "--status", "OPEN", "--dry-run", "--config", cfg);
    assertThat(dryRunOpen.out()).contains("would delete 1 open failure(s) of service 'dlq_it'");
    Run dryRunOld =
        carve("dlq", "purge", SERVICE, "--older-than", "1h", "--dry-run", "--config", cfg);
    assertThat(dryRunOld.out())
        .contains(
            "would delete 0 resolved failure(s) of service 'dlq_it' last seen more than 1h ago");
    assertThat(rows(DATABASE, FAILURES)).as("a dry run deletes nothing").hasSize(2);

    Run tooYoung = carve("dlq", "purge", SERVICE, "--older-than", "7d", "--config", cfg);
    assertThat(tooYoung.exit()).as(tooYoung.both()).isZero();
    assertThat(tooYoung.out()).contains("deleted 0 resolved failure(s)");
    assertThat(rows(DATABASE, FAILURES)).hasSize(2);

    Run purge = carve("dlq", "purge", SERVICE, "--config", cfg);
    assertThat(purge.exit()).as(purge.both()).isZero();
    assertThat(purge.out()).contains("deleted 1 resolved failure(s) of service 'dlq_it'");
    assertThat(rows(DATABASE, FAILURES)).as("the open failure is kept").containsExactly("2|OPEN|2");

    execute(DATABASE, "ALTER TABLE public.\"order\" DROP CONSTRAINT no_big_orders");
    Run retryOne = carve("dlq", "retry", SERVICE, second, "--config", cfg);
    assertThat(retryOne.exit()).as(retryOne.both()).isZero();
    assertThat(retryOne.out()).contains("1 of 1 retried failure(s) resolved");
    assertThat(rows(DATABASE, "SELECT order_id, total_cents FROM public.\"order\" ORDER BY 1"))
        .containsExactly("1|100", "2|5000", "3|7000");
    assertThat(rows(DATABASE, FAILURES)).containsExactly("2|RESOLVED|3");

    // Regression: show printed an entry of another service logged in the same schema.
    String foreign =
        rows(
                DATABASE,
                "INSERT INTO public.carve_failures"
                    + " (service, topic, kafka_partition, kafka_offset, record_key, error)"
                    + " VALUES ('billing', 'billing.invoice', 0, 9, 'k', 'E') RETURNING id")
            .get(0);
    Run showForeign = carve("dlq", "show", SERVICE, foreign, "--config", cfg);
    assertThat(showForeign.exit()).as(showForeign.both()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(showForeign.err()).contains("No failure " + foreign + " for service 'dlq_it'");
    Run retryForeign = carve("dlq", "retry", SERVICE, foreign, "--config", cfg);
    assertThat(retryForeign.exit()).isEqualTo(Carve.EXIT_USAGE);
    Run purgeForeign = carve("dlq", "purge", SERVICE, "--status", "open", "--config", cfg);
    assertThat(purgeForeign.out()).contains("deleted 0 open failure(s)");
    assertThat(carve("dlq", "list", SERVICE, "--all", "--config", cfg).out())
        .doesNotContain("billing")
        .contains("1 failure(s) of service 'dlq_it'");
    assertThat(rows(DATABASE, "SELECT service, status FROM public.carve_failures ORDER BY id"))
        .containsExactly("dlq_it|RESOLVED", "billing|OPEN");
  }

  /**
   * Regression: {@code dlq retry} wrote failures older than tombstone-retention (failure-retention
   * is longer), whose key's newer delete may have lost its tombstone: the row came back.
   */
  @Test
  void aFailureOlderThanTheTombstoneRetentionIsRefusedUnlessForcedAndADryRunSaysSo()
      throws Exception {
    Path config = CommandItSupport.writeConfig(dir, SERVICE, DATABASE, registry.url());
    String cfg = config.toString();
    execute(DATABASE, PostgresDialect.createFailureTable("public"));
    String id =
        rows(
                DATABASE,
                "INSERT INTO public.carve_failures (service, topic, kafka_partition, kafka_offset,"
                    + " record_key, error, first_seen, last_seen) VALUES ('dlq_it',"
                    + " 'dlq_it.order', 0, 424242, '{\"order_id\": 9}', 'E',"
                    + " now() - interval '9 days 2 hours', now() - interval '1 day') RETURNING id")
            .get(0);
    try {
      Run dryRun = carve("dlq", "retry", SERVICE, id, "--dry-run", "--config", cfg);
      assertThat(dryRun.exit()).as(dryRun.both()).isZero();
      assertThat(dryRun.out())
          .containsPattern(
              "(?m)^ +" + id + "  would refuse  Not retried: failure " + id + " of service")
          .contains("first failed 9d 2h ago, longer than tombstone-retention (")
          .contains("failure-retention is ")
          .contains("would retry 0 of 1 failure(s) of service 'dlq_it'; dry run: nothing written");

      Run forcedDryRun =
          carve(
              "dlq",
              "retry",
              SERVICE,
              id,
              "--force-older-than-tombstones",
              "--dry-run",
              "--config",
              cfg);
      assertThat(forcedDryRun.out())
          .containsPattern(
              "(?m)^ +"
                  + id
                  + "  would retry  dlq_it\\.order 0 424242  key \\{\"order_id\": 9\\}"
                  + "  first failed 9d 2h ago$")
          .contains("would retry 1 of 1 failure(s)");

      Run refused = carve("dlq", "retry", SERVICE, id, "--config", cfg);
      assertThat(refused.exit()).as(refused.both()).isEqualTo(Carve.EXIT_FAILURE);
      assertThat(refused.out())
          .containsPattern("(?m)^ +" + id + "  refused  Not retried: failure " + id)
          .contains("0 of 0 retried failure(s) resolved; 1 refused as older than");
      assertThat(
              rows(DATABASE, "SELECT status, attempts FROM public.carve_failures WHERE id = " + id))
          .as("a refused retry changes nothing")
          .containsExactly("OPEN|1");
    } finally {
      execute(DATABASE, "DELETE FROM public.carve_failures WHERE id = " + id);
    }
  }

  /**
   * Regression: {@code dlq retry} without an id took only the oldest 1000 open failures and said
   * "1000 of 1000 retried failure(s) resolved"; when those were refused (older than
   * tombstone-retention) or kept failing, every run took the same ones again and a newer failure
   * was never retried. {@code dlq list} said "100 open failure(s)" when there were more.
   */
  @Test
  void aRetryOfEveryOpenFailureGoesPastAPageOfRefusedOnesAndCountsThemAll() throws Exception {
    String service = "dlq_pages_it";
    String database = "dlq_pages_it";
    String topic = service + ".order";
    TestKafka.createTopics(1, true, topic);
    TestPostgres.createDatabase(database);
    Path pagesDir = Files.createDirectories(dir.resolve(service));
    String cfg =
        CommandItSupport.writeConfig(pagesDir, service, database, registry.url()).toString();
    EntitySchemas order = entity(service, "order");
    new CommandItSupport.Producer(registry.url())
        .add(topic, key(order, 2), order(order, 2, 5000), 200)
        .send();
    // Seven failures older than tombstone-retention: more than one page of five, all refused.
    // Then the failure of order 2 (offset 0), which a constraint since dropped had refused. Carve's
    // own tables first, as the sink that logged them created them.
    execute(database, PostgresDialect.createTombstoneTable("public"));
    execute(database, PostgresDialect.createFailureTable("public"));
    execute(
        database,
        "INSERT INTO public.carve_failures (service, topic, kafka_partition, kafka_offset,"
            + " record_key, error, first_seen, last_seen) SELECT 'dlq_pages_it',"
            + " 'dlq_pages_it.order', 0, 1000 + n, '{\"order_id\": ' || (1000 + n) || '}', 'E',"
            + " now() - interval '9 days', now() - interval '1 day' FROM generate_series(1, 7) n");
    String recent =
        rows(
                database,
                "INSERT INTO public.carve_failures (service, topic, kafka_partition,"
                    + " kafka_offset, record_key, error) VALUES ('dlq_pages_it',"
                    + " 'dlq_pages_it.order', 0, 0, '{\"order_id\": 2}', 'E') RETURNING id")
            .get(0);

    Run list = carve("dlq", "list", service, "--limit", "3", "--config", cfg);
    assertThat(list.exit()).as(list.both()).isZero();
    assertThat(list.out())
        .contains("... 5 more, --limit to see them")
        .contains("3 of 8 open failure(s) of service 'dlq_pages_it' shown, oldest first");
    assertThat(carve("dlq", "list", service, "--config", cfg).out())
        .contains("8 open failure(s) of service 'dlq_pages_it'")
        .doesNotContain("more, --limit");

    Run dryRun = carve(withPageSize(5), "dlq", "retry", service, "--dry-run", "--config", cfg);
    assertThat(dryRun.exit()).as(dryRun.both()).isZero();
    assertThat(dryRun.out())
        .containsPattern("(?m)^ +" + recent + "  would retry  dlq_pages_it\\.order 0 0 ")
        .contains("would retry 1 of 8 failure(s) of service 'dlq_pages_it'; dry run");

    Run retry = carve(withPageSize(5), "dlq", "retry", service, "--config", cfg);
    assertThat(retry.exit()).as("7 were refused: " + retry.both()).isEqualTo(Carve.EXIT_FAILURE);
    assertThat(retry.out())
        .startsWith(
            "retrying 8 open failure(s) of service 'dlq_pages_it', oldest first, 5 at a time")
        .containsPattern("(?m)^\\.\\.\\. 5 of 8 done: 0 resolved, 0 failed again, 5 refused; ")
        .containsPattern("(?m)^ +" + recent + "  resolved  written$")
        .contains(
            "1 of 1 retried failure(s) resolved; 7 refused as older than tombstone-retention");
    assertThat(rows(database, "SELECT order_id, total_cents FROM public.\"order\""))
        .containsExactly("2|5000");
    assertThat(
            rows(
                database,
                "SELECT status, count(*), sum(attempts) FROM public.carve_failures"
                    + " GROUP BY status ORDER BY status"))
        .as("the refused ones stay open, unchanged")
        .containsExactly("OPEN|7|7", "RESOLVED|1|2");
  }

  /** Carve's command line with {@code dlq retry} reading {@code pageSize} failures at a time. */
  private static CommandLine withPageSize(int pageSize) {
    CommandLine cmd = Carve.commandLine();
    CommandLine retry = cmd.getSubcommands().get("dlq").getSubcommands().get("retry");
    DlqCommand.Retry command = retry.getCommand();
    command.pageSize = pageSize;
    return cmd;
  }

  @Test
  void anUnknownServiceOrIdIsAClearErrorAndChangesNothing() throws Exception {
    Path config = CommandItSupport.writeConfig(dir, SERVICE, DATABASE, registry.url());
    String cfg = config.toString();
    List<String> before = failureTable();

    Run unknownService = carve("dlq", "list", "shipping", "--config", cfg);
    assertThat(unknownService.exit()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(unknownService.err())
        .contains("Unknown service 'shipping'")
        .contains("services in the configuration: dlq_it");
    assertThat(unknownService.out()).isEmpty();

    Run purgeUnknown = carve("dlq", "purge", "shipping", "--status", "open", "--config", cfg);
    assertThat(purgeUnknown.exit()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(purgeUnknown.err()).contains("Unknown service 'shipping'");

    Run showUnknown = carve("dlq", "show", SERVICE, "987654", "--config", cfg);
    assertThat(showUnknown.exit()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(showUnknown.err()).contains("No failure 987654 for service 'dlq_it'");
    assertThat(showUnknown.out()).isEmpty();

    Run retryUnknown = carve("dlq", "retry", SERVICE, "987654", "--config", cfg);
    assertThat(retryUnknown.exit()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(retryUnknown.err()).contains("No failure with id 987654 for service 'dlq_it'");

    Run badStatus = carve("dlq", "purge", SERVICE, "--status", "gone", "--config", cfg);
    assertThat(badStatus.exit()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(badStatus.err()).contains("--status must be open or resolved, not 'gone'");

    Run badId = carve("dlq", "show", SERVICE, "seven", "--config", cfg);
    assertThat(badId.exit()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(badId.err()).contains("'seven'");

    assertThat(failureTable()).as("nothing changed").isEqualTo(before);
  }

  /** The failure log's rows, or none when the table was not created yet. */
  private static List<String> failureTable() throws Exception {
    List<String> exists =
        rows(DATABASE, "SELECT 1 FROM pg_tables WHERE tablename = 'carve_failures'");
    return exists.isEmpty()
        ? List.of()
        : rows(DATABASE, "SELECT * FROM public.carve_failures ORDER BY id");
  }

  /** The {@code carve.dlq.error} headers of the records on the dead-letter topic. */
  private static List<String> deadLetterErrors() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    List<String> errors = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      TopicPartition tp = new TopicPartition(DLQ, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (consumer.position(tp) < end && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          assertThat(
                  new String(
                      r.headers().lastHeader(CarveHeaders.DLQ_STAGE).value(),
                      StandardCharsets.UTF_8))
              .isEqualTo("sink");
          errors.add(
              new String(
                  r.headers().lastHeader(CarveHeaders.DLQ_ERROR).value(), StandardCharsets.UTF_8));
        }
      }
    }
    return errors;
  }
}
