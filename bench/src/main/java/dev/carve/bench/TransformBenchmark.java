package dev.carve.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carve.core.error.OnError;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.transform.api.DomainRecord;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.api.Output;
import dev.carve.transform.api.SerdeFactory;
import dev.carve.transform.api.StoreType;
import dev.carve.transform.api.Topic;
import dev.carve.transform.api.TopologyContext;
import dev.carve.transform.mapping.MappingLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The orders topology (stream-transformer/topologies/orders.yaml: 2 entities, code tables,
 * conversions, a delimited field, an exploded JSON blob with a state store) against a passthrough
 * topology (same raw topic, same Debezium parsing, same Avro serde, identity mapping of the row) in
 * one run with TopologyTestDriver. Prints events/s of each and the ratio.
 *
 * <p>Usage: {@code bench/run TransformBenchmark [events] [rounds]} (default 50000 events, 3
 * rounds).
 */
public final class TransformBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
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
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path home = Path.of(System.getProperty("carve.home", "."));
    DomainTopology orders =
        MappingLoader.load(home.resolve("stream-transformer/topologies/orders.yaml"));
    DomainTopology passthrough = new PassthroughTopology();
    List<byte[][]> input = events(events);
    List<byte[][]> warmup = events(Math.min(5_000, events / 10));

    run(orders, warmup);
    run(passthrough, warmup);
    double bestOrders = 0;
    double bestPassthrough = 0;
    long ordersOut = 0;
    long passthroughOut = 0;
    for (int r = 0; r < rounds; r++) {
      Result o = run(orders, input);
      Result p = run(passthrough, input);
      bestOrders = Math.max(bestOrders, o.eventsPerSecond());
      bestPassthrough = Math.max(bestPassthrough, p.eventsPerSecond());
      ordersOut = o.recordsOut();
      passthroughOut = p.recordsOut();
      System.out.printf(
          Locale.ROOT,
          "round %d: orders %.0f events/s, passthrough %.0f events/s%n",
          r + 1,
          o.eventsPerSecond(),
          p.eventsPerSecond());
    }
    System.out.printf(
        Locale.ROOT,
        "TransformBenchmark: %d events (orders with 3 lines each), best of %d rounds,"
            + " TopologyTestDriver%n",
        events,
        rounds);
    double ordersRecords = bestOrders * ordersOut / events;
    double passthroughRecords = bestPassthrough * passthroughOut / events;
    System.out.printf(
        Locale.ROOT,
        "  orders topology : %.0f events/s, %.0f domain records/s (%d records per run)%n",
        bestOrders,
        ordersRecords,
        ordersOut);
    System.out.printf(
        Locale.ROOT,
        "  passthrough     : %.0f events/s, %.0f domain records/s (%d records per run)%n",
        bestPassthrough,
        passthroughRecords,
        passthroughOut);
    System.out.printf(
        Locale.ROOT,
        "  ratio           : %.2f in events/s (aim >= 0.70), %.2f in domain records/s%n",
        bestOrders / bestPassthrough,
        ordersRecords / passthroughRecords);
  }

  private record Result(double eventsPerSecond, long recordsOut) {}

  private static Result run(DomainTopology topology, List<byte[][]> input) throws Exception {
    String scope = "bench-" + topology.service() + "-" + System.nanoTime();
    Map<String, Object> serdeConfig = Map.of("schema.registry.url", "mock://" + scope);
    SerdeFactory serdes = isKey -> AvroSerdes.generic(serdeConfig, isKey);
    TopologyContext ctx =
        TopologyContext.create(
            topology.service(), "legacy", OnError.DEAD_LETTER, serdes, StoreType.IN_MEMORY);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "carve-" + topology.service());
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("carve-bench").toString());
    props.putAll(StoreType.IN_MEMORY.streamsConfig());
    try (TopologyTestDriver driver = new TopologyTestDriver(topology.build(ctx), props)) {
      TestInputTopic<byte[], byte[]> in =
          driver.createInputTopic(
              ctx.rawTopic("orders"), new ByteArraySerializer(), new ByteArraySerializer());
      long start = System.nanoTime();
      for (byte[][] event : input) {
        in.pipeInput(event[0], event[1]);
      }
      long nanos = System.nanoTime() - start;
      long out = 0;
      for (String topic : ctx.domainTopics()) {
        out +=
            driver
                .createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer())
                .getQueueSize();
      }
      return new Result(input.size() * 1e9 / nanos, out);
    }
  }

  private static List<byte[][]> events(int n) throws Exception {
    List<byte[][]> events = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String ref = String.format(Locale.ROOT, "ORD-2019-%06d", i % 20_000);
      Map<String, Object> after = new LinkedHashMap<>();
      after.put("order_ref", ref);
      after.put("cust_no", String.format(Locale.ROOT, "C%08d", i % 5_000));
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
      Map<String, Object> source = new LinkedHashMap<>();
      source.put("version", "3.3.1.Final");
      source.put("connector", "postgresql");
      source.put("name", "legacy");
      source.put("ts_ms", 1_700_000_000_000L);
      source.put("snapshot", "false");
      source.put("db", "legacy_shop");
      source.put("sequence", "[\"" + (1000L + 16L * i) + "\",\"" + (1008L + 16L * i) + "\"]");
      source.put("schema", "public");
      source.put("table", "orders");
      source.put("txId", 700 + i);
      source.put("lsn", 1008L + 16L * i);
      Map<String, Object> value = new LinkedHashMap<>();
      value.put("before", null);
      value.put("after", after);
      value.put("source", source);
      value.put("op", i < 20_000 ? "c" : "u");
      value.put("ts_ms", 1_700_000_000_100L);
      events.add(
          new byte[][] {
            JSON.writeValueAsBytes(Map.of("order_ref", ref)), JSON.writeValueAsBytes(value)
          });
    }
    return events;
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
