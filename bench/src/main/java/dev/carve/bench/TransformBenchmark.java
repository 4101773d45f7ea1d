package dev.carve.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import dev.carve.testkit.TestKafka;
import dev.carve.transform.TransformerOptions;
import dev.carve.transform.TransformerRuntime;
import dev.carve.transform.api.DomainRecord;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.api.Output;
import dev.carve.transform.api.StoreType;
import dev.carve.transform.api.Topic;
import dev.carve.transform.api.TopologyContext;
import dev.carve.transform.mapping.MappingLoader;
import dev.carve.transform.mapping.SchemaResolver;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsBuilder;

/**
 * The orders topology (stream-transformer/topologies/orders.yaml: 2 entities, code tables,
 * conversions, a delimited field, an exploded JSON blob with a state store, a foreign-key join to
 * the billing address) against a passthrough topology (same raw topic, same Debezium parsing, same
 * Avro serde, identity mapping of the row) in one run, each as a real {@link TransformerRuntime}
 * (Kafka Streams, exactly_once_v2, RocksDB stores: the production defaults, nothing tuned for
 * either side) on the testkit's KRaft broker with the embedded schema registry. Two more sides tell
 * the join's cost apart from the mapping's: the same orders mapping with its join run as Kafka
 * Streams' KTable foreign-key join ({@code ktable}; {@code orders} uses the default broadcast join)
 * and without its join ({@code nojoin}).
 *
 * <p>The raw topics (Debezium JSON envelopes of the orders, and the addresses the join needs) are
 * produced once, before any round. Each run is a fresh application (its own service name, so its
 * own application id, state directory and internal topics) that reads them from the beginning; it
 * ends when the application's committed offsets reach the end of every topic it consumes (the raw
 * topics and its own repartition and join topics), so the join's round trips through the broker
 * count. Events/s are timed from RUNNING to that point; the start-up is printed apart.
 *
 * <p>Usage: {@code bench/run TransformBenchmark [events] [rounds]} (default 60000 events, 3 rounds,
 * after a warm-up round of each side on a separate smaller input; about 3 minutes). {@code
 * -Dbench.threads=true} prints the CPU of each thread group per run; {@code
 * -Dbench.streams.<property>=<value>} sets a Kafka Streams property on every side alike, {@code
 * -Dbench.store=in-memory} the store type (default rocksdb), {@code -Dbench.sides=orders,nojoin}
 * runs only these sides (passthrough always runs: the ratios need it), {@code -Dbench.partitions=2}
 * the partitions of the raw topics (default 1; with {@code -Dbench.streams.num.stream.threads=2}
 * both sides use both cores; "stream thread" CPU is then that of all stream threads).
 */
public final class TransformBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PREFIX = "tbench";
  private static final String WARM_PREFIX = "tbenchwarm";
  private static final int CUSTOMERS = 5_000;
  private static final String[] COLUMNS = {
    "order_ref",
    "cust_no",
    "order_date",
    "status",
    "total_amount",
    "currency",
    "lines_blob",
    "ship_to",
    "deleted_flag",
    "updated_at"
  };

  private TransformBenchmark() {}

  /** Runs the benchmark. */
  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 60_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path home = Path.of(System.getProperty("carve.home", "."));
    Path ordersYaml = home.resolve("stream-transformer/topologies/orders.yaml");
    DomainTopology orders = MappingLoader.load(ordersYaml);
    String bootstrap = TestKafka.bootstrapServers();
    int exit = 0;
    try (EmbeddedSchemaRegistry registry =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.kafka(bootstrap)
                .withTopic("_schemas_transform_bench"))) {
      String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
      int warmEvents = Math.max(1_000, Math.min(10_000, events / 4));
      System.out.printf(
          Locale.ROOT,
          "Producing %d + %d order events and %d addresses per input (not timed)...%n",
          warmEvents,
          events,
          2 * CUSTOMERS);
      String warmPrefix = WARM_PREFIX + run;
      String prefix = PREFIX + run;
      produce(bootstrap, warmPrefix, warmEvents);
      produce(bootstrap, prefix, events);

      List<Side> all =
          List.of(
              new Side("orders", orders, registry.url()),
              new Side("ktable", withKTableJoin(ordersYaml), registry.url()),
              new Side("nojoin", withoutJoin(ordersYaml), registry.url()),
              new Side("passthrough", new PassthroughTopology(), registry.url()));
      List<String> wanted =
          List.of(System.getProperty("bench.sides", "orders,ktable,nojoin").split(","));
      List<Side> sides =
          all.stream()
              .filter(s -> s.name().equals("passthrough") || wanted.contains(s.name()))
              .toList();
      System.out.println("Warm-up round...");
      for (Side side : sides) {
        report("warm-up", side.run(warmPrefix, "w" + run, warmEvents));
      }
      Map<String, Result[]> results = new LinkedHashMap<>();
      sides.forEach(side -> results.put(side.name(), new Result[rounds]));
      for (int r = 0; r < rounds; r++) {
        // Rotate which side goes first, so none always runs on a warmer or busier machine.
        for (int i = 0; i < sides.size(); i++) {
          Side side = sides.get((i + r) % sides.size());
          // Let the broker and the closed application's background work settle first.
          Thread.sleep(2_000);
          Result result = side.run(prefix, "r" + r + run, events);
          results.get(side.name())[r] = result;
          report("round " + (r + 1), result);
        }
      }
      System.out.printf(
          Locale.ROOT,
          "TransformBenchmark: %d order events (3 lines each; %d addresses for the join), median"
              + " of %d rounds, real KRaft broker, exactly_once_v2, RocksDB stores%n",
          events,
          2 * CUSTOMERS,
          rounds);
      Result[] p = results.get("passthrough");
      Result mp = median(p);
      for (Side side : sides) {
        line(side.name(), results.get(side.name()));
      }
      double passthroughCpu = medianCpuPerEvent(p);
      for (Side side : sides) {
        String name = side.name();
        if (name.equals("passthrough")) {
          continue;
        }
        Result[] o = results.get(name);
        Result mo = median(o);
        System.out.printf(
            Locale.ROOT,
            "  ratio %-11s: %.2f in events per CPU second of the whole JVM (broker included;"
                + " steadier than wall time on a shared machine)%n",
            name,
            passthroughCpu / medianCpuPerEvent(o));
        System.out.printf(
            Locale.ROOT,
            "  ratio %-11s: %.2f in events/s (aim >= 0.70), %.2f in domain records/s; per round"
                + " %s%n",
            name,
            mo.eventsPerSecond() / mp.eventsPerSecond(),
            mo.recordsPerSecond() / mp.recordsPerSecond(),
            ratios(o, p));
      }
    } catch (RuntimeException e) {
      e.printStackTrace();
      exit = 1;
    } finally {
      // Stop the shared broker before the JVM's shutdown hooks delete its directories under it.
      TestKafka.cluster().close();
    }
    System.exit(exit);
  }

  private static void line(String name, Result[] results) {
    Result r = median(results);
    System.out.printf(
        Locale.ROOT,
        "  %-16s: %,8.0f events/s, %,8.0f domain records/s (%d records per run, %.1f s from"
            + " RUNNING; %,.0f events/s counting start-up of %.1f s); CPU per event: stream"
            + " thread %.0f us, JVM %.0f us%n",
        name,
        r.eventsPerSecond(),
        r.recordsPerSecond(),
        r.recordsOut(),
        r.seconds(),
        r.eventsPerSecondWithStart(),
        r.startSeconds(),
        median(results, Result::streamThreadCpu) * 1e6 / r.events(),
        medianCpuPerEvent(results) * 1e6);
  }

  private static double medianCpuPerEvent(Result[] results) {
    return median(results, Result::processCpu) / results[0].events();
  }

  private static double median(Result[] results, ToDoubleFunction<Result> f) {
    double[] values = Arrays.stream(results).mapToDouble(f).sorted().toArray();
    return values[values.length / 2];
  }

  private static void report(String what, Result r) {
    System.out.printf(
        Locale.ROOT,
        "%s: %-11s %,7.0f events/s (%d events, %d records out, %d join waits ended, %.1f s +"
            + " %.1f s start-up; CPU: stream thread %.1f s, JVM %.1f s)%n",
        what,
        r.side(),
        r.eventsPerSecond(),
        r.events(),
        r.recordsOut(),
        r.joinWaitsEnded(),
        r.seconds(),
        r.startSeconds(),
        r.streamThreadCpu(),
        r.processCpu());
  }

  private static String ratios(Result[] o, Result[] p) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < o.length; i++) {
      out.add(String.format(Locale.ROOT, "%.2f", o[i].eventsPerSecond() / p[i].eventsPerSecond()));
    }
    return out.toString();
  }

  private static Result median(Result[] results) {
    Result[] sorted = results.clone();
    Arrays.sort(sorted, (a, b) -> Double.compare(a.eventsPerSecond(), b.eventsPerSecond()));
    return sorted[sorted.length / 2];
  }

  /** One measured run of one side. */
  private record Result(
      String side,
      long events,
      long recordsOut,
      long joinWaitsEnded,
      double seconds,
      double startSeconds,
      double streamThreadCpu,
      double processCpu) {
    double eventsPerSecond() {
      return events / seconds;
    }

    double recordsPerSecond() {
      return recordsOut / seconds;
    }

    double eventsPerSecondWithStart() {
      return events / (seconds + startSeconds);
    }
  }

  /**
   * Kafka Streams properties given as {@code -Dbench.streams.<property>=<value>} (e.g. {@code
   * -Dbench.streams.commit.interval.ms=1000}), applied to every side alike; none by default.
   */
  static Map<String, String> streamsOverrides() {
    Map<String, String> out = new LinkedHashMap<>();
    String prefix = "bench.streams.";
    System.getProperties()
        .stringPropertyNames()
        .forEach(
            name -> {
              if (name.startsWith(prefix)) {
                out.put(name.substring(prefix.length()), System.getProperty(name));
              }
            });
    return out;
  }

  /** One topology, run as a fresh application per round. */
  private record Side(String name, DomainTopology topology, String registryUrl) {
    Result run(String rawPrefix, String tag, int events) throws Exception {
      String service = name + "-" + tag;
      DomainTopology renamed = new Renamed(service, topology);
      TransformerOptions options =
          TransformerOptions.of(TestKafka.bootstrapServers(), registryUrl)
              .withRawTopicPrefix(rawPrefix)
              // Its own key registry: every run allocates (and records) every key anew, as the
              // first run over a monolith does, instead of finding the keys of an earlier run.
              .withKeyRegistryTopic("carve-bench-keys-" + service)
              .withStateDir(Files.createTempDirectory("carve-bench-" + service))
              .withKafkaProperties(streamsOverrides())
              .withStoreType(
                  StoreType.valueOf(
                      System.getProperty("bench.store", "rocksdb")
                          .toUpperCase(Locale.ROOT)
                          .replace('-', '_')));
      TransformerRuntime runtime = TransformerRuntime.create(renamed, options);
      try (Admin admin = Admin.create(TestKafka.adminProperties())) {
        long start = System.nanoTime();
        runtime.start();
        if (!runtime.awaitRunning(Duration.ofSeconds(120))) {
          throw new IllegalStateException(
              "The transformer of '" + service + "' did not run: " + runtime.failure());
        }
        long running = System.nanoTime();
        long processCpuAtRunning = processCpuNanos();
        Map<String, Long> threadsAtRunning = threadCpuByGroup();
        awaitConsumed(admin, runtime, rawPrefix);
        if (Boolean.getBoolean("bench.threads")) {
          printThreadCpu(service, threadsAtRunning, threadCpuByGroup());
        }
        long done = System.nanoTime();
        double processCpu = (processCpuNanos() - processCpuAtRunning) / 1e9;
        double threadCpu = streamThreadCpuNanos(runtime.applicationId()) / 1e9;
        if (runtime.metrics().deadLettered() > 0) {
          throw new IllegalStateException(
              "The transformer of '"
                  + service
                  + "' dead-lettered "
                  + runtime.metrics().deadLettered()
                  + " changes: "
                  + runtime.metrics().progressLine());
        }
        return new Result(
            name,
            events,
            runtime.metrics().recordsOut(),
            runtime.metrics().joinWaitsEnded(),
            (done - running) / 1e9,
            (running - start) / 1e9,
            threadCpu,
            processCpu);
      } finally {
        runtime.close(Duration.ofSeconds(60));
      }
    }

    private static long processCpuNanos() {
      return ((com.sun.management.OperatingSystemMXBean)
              ManagementFactory.getOperatingSystemMXBean())
          .getProcessCpuTime();
    }

    /** CPU nanoseconds of the live threads by name with digits and ids blanked. */
    private static Map<String, Long> threadCpuByGroup() {
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      Map<String, Long> out = new HashMap<>();
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        String group =
            t.getName()
                .replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "ID")
                .replaceAll("-[rw][0-9][0-9a-z]*-", "-R-")
                .replaceAll("[0-9]+", "N");
        out.merge(group, Math.max(0, threads.getThreadCpuTime(t.getId())), Long::sum);
      }
      return out;
    }

    private static void printThreadCpu(
        String service, Map<String, Long> before, Map<String, Long> after) {
      List<Map.Entry<String, Long>> deltas = new ArrayList<>();
      after.forEach((k, v) -> deltas.add(Map.entry(k, v - before.getOrDefault(k, 0L))));
      deltas.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
      System.out.println("  CPU by thread group while " + service + " ran:");
      deltas.stream()
          .limit(12)
          .forEach(
              e ->
                  System.out.printf(
                      Locale.ROOT, "    %6.2f s %s%n", e.getValue() / 1e9, e.getKey()));
    }

    /** CPU time of the application's stream threads since they started. */
    private static long streamThreadCpuNanos(String applicationId) {
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long total = 0;
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        if (t.getName().startsWith(applicationId + "-") && t.getName().contains("-StreamThread-")) {
          total += Math.max(0, threads.getThreadCpuTime(t.getId()));
        }
      }
      return total;
    }

    /**
     * Waits until the application's committed offsets reach the last stable offset of every
     * partition it consumes, and cover the raw topics. A partition counts as done at the end offset
     * or one before it (a transaction marker that closes the last batch of a topic written by the
     * application itself need not be passed over by its own commit).
     */
    private static void awaitConsumed(Admin admin, TransformerRuntime runtime, String rawPrefix)
        throws Exception {
      String group = runtime.applicationId();
      Set<String> raw =
          runtime.service().startsWith("orders") || runtime.service().startsWith("ktable")
              ? Set.of("orders", "addresses")
              : Set.of("orders");
      long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      String lag = "";
      while (System.nanoTime() < deadline) {
        if (runtime.failure() != null) {
          throw new IllegalStateException("The transformer failed", runtime.failure());
        }
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
        for (String table : raw) {
          specs.put(new TopicPartition(rawPrefix + ".public." + table, 0), OffsetSpec.latest());
        }
        committed.keySet().forEach(tp -> specs.put(tp, OffsetSpec.latest()));
        var ends =
            admin
                .listOffsets(specs, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .all()
                .get();
        boolean done = true;
        StringBuilder lagging = new StringBuilder();
        for (var e : ends.entrySet()) {
          OffsetAndMetadata c = committed.get(e.getKey());
          long end = e.getValue().offset();
          long at = c == null ? 0 : c.offset();
          boolean own = e.getKey().topic().startsWith(group + "-");
          if (at < end - (own ? 1 : 0)) {
            done = false;
            lagging.append(' ').append(e.getKey()).append('=').append(end - at);
          }
        }
        if (done) {
          return;
        }
        lag = lagging.toString();
        Thread.sleep(50);
      }
      throw new IllegalStateException(
          "Group " + group + " did not consume its input in 10 minutes; lag:" + lag);
    }
  }

  /**
   * The orders mapping without its foreign-key join (customer_country keeps its default, null): the
   * same mapping work through a plain mapping processor, to tell the join's cost apart.
   */
  private static DomainTopology withoutJoin(Path ordersYaml) throws Exception {
    StringBuilder yaml = new StringBuilder();
    int joinBraces = 0; // the join's flow map may span lines
    for (String line : Files.readAllLines(ordersYaml)) {
      String text = line.trim();
      if (joinBraces > 0 || text.startsWith("join:")) {
        joinBraces += text.chars().filter(c -> c == '{').count();
        joinBraces -= text.chars().filter(c -> c == '}').count();
      } else if (!text.startsWith("customer_country:")) {
        yaml.append(line).append('\n');
      }
    }
    return MappingLoader.parse(
        yaml.toString(), ordersYaml + " without join", SchemaResolver.forMappingFile(ordersYaml));
  }

  /** orders.yaml with its join run as Kafka Streams' KTable foreign-key join (no wait). */
  private static DomainTopology withKTableJoin(Path ordersYaml) throws Exception {
    String yaml = Files.readString(ordersYaml);
    String join = "as: customer}";
    if (!yaml.contains(join)) {
      throw new IllegalStateException(ordersYaml + " no longer joins 'as: customer}'");
    }
    return MappingLoader.parse(
        yaml.replace(join, "as: customer, strategy: ktable}")
            .replaceAll("(catch-up-)?wait: [^,}]+,\\s*", ""),
        ordersYaml + " with strategy: ktable",
        SchemaResolver.forMappingFile(ordersYaml));
  }

  /** The topology of another service name, so each round is a fresh application. */
  private record Renamed(String service, DomainTopology delegate) implements DomainTopology {
    @Override
    public void define(StreamsBuilder builder, TopologyContext ctx) {
      delegate.define(builder, ctx);
    }
  }

  private static void produce(String bootstrap, String prefix, int events) throws Exception {
    String ordersTopic = prefix + ".public.orders";
    String addressesTopic = prefix + ".public.addresses";
    TestKafka.createTopics(
        Integer.getInteger("bench.partitions", 1), true, ordersTopic, addressesTopic);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < 2 * CUSTOMERS; i++) {
        byte[][] address = address(i);
        producer.send(new ProducerRecord<>(addressesTopic, address[0], address[1]));
      }
      for (int i = 0; i < events; i++) {
        byte[][] event = event(i);
        producer.send(new ProducerRecord<>(ordersTopic, event[0], event[1]));
      }
      producer.flush();
    }
  }

  /** A billing (even) or shipping (odd) address; customer {@code i / 2}. */
  private static byte[][] address(int i) throws Exception {
    Map<String, Object> after = new LinkedHashMap<>();
    after.put("addr_id", i + 1);
    after.put("cust_no", String.format(Locale.ROOT, "C%08d", i / 2));
    after.put("addr_type", i % 2 == 0 ? "B" : "S");
    after.put("line1", "Hauptstr. " + (i + 1));
    after.put("line2", null);
    after.put("city", "Berlin");
    after.put("zip", "10115");
    after.put("country_code", i % 4 == 0 ? "de" : "AT");
    return new byte[][] {
      JSON.writeValueAsBytes(Map.of("addr_id", i + 1)),
      JSON.writeValueAsBytes(envelope("addresses", after, "r", i, true))
    };
  }

  private static byte[][] event(int i) throws Exception {
    String ref = String.format(Locale.ROOT, "ORD-2019-%06d", i % 20_000);
    Map<String, Object> after = new LinkedHashMap<>();
    after.put("order_ref", ref);
    after.put("cust_no", String.format(Locale.ROOT, "C%08d", i % CUSTOMERS));
    after.put("order_date", "2019-03-21 14:05:09");
    after.put("status", "NPSDX".substring(i % 5, i % 5 + 1));
    after.put("total_amount", "42.50");
    after.put("currency", "EUR");
    after.put(
        "lines_blob",
        "[{\"sku\":\"SKU-00042\",\"qty\":2,\"unit_price\":\"12.50\"},"
            + "{\"sku\":\"SKU-00007\",\"qty\":1,\"unit_price\":\"5.00\"},"
            + "{\"sku\":\"SKU-00001\",\"qty\":"
            + (1 + i % 3)
            + ",\"unit_price\":\"12.50\"}]");
    after.put("ship_to", "Anna Schmidt|Hauptstr. 1|Berlin|10115|DE");
    after.put("deleted_flag", "N");
    after.put("updated_at", 1_700_000_000_000_000L + i);
    return new byte[][] {
      JSON.writeValueAsBytes(Map.of("order_ref", ref)),
      JSON.writeValueAsBytes(envelope("orders", after, i < 20_000 ? "c" : "u", i, false))
    };
  }

  private static Map<String, Object> envelope(
      String table, Map<String, Object> after, String op, int i, boolean snapshot) {
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("version", "3.3.1.Final");
    source.put("connector", "postgresql");
    source.put("name", "legacy");
    source.put("ts_ms", 1_700_000_000_000L);
    source.put("snapshot", snapshot ? "true" : "false");
    source.put("db", "legacy_shop");
    long lsn = snapshot ? 100L : 1008L + 16L * i;
    source.put("sequence", "[\"" + (lsn - 8) + "\",\"" + lsn + "\"]");
    source.put("schema", "public");
    source.put("table", table);
    source.put("txId", 700 + i);
    source.put("lsn", lsn);
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("before", null);
    value.put("after", after);
    value.put("source", source);
    value.put("op", op);
    value.put("ts_ms", 1_700_000_000_100L);
    return value;
  }

  /** Identity mapping: every column of the row as text into one Avro record, key = order_ref. */
  static final class PassthroughTopology implements DomainTopology {
    private static final Schema KEY =
        SchemaBuilder.record("RawOrderKey")
            .namespace("dev.carve.bench")
            .fields()
            .requiredString("order_ref")
            .endRecord();
    private static final Schema VALUE = valueSchema();

    private static Schema valueSchema() {
      SchemaBuilder.FieldAssembler<Schema> fields =
          SchemaBuilder.record("RawOrder").namespace("dev.carve.bench").fields();
      for (String column : COLUMNS) {
        fields = fields.optionalString(column);
      }
      return fields.endRecord();
    }

    @Override
    public String service() {
      return "passthrough";
    }

    @Override
    public void define(StreamsBuilder builder, TopologyContext ctx) {
      Topic<GenericRecord, GenericRecord> raw = ctx.domainTopic("raw_order");
      ctx.mapTable(
          builder,
          "orders",
          (change, scope) -> {
            GenericRecord key = new GenericData.Record(KEY);
            key.put("order_ref", String.valueOf(change.key().get("order_ref")));
            if (change.isDelete()) {
              return List.of(Output.to(raw, DomainRecord.delete(key, change.position())));
            }
            GenericRecord value = new GenericData.Record(VALUE);
            for (String column : COLUMNS) {
              Object v = change.after().get(column);
              value.put(column, v == null ? null : v.toString());
            }
            return List.of(Output.to(raw, DomainRecord.upsert(key, value, change.position())));
          });
    }
  }
}
