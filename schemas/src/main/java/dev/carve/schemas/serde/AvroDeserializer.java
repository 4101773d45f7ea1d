package dev.carve.schemas.serde;

import dev.carve.schemas.internal.AvroModels;
import dev.carve.schemas.registry.RegistryException;
import dev.carve.schemas.registry.SchemaRegistryClient;
import java.io.EOFException;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads records in the Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro
 * binary). The writer schema is fetched by id (and cached); the record is read with a reader schema
 * when one is given ({@code carve.reader.schema}, the constructor, or a generated class), so a
 * consumer on version N reads records written with N-1 or N+1 as Avro's resolution rules allow.
 * Null bytes give null (a tombstone).
 *
 * <p>Bad input throws {@link AvroSerdeException} whose message names the topic, key or value, the
 * schema id when known and what is wrong (unknown magic byte, unknown schema id, truncated payload,
 * invalid Avro). A deserializer does not know the partition and offset: the stage that reads the
 * record adds them to its error and to the dead-letter headers. Thread-safe once configured.
 *
 * @param <T> the record type: {@link org.apache.avro.generic.GenericRecord} or a generated class
 */
public class AvroDeserializer<T> implements Deserializer<T> {
  private final Class<T> specificType;
  private final boolean readerFromConstructor;
  private volatile Schema readerSchema;
  private volatile SchemaRegistryClient client;
  private volatile AvroSerdeConfig config;
  private volatile boolean isKey;
  private volatile boolean ownsClient;
  private final Map<Integer, Decoding<T>> readers = new ConcurrentHashMap<>();

  /** How records of one writer schema id are checked and read. */
  private record Decoding<T>(AvroBinaryCheck check, DatumReader<T> reader) {}

  /**
   * Creates a generic deserializer to be configured by Kafka through {@link #configure}; it reads
   * with {@code carve.reader.schema} when set, else with each record's writer schema.
   */
  public AvroDeserializer() {
    this(null, null);
  }

  /**
   * Creates a generic deserializer that reads every record with {@code readerSchema}, whatever
   * {@code carve.reader.schema} says.
   *
   * @param readerSchema the schema to read with; null reads with the writer's schema
   */
  public AvroDeserializer(Schema readerSchema) {
    this(readerSchema, null);
  }

  private AvroDeserializer(Schema readerSchema, Class<T> specificType) {
    this.readerSchema = readerSchema;
    this.specificType = specificType;
    this.readerFromConstructor = readerSchema != null;
  }

  /**
   * A deserializer into a generated class, read with the class's schema. Configure it with {@link
   * #configure} or {@link #withClient}.
   */
  public static <T extends SpecificRecord> AvroDeserializer<T> specific(Class<T> type) {
    return new AvroDeserializer<>(
        SpecificData.get().getSchema(Objects.requireNonNull(type, "type")), type);
  }

  /**
   * Configures this deserializer with a registry client the caller owns (and closes).
   *
   * @return this deserializer
   */
  public AvroDeserializer<T> withClient(
      SchemaRegistryClient client, Map<String, ?> config, boolean isKey) {
    apply(AvroSerdeConfig.parse(config), isKey);
    this.client = Objects.requireNonNull(client, "client");
    this.ownsClient = false;
    return this;
  }

  /**
   * Configures the deserializer and creates its registry client from {@code schema.registry.url}.
   *
   * @throws dev.carve.core.config.ConfigException listing every invalid key
   */
  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    AvroSerdeConfig parsed = AvroSerdeConfig.parse(configs);
    SchemaRegistryClient previous = ownsClient ? client : null;
    apply(parsed, isKey);
    this.client = parsed.registry().createClient();
    this.ownsClient = true;
    if (previous != null) {
      previous.close();
    }
  }

  private void apply(AvroSerdeConfig parsed, boolean isKey) {
    this.config = parsed;
    this.isKey = isKey;
    if (!readerFromConstructor) {
      this.readerSchema = parsed.readerSchema();
    }
    readers.clear();
  }

  /**
   * Deserializes a record.
   *
   * @param topic the topic, for messages
   * @param data the bytes; null gives null
   * @throws AvroSerdeException naming the topic and what is wrong
   * @throws IllegalStateException when the deserializer was not configured
   */
  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    if (client == null) {
      throw new IllegalStateException(
          "The Avro deserializer is not configured; call configure(config, isKey) or use"
              + " AvroSerdes.generic(config, isKey)");
    }
    if (data.length < 5) {
      throw fail(
          AvroSerdeException.Problem.TRUNCATED,
          topic,
          null,
          "the payload has "
              + data.length
              + " byte"
              + (data.length == 1 ? "" : "s")
              + ", fewer than the 5 of the wire format header (magic byte and schema id)",
          null);
    }
    if (data[0] != AvroSerializer.MAGIC_BYTE) {
      throw fail(
          AvroSerdeException.Problem.UNKNOWN_MAGIC_BYTE,
          topic,
          null,
          String.format(
              "unknown magic byte 0x%02x (expected 0x00 of the Confluent wire format)%s",
              data[0] & 0xff,
              data[0] == '{' || data[0] == '[' ? "; the payload looks like JSON" : ""),
          null);
    }
    int id =
        ((data[1] & 0xff) << 24)
            | ((data[2] & 0xff) << 16)
            | ((data[3] & 0xff) << 8)
            | (data[4] & 0xff);
    Decoding<T> decoding = readers.get(id);
    if (decoding == null) {
      decoding = createDecoding(topic, id);
      readers.put(id, decoding);
    }
    try {
      // Avro allocates declared lengths and counts before it reads them: a few bad bytes would
      // ask for gigabytes (OutOfMemoryError). The check walks the bytes first, allocating nothing.
      decoding.check().check(data, 5, data.length - 5);
    } catch (AvroBinaryCheck.Violation e) {
      throw e.truncated()
          ? fail(
              AvroSerdeException.Problem.TRUNCATED,
              topic,
              id,
              "the Avro data ends before the record is complete ("
                  + (data.length - 5)
                  + " bytes): "
                  + e.getMessage(),
              null)
          : fail(
              AvroSerdeException.Problem.INVALID_AVRO,
              topic,
              id,
              "the bytes are not a record of schema id " + id + ": " + e.getMessage(),
              null);
    }
    BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, null);
    T record;
    try {
      record = decoding.reader().read(null, decoder);
    } catch (EOFException | IndexOutOfBoundsException e) {
      throw fail(
          AvroSerdeException.Problem.TRUNCATED,
          topic,
          id,
          "the Avro data ends before the record is complete (" + (data.length - 5) + " bytes)",
          e);
    } catch (IOException | RuntimeException e) {
      throw fail(
          AvroSerdeException.Problem.INVALID_AVRO,
          topic,
          id,
          "the bytes are not a record of schema id " + id + ": " + e,
          e);
    }
    try {
      if (!decoder.isEnd()) {
        throw fail(
            AvroSerdeException.Problem.INVALID_AVRO,
            topic,
            id,
            "bytes are left over after the record of schema id " + id,
            null);
      }
    } catch (IOException e) {
      throw fail(AvroSerdeException.Problem.INVALID_AVRO, topic, id, e.toString(), e);
    }
    return record;
  }

  private Decoding<T> createDecoding(String topic, int id) {
    Schema writer = writerSchema(topic, id);
    return new Decoding<>(AvroBinaryCheck.of(writer), createReader(topic, id, writer));
  }

  private Schema writerSchema(String topic, int id) {
    Schema writer;
    try {
      writer = client.schemaById(id);
    } catch (RegistryException e) {
      boolean unknown = e.errorCode() == RegistryException.SCHEMA_NOT_FOUND;
      throw fail(
          unknown
              ? AvroSerdeException.Problem.UNKNOWN_SCHEMA_ID
              : e.unavailable()
                  ? AvroSerdeException.Problem.REGISTRY_UNAVAILABLE
                  : AvroSerdeException.Problem.SCHEMA_REJECTED,
          topic,
          id,
          unknown
              ? "schema id " + id + " is not in the registry"
              : "could not get schema id " + id + " from the registry: " + e.getMessage(),
          e);
    }
    return writer;
  }

  @SuppressWarnings("unchecked")
  private DatumReader<T> createReader(String topic, int id, Schema writer) {
    Schema reader = readerSchema;
    boolean specific = specificType != null;
    if (reader == null && config.specificReader()) {
      Class<?> type = SpecificData.get().getClass(writer);
      if (type == null || !SpecificRecord.class.isAssignableFrom(type)) {
        throw fail(
            AvroSerdeException.Problem.INCOMPATIBLE_READER_SCHEMA,
            topic,
            id,
            "specific.avro.reader=true but no generated class "
                + writer.getFullName()
                + " is on the classpath",
            null);
      }
      reader = SpecificData.get().getSchema(type);
      specific = true;
    }
    if (reader == null) {
      reader = writer;
    } else {
      SchemaCompatibility.SchemaPairCompatibility compatibility =
          SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
      if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
        throw fail(
            AvroSerdeException.Problem.INCOMPATIBLE_READER_SCHEMA,
            topic,
            id,
            "records written with schema id "
                + id
                + " cannot be read with the reader schema "
                + reader.getFullName()
                + ": "
                + compatibility.getResult().getIncompatibilities().stream()
                    .map(i -> i.getType() + " at " + i.getLocation() + " (" + i.getMessage() + ")")
                    .toList(),
            null);
      }
    }
    if (specific) {
      return new SpecificDatumReader<>(writer, reader, SpecificData.getForSchema(reader));
    }
    GenericData model =
        config.logicalTypeConverters() ? AvroModels.genericWithConversions() : GenericData.get();
    return (DatumReader<T>) new GenericDatumReader<Object>(writer, reader, model);
  }

  private AvroSerdeException fail(
      AvroSerdeException.Problem problem, String topic, Integer id, String what, Throwable cause) {
    return new AvroSerdeException(
        problem,
        topic,
        isKey,
        id,
        "Failed to deserialize the "
            + (isKey ? "key" : "value")
            + " of a record from topic '"
            + topic
            + "'"
            + (id == null ? "" : " (schema id " + id + ")")
            + ": "
            + what,
        cause);
  }

  /** Closes the registry client when this deserializer created it. */
  @Override
  public void close() {
    if (ownsClient && client != null) {
      client.close();
    }
  }
}
