package dev.carve.bench;

import dev.carve.schemas.registry.MockSchemaRegistry;
import dev.carve.schemas.serde.AvroSerdes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serialize + deserialize throughput of a 20-field record through Carve's Avro serde (Confluent
 * wire format, {@code mock://} registry) against plain Avro binary encoding of the same records
 * without framing, in one run with warm-up. Prints records/s of each and their ratio (aim: at least
 * 0.9).
 *
 * <p>Run: {@code java -cp <bench classpath> dev.carve.bench.SerdeBenchmark [seconds per round]}.
 */
public final class SerdeBenchmark {
  private static final String TOPIC = "bench.customer";
  private static final int RECORDS = 10_000;
  private static final int ROUNDS = 5;
  private static final int SLICES = 10;

  private SerdeBenchmark() {}

  /** Runs the benchmark. */
  public static void main(String[] args) {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
    Schema schema = schema();
    List<GenericRecord> records = records(schema);

    Serde<GenericRecord> serde =
        AvroSerdes.generic(Map.of("schema.registry.url", "mock://serde-benchmark"), false);
    Serializer<GenericRecord> serializer = serde.serializer();
    Deserializer<GenericRecord> deserializer = serde.deserializer();
    DatumWriter<GenericRecord> plainWriter = new GenericDatumWriter<>(schema);
    DatumReader<GenericRecord> plainReader = new GenericDatumReader<>(schema);

    Pass plain =
        r -> {
          byte[] bytes = encode(plainWriter, r);
          return decode(plainReader, bytes);
        };
    Pass framed = r -> deserializer.deserialize(TOPIC, serializer.serialize(TOPIC, r));

    check(records, plain, framed);
    System.out.printf(
        Locale.ROOT,
        "SerdeBenchmark: %d distinct 20-field records; %d rounds of %.1f s per side, each round"
            + " alternating %d slices of plain and serde so that background load hits both alike%n",
        RECORDS,
        ROUNDS,
        seconds,
        SLICES);
    for (int warmUp = 0; warmUp < 4; warmUp++) {
      run(records, plain, seconds / 2);
      run(records, framed, seconds / 2);
    }

    double[] plainRates = new double[ROUNDS];
    double[] serdeRates = new double[ROUNDS];
    double[] ratios = new double[ROUNDS];
    for (int round = 0; round < ROUNDS; round++) {
      long plainCount = 0;
      long plainNanos = 0;
      long serdeCount = 0;
      long serdeNanos = 0;
      for (int slice = 0; slice < SLICES; slice++) {
        long[] p = slice(records, plain, seconds / SLICES);
        long[] f = slice(records, framed, seconds / SLICES);
        plainCount += p[0];
        plainNanos += p[1];
        serdeCount += f[0];
        serdeNanos += f[1];
      }
      plainRates[round] = plainCount * 1e9 / plainNanos;
      serdeRates[round] = serdeCount * 1e9 / serdeNanos;
      ratios[round] = serdeRates[round] / plainRates[round];
      System.out.printf(
          Locale.ROOT,
          "  round %d: plain Avro %,10.0f records/s, serde %,10.0f records/s, ratio %.3f%n",
          round + 1,
          plainRates[round],
          serdeRates[round],
          ratios[round]);
    }
    System.out.printf(
        Locale.ROOT,
        "plain Avro binary (no framing):     %,12.0f records/s (median of rounds)%n",
        median(plainRates));
    System.out.printf(
        Locale.ROOT,
        "Carve serde (wire format, mock://): %,12.0f records/s (median of rounds)%n",
        median(serdeRates));
    System.out.printf(
        Locale.ROOT, "ratio serde / plain: %.3f (median of rounds; aim >= 0.9)%n", median(ratios));
    serde.close();
    MockSchemaRegistry.drop("serde-benchmark");
  }

  @FunctionalInterface
  private interface Pass {
    GenericRecord apply(GenericRecord record);
  }

  private static void check(List<GenericRecord> records, Pass plain, Pass framed) {
    for (GenericRecord r : records.subList(0, 100)) {
      if (!plain.apply(r).equals(r) || !framed.apply(r).equals(r)) {
        throw new IllegalStateException("A record did not survive the round trip: " + r);
      }
    }
  }

  /** One slice: serializes and deserializes records for about {@code seconds}. */
  private static long[] slice(List<GenericRecord> records, Pass pass, double seconds) {
    long budget = (long) (seconds * 1_000_000_000L);
    long start = System.nanoTime();
    long count = 0;
    long sink = 0;
    int next = (int) (start & 0x3fff) % RECORDS;
    while (System.nanoTime() - start < budget) {
      for (int i = 0; i < 200; i++) {
        GenericRecord out = pass.apply(records.get(next));
        next = next + 1 == RECORDS ? 0 : next + 1;
        sink += out.get(0) == null ? 1 : 0;
        count++;
      }
    }
    long elapsed = System.nanoTime() - start;
    if (sink < 0) {
      System.out.println(sink);
    }
    return new long[] {count, elapsed};
  }

  /** Serializes and deserializes records for about {@code seconds}; returns records per second. */
  private static double run(List<GenericRecord> records, Pass pass, double seconds) {
    long budget = (long) (seconds * 1_000_000_000L);
    long start = System.nanoTime();
    long count = 0;
    long sink = 0;
    while (System.nanoTime() - start < budget) {
      for (int i = 0; i < 1000; i++) {
        GenericRecord out = pass.apply(records.get((int) (count % RECORDS)));
        sink += out.get(0) == null ? 1 : 0;
        count++;
      }
    }
    long elapsed = System.nanoTime() - start;
    if (sink < 0) {
      System.out.println(sink);
    }
    return count * 1e9 / elapsed;
  }

  private static byte[] encode(DatumWriter<GenericRecord> writer, GenericRecord record) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    try {
      writer.write(record, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static GenericRecord decode(DatumReader<GenericRecord> reader, byte[] bytes) {
    try {
      return reader.read(null, DecoderFactory.get().binaryDecoder(bytes, null));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static Schema schema() {
    return SchemaBuilder.record("BenchCustomer")
        .namespace("dev.carve.bench")
        .fields()
        .requiredLong("customer_id")
        .requiredString("legacy_ref")
        .requiredString("first_name")
        .requiredString("last_name")
        .optionalString("email")
        .optionalString("phone")
        .requiredBoolean("vip")
        .name("status")
        .type()
        .enumeration("BenchStatus")
        .symbols("ACTIVE", "SUSPENDED", "CLOSED")
        .noDefault()
        .requiredInt("created_on")
        .optionalString("notes")
        .requiredLong("order_count")
        .requiredLong("total_cents")
        .requiredString("currency")
        .requiredString("city")
        .requiredString("postal_code")
        .requiredString("country_code")
        .requiredDouble("score")
        .requiredInt("loyalty_points")
        .requiredLong("updated_at")
        .optionalString("segment")
        .endRecord();
  }

  private static List<GenericRecord> records(Schema schema) {
    Random random = new Random(42);
    Schema status = schema.getField("status").schema();
    String[] symbols = {"ACTIVE", "SUSPENDED", "CLOSED"};
    List<GenericRecord> out = new ArrayList<>(RECORDS);
    for (int i = 0; i < RECORDS; i++) {
      GenericData.Record r = new GenericData.Record(schema);
      r.put("customer_id", (long) i);
      r.put("legacy_ref", String.format(Locale.ROOT, "C%08d", i));
      r.put("first_name", "First" + random.nextInt(1000));
      r.put("last_name", "Last" + random.nextInt(1000));
      r.put("email", random.nextBoolean() ? "user" + i + "@example.com" : null);
      r.put("phone", random.nextBoolean() ? "+49 30 " + random.nextInt(10_000_000) : null);
      r.put("vip", random.nextInt(10) == 0);
      r.put("status", new GenericData.EnumSymbol(status, symbols[random.nextInt(3)]));
      r.put("created_on", 15_000 + random.nextInt(5000));
      r.put("notes", random.nextInt(4) == 0 ? "note " + random.nextLong() : null);
      r.put("order_count", (long) random.nextInt(500));
      r.put("total_cents", random.nextLong() & 0xffffffL);
      r.put("currency", "EUR");
      r.put("city", "City" + random.nextInt(200));
      r.put("postal_code", String.format(Locale.ROOT, "%05d", random.nextInt(100_000)));
      r.put("country_code", "DE");
      r.put("score", random.nextDouble());
      r.put("loyalty_points", random.nextInt(100_000));
      r.put("updated_at", 1_700_000_000_000_000L + random.nextInt());
      r.put("segment", random.nextBoolean() ? "retail" : null);
      out.add(r);
    }
    return out;
  }
}
