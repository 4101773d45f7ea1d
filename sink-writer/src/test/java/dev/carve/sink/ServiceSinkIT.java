package dev.carve.sink;

import static dev.carve.sink.SinkTestSupport.execute;
import static dev.carve.sink.SinkTestSupport.options;
import static dev.carve.sink.SinkTestSupport.produce;
import static dev.carve.sink.SinkTestSupport.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.carve.core.CarveHeaders;
import dev.carve.core.SourcePosition;
import dev.carve.core.error.OnError;
import dev.carve.sink.internal.JdbcTarget;
import dev.carve.sink.internal.KafkaClients;
import dev.carve.sink.internal.PostgresDialect;
import dev.carve.sink.internal.RecordDecoder;
import dev.carve.sink.internal.SinkCounters;
import dev.carve.sink.internal.SinkEngine;
import dev.carve.sink.internal.TargetTables;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link ServiceSink} end to end on the real broker and a real PostgreSQL. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ServiceSinkIT {

  private static ServiceSink sink(String service, Map<String, Object> raw) {
    return ServiceSink.create(
        service, SinkOptions.parse(raw), TestAvro.deserializer(), TestAvro.deserializer());
  }

  private static ProducerRecord<byte[], byte[]> upsert(
      String topic, long id, String status, long commit, long change) {
    return Orders.produce(topic, id, Orders.order(id, status, 100 * id), commit, change, false);
  }

  private static ProducerRecord<byte[], byte[]> delete(
      String topic, long id, long commit, long change) {
    return Orders.produce(topic, id, null, commit, change, false);
  }

  @Test
  void reorderedDuplicatedAndLateRecordsEndWithTheNewestStateOfEveryKey() {
    String service = "sinkit_order";
    String topic = service + ".order";
    TestKafka.createTopics(1, true, topic, service + ".dlq");
    TestPostgres.createDatabase(service);
    produce(
        List.of(
            upsert(topic, 1, "SHIPPED", 300, 301),
            upsert(topic, 1, "NEW", 100, 101),
            upsert(topic, 1, "SHIPPED", 300, 301),
            upsert(topic, 2, "NEW", 100, 102),
            delete(topic, 2, 200, 202),
            upsert(topic, 2, "PAID", 150, 152),
            upsert(topic, 3, "NEW", 100, 103),
            Orders.produce(topic, 3, Orders.order(3, "CANCELLED", 300), 100, 103, true)));

    try (ServiceSink sink = sink(service, options(service))) {
      sink.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 8);

      assertThat(rows(service, "SELECT order_id, status FROM public.\"order\" ORDER BY order_id"))
          .containsExactly("1|SHIPPED", "3|CANCELLED");
      SinkMetrics m = sink.metrics();
      assertThat(m.state()).isEqualTo(SinkState.RUNNING);
      assertThat(m.tables().get("order").skippedAsOlder()).isGreaterThanOrEqualTo(3);
      assertThat(m.consumerLag()).isZero();
    }
  }

  @Test
  void redeliveryAfterACrashBetweenDatabaseCommitAndOffsetCommitChangesNothing() throws Exception {
    String service = "sinkit_crash";
    String topic = service + ".order";
    TestKafka.createTopics(1, true, topic);
    TestPostgres.createDatabase(service);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (long id = 1; id <= 50; id++) {
      records.add(upsert(topic, id, "NEW", 100 + id, 1000 + id));
    }
    produce(records);
    SinkOptions options = SinkOptions.parse(options(service));

    // The "crashed" sink: writes and commits the database transaction, never commits offsets.
    List<ConsumerRecord<byte[], byte[]>> polled = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(options, null, "crashed")) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      while (polled.size() < 50) {
        consumer.poll(Duration.ofMillis(200)).forEach(polled::add);
      }
    }
    try (SinkEngine crashed =
        new SinkEngine(
            new SinkEngine.Settings(
                service, OnError.DEAD_LETTER, 1, Duration.ofMillis(50), Duration.ofMillis(100)),
            new RecordDecoder(
                Map.of(topic, "order"), TestAvro.deserializer(), TestAvro.deserializer()),
            new JdbcTarget(options.jdbcUrl(), options.username(), options.password()),
            new TargetTables("public", DdlMode.CREATE),
            null,
            () -> false,
            new SinkCounters())) {
      crashed.prepare(List.of("order"), false);
      crashed.process(polled);
    }
    List<String> before =
        rows(service, "SELECT order_id, status, carve_updated_at FROM public.\"order\" ORDER BY 1");
    assertThat(before).hasSize(50);

    try (ServiceSink sink = sink(service, options(service))) {
      sink.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 50);
      assertThat(sink.metrics().tables().get("order")).isEqualTo(new TableMetrics(0, 0, 50));
    }
    assertThat(
            rows(
                service,
                "SELECT order_id, status, carve_updated_at FROM public.\"order\" ORDER BY 1"))
        .isEqualTo(before);
  }

  @Test
  void recordsThatCannotBeWrittenGoToTheDeadLetterTopicAndTheFailureLog() {
    String service = "sinkit_dlq";
    String topic = service + ".order";
    String dlq = service + ".dlq";
    TestKafka.createTopics(1, true, topic, dlq);
    TestPostgres.createDatabase(service);
    GenericRecord nul = Orders.order(2, "NEW", 100);
    nul.put("currency", "nul\u0000");
    ProducerRecord<byte[], byte[]> noHeaders =
        new ProducerRecord<>(
            topic,
            TestAvro.serialize(Orders.key(3)),
            TestAvro.serialize(Orders.order(3, "NEW", 1)));
    produce(
        List.of(
            upsert(topic, 1, "NEW", 100, 101),
            Orders.produce(topic, 2, nul, 100, 102, false),
            noHeaders,
            upsert(topic, 4, "PAID", 100, 104)));

    try (ServiceSink sink = sink(service, options(service))) {
      sink.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 4);
      assertThat(sink.metrics().deadLettered()).isEqualTo(2);
    }
    assertThat(rows(service, "SELECT order_id FROM public.\"order\" ORDER BY 1"))
        .containsExactly("1", "4");
    assertThat(
            rows(
                service,
                "SELECT topic, kafka_partition, kafka_offset, status, error LIKE '%' || CASE"
                    + " kafka_offset WHEN 1 THEN 'Cannot write' ELSE 'no position headers' END || '%'"
                    + " FROM public.carve_failures ORDER BY kafka_offset"))
        .containsExactly(topic + "|0|1|OPEN|t", topic + "|0|2|OPEN|t");

    List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c =
        KafkaClients.consumer(SinkOptions.parse(options(service)), null, "dlq-reader")) {
      TopicPartition tp = new TopicPartition(dlq, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                c.poll(Duration.ofMillis(200)).forEach(dead::add);
                return dead.size() >= 2;
              });
    }
    assertThat(dead).hasSize(2);
    ConsumerRecord<byte[], byte[]> first = dead.get(0);
    assertThat(header(first, CarveHeaders.DLQ_STAGE)).isEqualTo("sink");
    assertThat(header(first, CarveHeaders.DLQ_SERVICE)).isEqualTo(service);
    assertThat(header(first, CarveHeaders.DLQ_TOPIC)).isEqualTo(topic);
    assertThat(header(first, CarveHeaders.DLQ_OFFSET)).isIn("1", "2");
    assertThat(header(first, CarveHeaders.DLQ_ERROR)).isNotBlank();
  }

  /**
   * Regression: a value Java could not encode (a time-micros beyond 24:00, a decimal of zero bytes)
   * threw out of the writer unclassified; the sink went FAILED naming no topic, offset or key, and
   * every restart failed on the same record. Now such a record is dead-lettered like a class 22
   * error of the database, and the good records of its batch land; 24:00:00, which PostgreSQL
   * accepts as a time, is written as such.
   */
  @Test
  void aValueThatCannotBeConvertedIsDeadLetteredAndTheRestOfTheBatchLands() {
    String service = "sinkit_convert";
    String topic = service + ".slot";
    TestKafka.createTopics(1, true, topic, service + ".dlq");
    TestPostgres.createDatabase(service);
    Schema key = SchemaBuilder.record("SlotKey").fields().requiredLong("slot_id").endRecord();
    Schema value =
        SchemaBuilder.record("Slot")
            .fields()
            .requiredLong("slot_id")
            .name("opens_at")
            .type(LogicalTypes.timeMicros().addToSchema(Schema.create(Schema.Type.LONG)))
            .noDefault()
            .name("fee")
            .type(LogicalTypes.decimal(10, 2).addToSchema(Schema.create(Schema.Type.BYTES)))
            .noDefault()
            .endRecord();
    BiFunction<Long, Long, GenericRecord> slot =
        (id, micros) -> {
          GenericRecord v = new GenericData.Record(value);
          v.put("slot_id", id);
          v.put("opens_at", micros);
          v.put("fee", ByteBuffer.wrap(BigInteger.valueOf(1250).toByteArray()));
          return v;
        };
    GenericRecord zeroBytesFee = slot.apply(4L, 0L);
    zeroBytesFee.put("fee", ByteBuffer.allocate(0));
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    List<GenericRecord> values =
        List.of(
            slot.apply(1L, 3_600_000_000L),
            slot.apply(2L, 86_400_000_000L + 1),
            slot.apply(3L, 86_400_000_000L),
            zeroBytesFee,
            slot.apply(5L, 7_200_000_000L));
    for (GenericRecord v : values) {
      long id = (Long) v.get("slot_id");
      GenericRecord k = new GenericData.Record(key);
      k.put("slot_id", id);
      ProducerRecord<byte[], byte[]> r =
          new ProducerRecord<>(topic, TestAvro.serialize(k), TestAvro.serialize(v));
      new SourcePosition(100, 100 + id).writeTo(r.headers());
      records.add(r);
    }
    produce(records);

    Map<String, Object> raw = options(service);
    raw.put("entities", List.of("slot"));
    try (ServiceSink sink = sink(service, raw)) {
      sink.start();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> sink.metrics().records() == 5 || sink.metrics().state() == SinkState.FAILED);
      assertThat(sink.metrics().state()).isEqualTo(SinkState.RUNNING);
      assertThat(sink.metrics().deadLettered()).isEqualTo(2);
    }
    assertThat(rows(service, "SELECT slot_id, opens_at, fee FROM public.slot ORDER BY 1"))
        .containsExactly("1|01:00:00|12.50", "3|24:00:00|12.50", "5|02:00:00|12.50");
    assertThat(
            rows(
                service,
                "SELECT topic, kafka_partition, kafka_offset, error LIKE '%column \"'"
                    + " || CASE kafka_offset WHEN 1 THEN 'opens_at' ELSE 'fee' END"
                    + " || '\"%' || 'sinkit_convert.slot/0@' || kafka_offset || '%'"
                    + " FROM public.carve_failures ORDER BY kafka_offset"))
        .containsExactly(topic + "|0|1|t", topic + "|0|3|t");
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  @Test
  void theSinkWaitsForAnUnavailableDatabaseAndResumesWithoutLoss() {
    String service = "sinkit_down";
    String topic = service + ".order";
    TestKafka.createTopics(1, true, topic, service + ".dlq");
    TestPostgres.createDatabase(service);
    produce(List.of(upsert(topic, 1, "NEW", 100, 101)));
    Map<String, Object> raw =
        options(service, "max-retries", "2", "retry-backoff", "50ms", "retry-max-backoff", "300ms");
    try (ServiceSink sink = sink(service, raw)) {
      sink.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.metrics().records() == 1);

      execute("postgres", "ALTER DATABASE " + service + " ALLOW_CONNECTIONS false");
      execute(
          "postgres",
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
              + service
              + "' AND pid <> pg_backend_pid()");
      List<ProducerRecord<byte[], byte[]>> more = new ArrayList<>();
      for (long id = 2; id <= 30; id++) {
        more.add(upsert(topic, id, "PAID", 200 + id, 2000 + id));
      }
      produce(more);
      await().atMost(Duration.ofSeconds(30)).until(() -> sink.metrics().waitingForDatabase());
      assertThat(sink.state()).isEqualTo(SinkState.RUNNING);
      assertThat(sink.metrics().records()).isEqualTo(1);

      execute("postgres", "ALTER DATABASE " + service + " ALLOW_CONNECTIONS true");
      await().atMost(Duration.ofSeconds(30)).until(() -> sink.metrics().records() == 30);
      assertThat(sink.metrics().waitingForDatabase()).isFalse();
    } finally {
      execute("postgres", "ALTER DATABASE " + service + " ALLOW_CONNECTIONS true");
    }
    assertThat(rows(service, "SELECT count(*) FROM public.\"order\"")).containsExactly("30");
  }

  /**
   * Regression: the sink's tombstone collection deleted every expired tombstone of the schema, so
   * one service's tombstone-retention applied to another service's tables in the same schema.
   */
  @Test
  void tombstoneCollectionRemovesOnlyTheServicesOwnTombstones() {
    String service = "sinkit_gc";
    String topic = service + ".order";
    TestKafka.createTopics(1, true, topic, service + ".dlq");
    TestPostgres.createDatabase(service);
    execute(service, PostgresDialect.createTombstoneTable("public"));
    // Two days old: past this service's retention (1 day), within billing's (its own sink's 7d).
    execute(
        service,
        "INSERT INTO public.carve_tombstones (table_name, key, commit_lsn, change_lsn, deleted_at)"
            + " VALUES ('order', '{\"order_id\": 1}', 10, 11, now() - interval '2 days'),"
            + " ('invoice', '{\"invoice_id\": 1}', 10, 11, now() - interval '2 days')");

    try (ServiceSink sink = sink(service, options(service, "tombstone-retention", "1d"))) {
      sink.start();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  rows(service, "SELECT 1 FROM public.carve_tombstones WHERE table_name = 'order'")
                      .isEmpty());
      assertThat(sink.state()).isEqualTo(SinkState.RUNNING);
    }
    assertThat(rows(service, "SELECT table_name FROM public.carve_tombstones"))
        .as("the tombstone of another service's table is left to that service's retention")
        .containsExactly("invoice");
  }

  @Test
  void validateModeFailsTheSinkNamingTheMissingTable() {
    String service = "sinkit_validate";
    TestKafka.createTopics(1, true, service + ".order");
    TestPostgres.createDatabase(service);
    try (ServiceSink sink = sink(service, options(service, "ddl", "validate"))) {
      sink.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> sink.state() == SinkState.FAILED);
      assertThat(sink.failure())
          .hasMessageContaining("\"public\".\"order\"")
          .hasMessageContaining("does not exist");
    }
  }
}
