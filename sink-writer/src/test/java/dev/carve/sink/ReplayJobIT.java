package dev.carve.sink;

import static dev.carve.sink.SinkTestSupport.execute;
import static dev.carve.sink.SinkTestSupport.options;
import static dev.carve.sink.SinkTestSupport.produce;
import static dev.carve.sink.SinkTestSupport.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.carve.core.SourcePosition;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link ReplayJob} on a real broker and database. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReplayJobIT {
  private static final String ROWS =
      "SELECT order_id, order_ref, customer_id, ordered_at, status, total, total_cents, currency,"
          + " ship_name, line_count, carve_commit_lsn, carve_change_lsn FROM public.\"order\""
          + " ORDER BY order_id";

  /** 200 orders with several versions each, shuffled, some deleted, across 3 partitions. */
  private static List<ProducerRecord<byte[], byte[]>> history(String topic) {
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
    String[] statuses = {"NEW", "PAID", "SHIPPED"};
    long lsn = 1000;
    for (long id = 1; id <= 200; id++) {
      for (int v = 0; v < 3; v++) {
        lsn += 10;
        out.add(
            Orders.produce(
                topic, id, Orders.order(id, statuses[v], id * 10 + v), lsn, lsn + 1, false));
      }
      if (id % 10 == 0) {
        lsn += 10;
        out.add(Orders.produce(topic, id, null, lsn, lsn + 1, false));
      }
    }
    Collections.shuffle(out, new Random(42));
    return out;
  }

  private static ServiceSink startSink(String service, SinkOptions options, long expectRecords) {
    ServiceSink sink =
        ServiceSink.create(service, options, TestAvro.deserializer(), TestAvro.deserializer());
    sink.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() >= expectRecords);
    return sink;
  }

  /**
   * Regression: the swap's {@code ALTER TABLE ... SET SCHEMA} had no lock_timeout, so behind a long
   * reader it queued for as long as the reader ran and blocked every new reader of the table.
   */
  @Test
  void aSwapBlockedByALongReaderGivesUpLeavingTheLiveTablesAndTheShadowAlone() throws Exception {
    String service = "replay_swap_lock";
    String topic = service + ".order";
    TestKafka.createTopics(1, true, topic, service + ".dlq");
    TestPostgres.createDatabase(service);
    SinkOptions options =
        SinkOptions.parse(
            options(
                service,
                "swap-lock-timeout",
                "200ms",
                "swap-attempts",
                "2",
                "retry-backoff",
                "50ms",
                "retry-max-backoff",
                "100ms"));
    List<ProducerRecord<byte[], byte[]>> history = history(topic);
    produce(history);
    startSink(service, options, history.size()).close();
    List<String> live = rows(service, ROWS);
    execute(service, "UPDATE public.\"order\" SET status = 'BROKEN' WHERE order_id = 1");
    List<String> damaged = rows(service, ROWS);

    try (Connection reader = TestPostgres.connect(service)) {
      reader.setAutoCommit(false);
      try (Statement s = reader.createStatement()) {
        // ACCESS SHARE on the live table until the transaction ends.
        s.executeQuery("SELECT count(*) FROM public.\"order\"").close();
      }
      ReplayJob job =
          ReplayJob.create(
              service,
              options,
              ReplayJob.Mode.SHADOW,
              TestAvro.deserializer(),
              TestAvro.deserializer());
      java.util.concurrent.CompletableFuture<ReplayJob.Result> run =
          java.util.concurrent.CompletableFuture.supplyAsync(() -> job.run(null));
      assertThatThrownBy(() -> run.get(90, TimeUnit.SECONDS))
          .hasCauseInstanceOf(IllegalStateException.class)
          .cause()
          .hasMessageContaining("Failed to swap the tables of schema")
          .hasMessageContaining("after 2 attempt(s)")
          .hasMessageContaining("lock timeout")
          .hasMessageContaining("The live tables are untouched");
      reader.rollback();
    }
    assertThat(rows(service, ROWS)).as("the live store is as it was").isEqualTo(damaged);
    assertThat(rows(service, "SELECT count(*) FROM \"public__shadow__replay_swap_lock\".\"order\""))
        .as("the rebuilt table stays in the shadow")
        .containsExactly(Integer.toString(live.size()));

    ReplayJob.Result again =
        ReplayJob.create(
                service,
                options,
                ReplayJob.Mode.SHADOW,
                TestAvro.deserializer(),
                TestAvro.deserializer())
            .run(null);
    assertThat(again.swapAttempts()).isEqualTo(1);
    assertThat(rows(service, ROWS)).isEqualTo(live);
  }

  @Test
  void shadowReplayRebuildsTheStoreRowForRowWithoutReadersSeeingItEmpty() throws Exception {
    String service = "replay_shadow";
    String topic = service + ".order";
    TestKafka.createTopics(3, true, topic, service + ".dlq");
    TestPostgres.createDatabase(service);
    SinkOptions options = SinkOptions.parse(options(service));
    List<ProducerRecord<byte[], byte[]>> history = history(topic);
    produce(history);
    List<String> live;
    try (ServiceSink sink = startSink(service, options, history.size())) {
      live = rows(service, ROWS);
      ReplayJob refused =
          ReplayJob.create(
              service,
              options,
              ReplayJob.Mode.SHADOW,
              TestAvro.deserializer(),
              TestAvro.deserializer());
      assertThatThrownBy(() -> refused.run(null))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("while its sink is running")
          .hasMessageContaining("stop the sink first");
    }
    assertThat(live).hasSize(180);
    // Damage the live store outside the pipeline; the rebuild must not copy it.
    execute(service, "UPDATE public.\"order\" SET status = 'BROKEN' WHERE order_id < 50");
    // A table of the team's own in the same schema: the swap must leave it alone.
    execute(
        service,
        "CREATE TABLE public.team_notes (note text); INSERT INTO public.team_notes VALUES ('keep')");

    ReplayJob job =
        ReplayJob.create(
            service,
            options,
            ReplayJob.Mode.SHADOW,
            TestAvro.deserializer(),
            TestAvro.deserializer());
    ReplayJob.Plan plan = job.plan();
    assertThat(plan.recordsToRead()).isEqualTo(history.size());
    assertThat(plan.currentRows()).containsEntry("order", 180L);
    assertThat(plan.buildSchema()).isEqualTo("public__shadow__replay_shadow");
    assertThat(plan.describe())
        .contains("replay_shadow.order/0")
        .contains("\"public__shadow__replay_shadow\"");
    assertThat(
            rows(
                service,
                "SELECT nspname FROM pg_namespace WHERE nspname = 'public__shadow__replay_shadow'"))
        .isEmpty();

    Set<String> seenByReader = ConcurrentHashMap.newKeySet();
    AtomicBoolean reading = new AtomicBoolean(true);
    Thread reader = new Thread(() -> readCounts(service, reading, seenByReader));
    reader.start();
    List<ReplayJob.Progress> progress = Collections.synchronizedList(new ArrayList<>());
    ReplayJob.Result result = job.run(progress::add);
    reading.set(false);
    reader.join();

    assertThat(rows(service, ROWS)).isEqualTo(live);
    assertThat(seenByReader).containsExactly("180");
    assertThat(result.recordsRead()).isEqualTo(history.size());
    assertThat(progress).isNotEmpty();
    assertThat(progress.get(progress.size() - 1).recordsRead()).isEqualTo(history.size());
    assertThat(rows(service, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'public\\_\\_%'"))
        .isEmpty();
    assertThat(rows(service, "SELECT note FROM public.team_notes")).containsExactly("keep");

    // The live sink continues from the replay's offsets: it rewrites nothing, applies what is new.
    produce(
        List.of(
            Orders.produce(topic, 1, Orders.order(1, "DELIVERED", 1), 999_999, 1_000_000, false)));
    try (ServiceSink sink = startSink(service, options, 1)) {
      assertThat(sink.metrics().records()).isEqualTo(1);
    }
    assertThat(rows(service, "SELECT status FROM public.\"order\" WHERE order_id = 1"))
        .containsExactly("DELIVERED");
  }

  private static void readCounts(String service, AtomicBoolean reading, Set<String> seen) {
    try (Connection c = TestPostgres.connect(service);
        Statement s = c.createStatement()) {
      while (reading.get()) {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM public.\"order\"")) {
          rs.next();
          seen.add(rs.getString(1));
        } catch (SQLException e) {
          seen.add("error: " + e.getMessage());
        }
      }
    } catch (SQLException e) {
      seen.add("error: " + e.getMessage());
    }
  }

  @Test
  void inPlaceReplayTruncatesAndRebuildsTheTables() {
    String service = "replay_inplace";
    String topic = service + ".order";
    TestKafka.createTopics(1, true, topic, service + ".dlq");
    TestPostgres.createDatabase(service);
    SinkOptions options = SinkOptions.parse(options(service));
    List<ProducerRecord<byte[], byte[]>> history = history(topic);
    produce(history);
    List<String> live;
    try (ServiceSink sink = startSink(service, options, history.size())) {
      live = rows(service, ROWS);
    }
    execute(service, "DELETE FROM public.\"order\" WHERE order_id < 50");

    ReplayJob.Result result =
        ReplayJob.create(
                service,
                options,
                ReplayJob.Mode.IN_PLACE,
                TestAvro.deserializer(),
                TestAvro.deserializer())
            .run(null);

    assertThat(rows(service, ROWS)).isEqualTo(live);
    assertThat(result.offsets()).containsEntry(topic + "-0", (long) history.size());
    assertThat(result.tables().get("order").upserted()).isGreaterThanOrEqualTo(180);
    assertThat(Map.copyOf(result.offsets())).hasSize(1);
  }

  /**
   * Regression: nothing kept two replays of one service apart; the second dropped the first's
   * shadow schema under it, and the first then swapped in a half-built store and committed its end
   * offsets.
   */
  @Test
  void aSecondReplayOfTheServiceIsRefusedWhileTheFirstRuns() throws Exception {
    String service = "replay_twice";
    String topic = service + ".order";
    TestKafka.createTopics(1, true, topic, service + ".dlq");
    TestPostgres.createDatabase(service);
    SinkOptions options = SinkOptions.parse(options(service));
    List<ProducerRecord<byte[], byte[]>> history = history(topic);
    produce(history);
    List<String> live;
    try (ServiceSink sink = startSink(service, options, history.size())) {
      live = rows(service, ROWS);
    }

    java.util.concurrent.CountDownLatch firstBatch = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch secondRefused = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CompletableFuture<ReplayJob.Result> first =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () ->
                ReplayJob.create(
                        service,
                        options,
                        ReplayJob.Mode.SHADOW,
                        TestAvro.deserializer(),
                        TestAvro.deserializer())
                    .run(
                        p -> {
                          firstBatch.countDown();
                          try {
                            secondRefused.await(60, TimeUnit.SECONDS);
                          } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                          }
                        }));
    assertThat(firstBatch.await(60, TimeUnit.SECONDS))
        .as("the first replay wrote a batch")
        .isTrue();
    try {
      for (ReplayJob.Mode mode : ReplayJob.Mode.values()) {
        ReplayJob second =
            ReplayJob.create(
                service, options, mode, TestAvro.deserializer(), TestAvro.deserializer());
        assertThatThrownBy(() -> second.run(null))
            .as(mode.toString())
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining(
                "Another replay of 'replay_twice' into schema 'public' is running");
      }
    } finally {
      secondRefused.countDown();
    }

    ReplayJob.Result result = first.get(120, TimeUnit.SECONDS);
    assertThat(rows(service, ROWS)).isEqualTo(live);
    assertThat(result.offsets()).containsEntry(topic + "-0", (long) history.size());
    ReplayJob.Result again =
        ReplayJob.create(
                service,
                options,
                ReplayJob.Mode.SHADOW,
                TestAvro.deserializer(),
                TestAvro.deserializer())
            .run(null);
    assertThat(again.offsets())
        .as("the lock was released with the first replay")
        .containsEntry(topic + "-0", (long) history.size());
  }

  private static final Schema LINE_KEY =
      SchemaBuilder.record("OrderLineKey")
          .namespace("replay")
          .fields()
          .requiredLong("order_id")
          .requiredInt("line_no")
          .endRecord();
  private static final Schema LINE =
      SchemaBuilder.record("OrderLine")
          .namespace("replay")
          .fields()
          .requiredLong("order_id")
          .requiredInt("line_no")
          .requiredString("sku")
          .endRecord();

  private static ProducerRecord<byte[], byte[]> line(
      String topic, long orderId, int lineNo, long commit, long change) {
    GenericRecord key = new GenericData.Record(LINE_KEY);
    key.put("order_id", orderId);
    key.put("line_no", lineNo);
    GenericRecord value = new GenericData.Record(LINE);
    value.put("order_id", orderId);
    value.put("line_no", lineNo);
    value.put("sku", "SKU-" + orderId + "-" + lineNo);
    ProducerRecord<byte[], byte[]> r =
        new ProducerRecord<>(topic, TestAvro.serialize(key), TestAvro.serialize(value));
    new SourcePosition(commit, change).writeTo(r.headers());
    return r;
  }

  /**
   * Regression: the swap dropped the replaced tables one by one in configuration order, so a
   * foreign key of the service's own DDL from {@code order_line} to {@code order} made dropping
   * {@code order} fail and the whole swap roll back.
   */
  @Test
  void shadowReplaySwapsTablesWithAForeignKeyBetweenThem() {
    String service = "replay_fk";
    TestKafka.createTopics(1, true, service + ".order", service + ".order_line", service + ".dlq");
    TestPostgres.createDatabase(service);
    Map<String, Object> raw = new HashMap<>(options(service));
    raw.put("entities", List.of("order", "order_line"));
    SinkOptions options = SinkOptions.parse(raw);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (long id = 1; id <= 5; id++) {
      records.add(
          Orders.produce(service + ".order", id, Orders.order(id, "NEW", id), id, 10 * id, false));
      for (int n = 1; n <= 2; n++) {
        records.add(line(service + ".order_line", id, n, id, 10 * id + n));
      }
    }
    produce(records);
    try (ServiceSink sink = startSink(service, options, records.size())) {
      assertThat(sink.metrics().deadLettered()).isZero();
    }
    String orders = "SELECT order_id, status FROM public.\"order\" ORDER BY 1";
    String lines = "SELECT order_id, line_no, sku FROM public.order_line ORDER BY 1, 2";
    List<String> liveOrders = rows(service, orders);
    List<String> liveLines = rows(service, lines);
    assertThat(liveOrders).hasSize(5);
    assertThat(liveLines).hasSize(10);
    execute(
        service,
        "ALTER TABLE public.order_line ADD CONSTRAINT order_line_order_fk FOREIGN KEY (order_id)"
            + " REFERENCES public.\"order\" (order_id)");

    ReplayJob.Result result =
        ReplayJob.create(
                service,
                options,
                ReplayJob.Mode.SHADOW,
                TestAvro.deserializer(),
                TestAvro.deserializer())
            .run(null);

    assertThat(result.recordsRead()).isEqualTo(records.size());
    assertThat(rows(service, orders)).isEqualTo(liveOrders);
    assertThat(rows(service, lines)).isEqualTo(liveLines);
    assertThat(rows(service, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'public\\_\\_%'"))
        .isEmpty();
  }

  private static final String TOMBSTONES =
      "SELECT table_name, key::text, commit_lsn, change_lsn FROM public.carve_tombstones"
          + " WHERE table_name = '%s' ORDER BY key::text";
  private static final String FAILURE_LOG =
      "SELECT service, topic, kafka_partition, kafka_offset, status FROM public.carve_failures"
          + " WHERE service = '%s' ORDER BY topic, kafka_offset";

  /** Two upserts, a delete of the first, and a record without position headers (a failure). */
  private static List<ProducerRecord<byte[], byte[]>> withDeleteAndFailure(String topic) {
    ProducerRecord<byte[], byte[]> noHeaders =
        new ProducerRecord<>(
            topic,
            TestAvro.serialize(Orders.key(9)),
            TestAvro.serialize(Orders.order(9, "NEW", 9)));
    return List.of(
        Orders.produce(topic, 1, Orders.order(1, "NEW", 1), 100, 101, false),
        Orders.produce(topic, 2, Orders.order(2, "PAID", 2), 100, 102, false),
        Orders.produce(topic, 1, null, 200, 201, false),
        noHeaders);
  }

  /**
   * Regression: the swap replaced the whole of {@code carve_tombstones} and {@code carve_failures},
   * which every service writing into the schema shares, so replaying one service wiped the
   * tombstones and failure-log entries of the others; and all services used the one shadow schema
   * {@code <schema>__shadow}, which each replay drops first.
   */
  @Test
  void shadowReplayOfOneServiceLeavesAnotherServiceOfTheSchemaAlone() {
    String database = "replay_shared";
    String a = "replay_shared_a";
    String b = "replay_shared_b";
    TestKafka.createTopics(1, true, a + ".order", a + ".dlq", b + ".invoice", b + ".dlq");
    TestPostgres.createDatabase(database);
    SinkOptions optionsA = SinkOptions.parse(options(database));
    Map<String, Object> rawB = new HashMap<>(options(database));
    rawB.put("entities", List.of("invoice"));
    SinkOptions optionsB = SinkOptions.parse(rawB);
    produce(withDeleteAndFailure(a + ".order"));
    produce(withDeleteAndFailure(b + ".invoice"));
    try (ServiceSink sinkA = startSink(a, optionsA, 4);
        ServiceSink sinkB = startSink(b, optionsB, 4)) {
      assertThat(sinkA.metrics().deadLettered()).isEqualTo(1);
      assertThat(sinkB.metrics().deadLettered()).isEqualTo(1);
    }
    List<String> tombstonesA = rows(database, String.format(TOMBSTONES, "order"));
    List<String> tombstonesB = rows(database, String.format(TOMBSTONES, "invoice"));
    List<String> failuresA = rows(database, String.format(FAILURE_LOG, a));
    List<String> failuresB = rows(database, String.format(FAILURE_LOG, b));
    List<String> invoices =
        rows(database, "SELECT order_id, status FROM public.invoice ORDER BY 1");
    assertThat(tombstonesA).hasSize(1);
    assertThat(tombstonesB).hasSize(1);
    assertThat(failuresA).hasSize(1);
    assertThat(failuresB).hasSize(1);

    ReplayJob replayA =
        ReplayJob.create(
            a, optionsA, ReplayJob.Mode.SHADOW, TestAvro.deserializer(), TestAvro.deserializer());
    ReplayJob replayB =
        ReplayJob.create(
            b, optionsB, ReplayJob.Mode.SHADOW, TestAvro.deserializer(), TestAvro.deserializer());
    assertThat(replayA.buildSchema()).isNotEqualTo(replayB.buildSchema());
    // b's replay, half-way through its rebuild while a's runs: a must not drop b's shadow schema.
    execute(
        database,
        "CREATE SCHEMA \""
            + replayB.buildSchema()
            + "\"; CREATE TABLE \""
            + replayB.buildSchema()
            + "\".invoice (order_id bigint)");

    replayA.run(null);

    assertThat(rows(database, String.format(TOMBSTONES, "invoice"))).isEqualTo(tombstonesB);
    assertThat(rows(database, String.format(FAILURE_LOG, b))).isEqualTo(failuresB);
    assertThat(rows(database, "SELECT order_id, status FROM public.invoice ORDER BY 1"))
        .isEqualTo(invoices);
    assertThat(rows(database, String.format(TOMBSTONES, "order"))).isEqualTo(tombstonesA);
    assertThat(rows(database, String.format(FAILURE_LOG, a))).isEqualTo(failuresA);
    assertThat(rows(database, "SELECT order_id, status FROM public.\"order\""))
        .containsExactly("2|PAID");
    assertThat(
            rows(database, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'public\\_\\_%'"))
        .containsExactly(replayB.buildSchema());
  }
}
