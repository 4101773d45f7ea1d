package dev.carve.sink;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Test-only Avro serde in the Confluent wire format (magic 0, 4-byte schema id, Avro binary) with
 * an in-memory id table, standing in for carve-schemas' serde so the sink tests run on their own.
 */
public final class TestAvro {
  private static final Map<Integer, Schema> BY_ID = new ConcurrentHashMap<>();
  private static final Map<Schema, Integer> IDS = new ConcurrentHashMap<>();
  private static final AtomicInteger NEXT = new AtomicInteger(1);

  private TestAvro() {}

  /** Loads a schema from {@code src/test/resources/avro/<name>.avsc}. */
  public static Schema schema(String name) {
    try (InputStream in = TestAvro.class.getResourceAsStream("/avro/" + name + ".avsc")) {
      if (in == null) {
        throw new IllegalArgumentException("No test schema /avro/" + name + ".avsc");
      }
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Encodes a record in the wire format. */
  public static byte[] serialize(GenericRecord record) {
    if (record == null) {
      return null;
    }
    int id = IDS.computeIfAbsent(record.getSchema(), s -> register(s));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    try {
      new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, enc);
      enc.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static int register(Schema s) {
    int id = NEXT.getAndIncrement();
    BY_ID.put(id, s);
    return id;
  }

  /** A deserializer for the wire format (writer schema = registered schema). */
  public static Deserializer<GenericRecord> deserializer() {
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      ByteBuffer buf = ByteBuffer.wrap(data);
      if (buf.get() != 0) {
        throw new IllegalArgumentException("Unknown magic byte");
      }
      Schema s = BY_ID.get(buf.getInt());
      if (s == null) {
        throw new IllegalArgumentException("Unknown schema id");
      }
      try {
        return new GenericDatumReader<GenericRecord>(s)
            .read(null, DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, null));
      } catch (IOException e) {
        throw new IllegalArgumentException("Cannot decode: " + e, e);
      }
    };
  }
}
