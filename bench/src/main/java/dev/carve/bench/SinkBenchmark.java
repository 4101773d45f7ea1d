package dev.carve.bench;

import dev.carve.core.SourcePosition;
import dev.carve.core.config.ConfigException;
import dev.carve.sink.DdlMode;
import dev.carve.sink.ReplayJob;
import dev.carve.sink.ServiceSink;
import dev.carve.sink.SinkOptions;
import dev.carve.sink.internal.AvroColumns;
import dev.carve.sink.internal.BatchWriter;
import dev.carve.sink.internal.ChangeRecord;
import dev.carve.sink.internal.Column;
import dev.carve.sink.internal.PostgresDialect;
import dev.carve.sink.internal.TableSpec;
import dev.carve.sink.internal.TargetTables;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import io.debezium.connector.jdbc.JdbcSinkConnectorTask;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.sink.SinkRecord;
import org.postgresql.PGConnection;

/**
 * Writes the same N order rows into the same indexed table layout (primary key plus an index on
 * {@code customer_id}) four ways and prints rows/s and ratios: (a) one plain COPY on one
 * connection, (b) Carve's guarded batch writer fed in-memory records (the database write path
 * alone), (b') the full Carve sink path through Kafka (consume, decode, write, commit), and (c)
 * Debezium's JDBC sink connector task in upsert mode with the same batch size, fed the same rows as
 * Connect {@link SinkRecord}s.
 *
 * <p>Usage: {@code SinkBenchmark [--rows N] [--batch B] [--no-kafka] [--no-debezium]}; defaults
 * 1,000,000 rows, batch 1000. Uses the testkit's embedded PostgreSQL and Kafka broker.
 */
public final class SinkBenchmark {
  private static final String DB = "carve_bench_sink";
  static final Schema KEY =
      new Schema.Parser()
          .parse(
              "{\"type\":\"record\",\"name\":\"OrderKey\",\"namespace\":\"bench\",\"fields\":"
                  + "[{\"name\":\"order_id\",\"type\":\"long\"}]}");
  static final Schema VALUE =
      new Schema.Parser()
          .parse(
              "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"bench\",\"fields\":["
                  + "{\"name\":\"order_id\",\"type\":\"long\"},"
                  + "{\"name\":\"order_ref\",\"type\":\"string\"},"
                  + "{\"name\":\"customer_id\",\"type\":\"long\"},"
                  + "{\"name\":\"ordered_at\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
                  + "{\"name\":\"status\",\"type\":{\"type\":\"enum\",\"name\":\"S\",\"symbols\":[\"NEW\",\"PAID\",\"SHIPPED\"]}},"
                  + "{\"name\":\"total\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":12,\"scale\":2}},"
                  + "{\"name\":\"total_cents\",\"type\":\"long\"},"
                  + "{\"name\":\"currency\",\"type\":\"string\"},"
                  + "{\"name\":\"ship_name\",\"type\":[\"null\",\"string\"],\"default\":null},"
                  + "{\"name\":\"ship_city\",\"type\":[\"null\",\"string\"],\"default\":null},"
                  + "{\"name\":\"line_count\",\"type\":\"int\"}]}");

  private SinkBenchmark() {}

  /** Runs the benchmark; see the class comment for the arguments. */
  public static void main(String[] args) throws Exception {
    int rows = 1_000_000;
    int batch = 1000;
    boolean kafka = true;
    boolean debezium = true;
    int rounds = 2;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rows" -> rows = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--no-kafka" -> kafka = false;
        case "--no-debezium" -> debezium = false;
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        default ->
            throw new IllegalArgumentException(
                "Unknown argument '"
                    + args[i]
                    + "'; use --rows N --batch B --no-kafka --no-debezium");
      }
    }
    TestPostgres.createDatabase(DB);
    System.out.printf(Locale.ROOT, "Generating %,d order rows...%n", rows);
    List<GenericRecord> keys = new ArrayList<>(rows);
    List<GenericRecord> values = new ArrayList<>(rows);
    for (int i = 1; i <= rows; i++) {
      keys.add(key(i));
      values.add(order(i));
    }
    // Best of several interleaved rounds: the machine is shared, so a single run is noisy.
    Map<String, Double> rates = new LinkedHashMap<>();
    for (int r = 1; r <= rounds; r++) {
      System.out.printf(Locale.ROOT, "Round %d of %d%n", r, rounds);
      rates.merge("a) COPY, 1 connection", copy(keys, values, r), Math::max);
      rates.merge(
          "b) Carve batch writer (in-memory records)", carve(keys, values, batch, r), Math::max);
      if (kafka) {
        rates.merge(
            "b') Carve ServiceSink (Kafka -> PostgreSQL)",
            carveConsumer(keys, values, batch, r),
            Math::max);
      }
      if (debezium) {
        rates.merge("c) Debezium JDBC sink, upsert", debezium(keys, values, batch, r), Math::max);
      }
    }
    double copy = rates.values().iterator().next();
    double carve = rates.get("b) Carve batch writer (in-memory records)");
    System.out.printf(
        Locale.ROOT,
        "%nSink benchmark: %,d rows, batch %d, best of %d rounds%n",
        rows,
        batch,
        rounds);
    rates.forEach(
        (name, rate) ->
            System.out.printf(
                Locale.ROOT,
                "  %-45s %,12.0f rows/s  %5.2fx COPY  %5.2fx Carve writer%n",
                name,
                rate,
                rate / copy,
                rate / carve));
    Double dbz = rates.get("c) Debezium JDBC sink, upsert");
    if (dbz != null) {
      System.out.printf(
          Locale.ROOT,
          "  Carve writer / COPY = %.2f (aim >= 0.5), Carve writer / Debezium = %.2f (aim >= 3)%n",
          carve / copy,
          carve / dbz);
    }
    if (kafka) {
      // Stop the shared broker before the JVM's shutdown hooks delete its directories under it.
      TestKafka.cluster().close();
    }
    System.exit(0);
  }

  private static GenericRecord key(long id) {
    GenericRecord k = new GenericData.Record(KEY);
    k.put("order_id", id);
    return k;
  }

  static GenericRecord order(long id) {
    GenericRecord v = new GenericData.Record(VALUE);
    v.put("order_id", id);
    v.put("order_ref", "ORD-2019-" + id);
    v.put("customer_id", id % 10_000);
    v.put("ordered_at", 1_700_000_000_000_000L + id * 1_000_000L);
    v.put(
        "status",
        new GenericData.EnumSymbol(
            VALUE.getField("status").schema(), id % 3 == 0 ? "PAID" : "NEW"));
    long cents = 1000 + id % 100_000;
    v.put("total", ByteBuffer.wrap(BigInteger.valueOf(cents).toByteArray()));
    v.put("total_cents", cents);
    v.put("currency", "EUR");
    v.put("ship_name", id % 5 == 0 ? null : "Customer " + id);
    v.put("ship_city", "Berlin");
    v.put("line_count", (int) (id % 7) + 1);
    return v;
  }

  static TableSpec spec(String schema, String table) {
    return AvroColumns.tableSpec(schema, table, KEY, VALUE);
  }

  static void createTable(Connection c, TableSpec spec, boolean bookkeeping) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(PostgresDialect.createSchema(spec.schema()));
      if (bookkeeping) {
        s.execute(PostgresDialect.createTable(spec));
      } else {
        StringBuilder cols = new StringBuilder();
        for (Column col : spec.allColumns()) {
          cols.append(PostgresDialect.quoteIdentifier(col.name()))
              .append(' ')
              .append(col.sqlType())
              .append(col.nullable() ? "" : " NOT NULL")
              .append(", ");
        }
        s.execute(
            "CREATE TABLE "
                + PostgresDialect.qualified(spec.schema(), spec.table())
                + " ("
                + cols
                + "PRIMARY KEY (\"order_id\"))");
      }
      s.execute(
          "CREATE INDEX ON "
              + PostgresDialect.qualified(spec.schema(), spec.table())
              + " (\"customer_id\")");
    }
  }

  private static double report(String what, int rows, long startNanos) {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    double rate = rows / seconds;
    System.out.printf(
        Locale.ROOT, "%-45s %,d rows in %.2f s = %,.0f rows/s%n", what, rows, seconds, rate);
    return rate;
  }

  private static double copy(List<GenericRecord> keys, List<GenericRecord> values, int round)
      throws SQLException, IOException {
    TableSpec spec = spec("bench_copy_" + round, "order");
    try (Connection c = TestPostgres.connect(DB)) {
      createTable(c, spec, true);
      long start = System.nanoTime();
      StringBuilder csv = new StringBuilder(values.size() * 160);
      for (int i = 0; i < values.size(); i++) {
        GenericRecord v = values.get(i);
        for (Column col : spec.allColumns()) {
          Schema.Field f = VALUE.getField(col.name());
          appendCsv(csv, AvroColumns.toText(v.get(f.pos()), f.schema()));
          csv.append(',');
        }
        csv.append(i + 1).append(',').append(i + 1).append('\n');
      }
      StringBuilder columns = new StringBuilder();
      for (Column col : spec.allColumns()) {
        columns.append(PostgresDialect.quoteIdentifier(col.name())).append(", ");
      }
      columns.append("\"carve_commit_lsn\", \"carve_change_lsn\"");
      ((PGConnection) c)
          .getCopyAPI()
          .copyIn(
              "COPY "
                  + PostgresDialect.qualified(spec.schema(), spec.table())
                  + " ("
                  + columns
                  + ") FROM STDIN (FORMAT csv)",
              new StringReader(csv.toString()));
      return report("a) COPY", values.size(), start);
    }
  }

  static void appendCsv(StringBuilder sb, String text) {
    if (text == null) {
      return;
    }
    if (text.isEmpty()
        || text.indexOf(',') >= 0
        || text.indexOf('"') >= 0
        || text.indexOf('\n') >= 0) {
      sb.append('"').append(text.replace("\"", "\"\"")).append('"');
    } else {
      sb.append(text);
    }
  }

  private static double carve(
      List<GenericRecord> keys, List<GenericRecord> values, int batch, int round)
      throws SQLException {
    TableSpec spec = spec("bench_carve_" + round, "order");
    try (Connection c = TestPostgres.connect(DB)) {
      createTable(c, spec, true);
      c.setAutoCommit(false);
      BatchWriter writer = new BatchWriter(new TargetTables(spec.schema(), DdlMode.CREATE));
      writer.tables().prepare(c);
      c.commit();
      long start = System.nanoTime();
      for (int from = 0; from < values.size(); from += batch) {
        int to = Math.min(values.size(), from + batch);
        List<ChangeRecord> records = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
          ConsumerRecord<byte[], byte[]> source =
              new ConsumerRecord<>(
                  "bench.order",
                  0,
                  i,
                  0L,
                  TimestampType.CREATE_TIME,
                  0,
                  0,
                  null,
                  null,
                  new org.apache.kafka.common.header.internals.RecordHeaders(),
                  Optional.empty());
          records.add(
              new ChangeRecord(
                  source,
                  "order",
                  keys.get(i),
                  values.get(i),
                  new SourcePosition(i + 1, i + 1),
                  false));
        }
        writer.write(c, records);
        c.commit();
      }
      return report("b) Carve batch writer", values.size(), start);
    }
  }

  private static double carveConsumer(
      List<GenericRecord> keys, List<GenericRecord> values, int batch, int round) throws Exception {
    String service = "benchsink" + round;
    String topic = service + ".order";
    TestKafka.createTopics(1, true, topic, service + ".dlq");
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    System.out.println("Producing the rows to Kafka (not timed)...");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < values.size(); i++) {
        ProducerRecord<byte[], byte[]> r =
            new ProducerRecord<>(topic, avro(keys.get(i)), avro(values.get(i)));
        new SourcePosition(i + 1, i + 1).writeTo(r.headers());
        producer.send(r);
      }
      producer.flush();
    }
    Map<String, Object> raw = new HashMap<>();
    raw.put("bootstrap-servers", TestKafka.bootstrapServers());
    raw.put("jdbc-url", TestPostgres.jdbcUrl(DB));
    raw.put("username", TestPostgres.USER);
    raw.put("password", TestPostgres.PASSWORD);
    raw.put("schema", "bench_carve_sink_" + round);
    raw.put("entities", List.of("order"));
    raw.put("batch-size", Integer.toString(batch));
    SinkOptions options;
    try {
      options = SinkOptions.parse(raw);
    } catch (ConfigException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    try (Connection c = TestPostgres.connect(DB)) {
      createTable(c, spec("bench_carve_sink_" + round, "order"), true);
    }
    Deserializer<GenericRecord> keyDeserializer = deserializer(KEY);
    Deserializer<GenericRecord> valueDeserializer = deserializer(VALUE);
    long start = System.nanoTime();
    try (ServiceSink sink =
        ServiceSink.create(service, options, keyDeserializer, valueDeserializer)) {
      sink.start();
      while (sink.metrics().records() < values.size()) {
        if (sink.failure() != null) {
          throw new IllegalStateException("The sink failed", sink.failure());
        }
        Thread.sleep(20);
      }
      double rate = report("b') Carve ServiceSink", values.size(), start);
      sink.close();
      // Replay of the same records: a fresh read from the earliest offsets into the shadow schema,
      // then the swap (the live sink must be stopped, as carve replay requires).
      long replayStart = System.nanoTime();
      ReplayJob.Result result =
          ReplayJob.create(
                  service, options, ReplayJob.Mode.SHADOW, keyDeserializer, valueDeserializer)
              .run(progress -> {});
      report("b'') Carve replay (shadow rebuild + swap)", (int) result.recordsRead(), replayStart);
      return rate;
    }
  }

  private static byte[] avro(GenericRecord r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    try {
      new GenericDatumWriter<GenericRecord>(r.getSchema()).write(r, enc);
      enc.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Plain Avro binary with a known schema (the registry is not what is measured here). */
  private static Deserializer<GenericRecord> deserializer(Schema schema) {
    GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(schema);
    return (topic, data) -> {
      try {
        return reader.read(null, DecoderFactory.get().binaryDecoder(data, null));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
  }

  private static double debezium(
      List<GenericRecord> keys, List<GenericRecord> values, int batch, int round)
      throws SQLException {
    TableSpec spec = spec("public", "bench_debezium_" + round);
    try (Connection c = TestPostgres.connect(DB)) {
      createTable(c, spec, false);
    }
    org.apache.kafka.connect.data.Schema keySchema =
        SchemaBuilder.struct()
            .name("bench.OrderKey")
            .field("order_id", org.apache.kafka.connect.data.Schema.INT64_SCHEMA)
            .build();
    org.apache.kafka.connect.data.Schema valueSchema =
        SchemaBuilder.struct()
            .name("bench.Order")
            .field("order_id", org.apache.kafka.connect.data.Schema.INT64_SCHEMA)
            .field("order_ref", org.apache.kafka.connect.data.Schema.STRING_SCHEMA)
            .field("customer_id", org.apache.kafka.connect.data.Schema.INT64_SCHEMA)
            .field("ordered_at", Timestamp.SCHEMA)
            .field("status", org.apache.kafka.connect.data.Schema.STRING_SCHEMA)
            .field("total", Decimal.schema(2))
            .field("total_cents", org.apache.kafka.connect.data.Schema.INT64_SCHEMA)
            .field("currency", org.apache.kafka.connect.data.Schema.STRING_SCHEMA)
            .field("ship_name", org.apache.kafka.connect.data.Schema.OPTIONAL_STRING_SCHEMA)
            .field("ship_city", org.apache.kafka.connect.data.Schema.OPTIONAL_STRING_SCHEMA)
            .field("line_count", org.apache.kafka.connect.data.Schema.INT32_SCHEMA)
            .build();
    Map<String, String> config = new HashMap<>();
    config.put("connection.url", TestPostgres.jdbcUrl(DB));
    config.put("connection.username", TestPostgres.USER);
    config.put("connection.password", TestPostgres.PASSWORD);
    config.put("insert.mode", "upsert");
    config.put("primary.key.mode", "record_key");
    config.put("primary.key.fields", "order_id");
    config.put("schema.evolution", "none");
    config.put("delete.enabled", "false");
    config.put("batch.size", Integer.toString(batch));
    config.put("collection.name.format", spec.table());
    config.put("use.time.zone", "UTC");
    config.put("connection.pool.min_size", "1");
    config.put("connection.pool.max_size", "1");
    JdbcSinkConnectorTask task = new JdbcSinkConnectorTask();
    task.start(config);
    try {
      long start = System.nanoTime();
      for (int from = 0; from < values.size(); from += batch) {
        int to = Math.min(values.size(), from + batch);
        List<SinkRecord> records = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
          GenericRecord v = values.get(i);
          Struct k = new Struct(keySchema).put("order_id", keys.get(i).get("order_id"));
          ByteBuffer total = ((ByteBuffer) v.get("total")).duplicate();
          byte[] unscaled = new byte[total.remaining()];
          total.get(unscaled);
          Struct s =
              new Struct(valueSchema)
                  .put("order_id", v.get("order_id"))
                  .put("order_ref", v.get("order_ref").toString())
                  .put("customer_id", v.get("customer_id"))
                  .put("ordered_at", new Date((Long) v.get("ordered_at") / 1000))
                  .put("status", v.get("status").toString())
                  .put("total", new BigDecimal(new BigInteger(unscaled), 2))
                  .put("total_cents", v.get("total_cents"))
                  .put("currency", v.get("currency").toString())
                  .put(
                      "ship_name",
                      v.get("ship_name") == null ? null : v.get("ship_name").toString())
                  .put("ship_city", v.get("ship_city").toString())
                  .put("line_count", v.get("line_count"));
          records.add(new SinkRecord("bench.order", 0, keySchema, k, valueSchema, s, i));
        }
        task.put(records);
      }
      return report("c) Debezium JDBC sink", values.size(), start);
    } finally {
      task.stop();
    }
  }
}
