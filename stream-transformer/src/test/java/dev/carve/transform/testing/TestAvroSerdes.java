package dev.carve.transform.testing;

import dev.carve.transform.api.SerdeFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro serdes in the Confluent wire format (magic 0, 4-byte schema id, Avro binary) over an
 * in-memory schema table, for TopologyTestDriver tests.
 */
public final class TestAvroSerdes {
  private static final Map<Integer, Schema> BY_ID = new ConcurrentHashMap<>();
  private static final Map<Schema, Integer> IDS = new ConcurrentHashMap<>();
  private static final AtomicInteger NEXT = new AtomicInteger(1);

  private TestAvroSerdes() {}

  /** The factory the tests give the topology context. */
  public static SerdeFactory factory() {
    return isKey -> serde();
  }

  /** A serde of generic records. */
  public static Serde<GenericRecord> serde() {
    return Serdes.serdeFrom(new AvroSerializer(), new AvroDeserializer());
  }

  private static final class AvroSerializer implements Serializer<GenericRecord> {
    @Override
    public byte[] serialize(String topic, GenericRecord data) {
      if (data == null) {
        return null;
      }
      Schema schema = data.getSchema();
      int id =
          IDS.computeIfAbsent(
              schema,
              s -> {
                int next = NEXT.getAndIncrement();
                BY_ID.put(next, s);
                return next;
              });
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(0);
      out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      try {
        new GenericDatumWriter<GenericRecord>(schema).write(data, encoder);
        encoder.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return out.toByteArray();
    }
  }

  private static final class AvroDeserializer implements Deserializer<GenericRecord> {
    @Override
    public GenericRecord deserialize(String topic, byte[] data) {
      if (data == null) {
        return null;
      }
      ByteBuffer buffer = ByteBuffer.wrap(data);
      if (buffer.get() != 0) {
        throw new IllegalArgumentException("not the Confluent wire format");
      }
      Schema schema = BY_ID.get(buffer.getInt());
      try {
        return new GenericDatumReader<GenericRecord>(schema)
            .read(null, DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, null));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
