package dev.carve.schemas.serde;

import dev.carve.schemas.internal.AvroModels;
import dev.carve.schemas.internal.AvroSchemas;
import dev.carve.schemas.registry.RegisteredSchema;
import dev.carve.schemas.registry.RegistryException;
import dev.carve.schemas.registry.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro records (generic or generated classes) in the Confluent wire format: byte 0 = magic
 * byte 0, bytes 1-4 = the schema id, big-endian, then the record in Avro binary. Null is written as
 * null (a tombstone).
 *
 * <p>The schema's subject comes from the subject name strategy ({@code <topic>-key} / {@code
 * <topic>-value} by default); with {@code auto.register.schemas=true} (default) the schema is
 * registered, else looked up. Ids are cached per topic and schema, so the registry is asked once.
 * See {@link AvroSerdeConfig} for the keys. Thread-safe once configured.
 *
 * @param <T> the record type: {@link org.apache.avro.generic.GenericRecord} or a generated class
 */
public class AvroSerializer<T extends GenericContainer> implements Serializer<T> {
  /** The wire format's magic byte. */
  public static final byte MAGIC_BYTE = 0;

  private volatile SchemaRegistryClient client;
  private volatile AvroSerdeConfig config;
  private volatile boolean isKey;
  private volatile boolean ownsClient;
  private final Map<String, Map<Schema, Writer>> writers = new ConcurrentHashMap<>();

  private record Writer(int id, Schema schema, DatumWriter<Object> datumWriter, boolean convert) {}

  /** Creates a serializer to be configured by Kafka through {@link #configure}. */
  public AvroSerializer() {}

  /**
   * Creates a configured serializer that talks to {@code client} (which the caller closes).
   *
   * @param client the registry client
   * @param config the serde configuration (the registry URL in it is not used)
   * @param isKey true to serialize record keys
   */
  public AvroSerializer(SchemaRegistryClient client, Map<String, ?> config, boolean isKey) {
    this.client = Objects.requireNonNull(client, "client");
    this.config = AvroSerdeConfig.parse(config);
    this.isKey = isKey;
  }

  /**
   * Configures the serializer and creates its registry client from {@code schema.registry.url}.
   *
   * @throws dev.carve.core.config.ConfigException listing every invalid key
   */
  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    AvroSerdeConfig parsed = AvroSerdeConfig.parse(configs);
    SchemaRegistryClient previous = ownsClient ? client : null;
    this.config = parsed;
    this.isKey = isKey;
    this.client = parsed.registry().createClient();
    this.ownsClient = true;
    writers.clear();
    if (previous != null) {
      previous.close();
    }
  }

  /**
   * Serializes a record.
   *
   * @param topic the topic, for the subject and for messages
   * @param data the record; null gives null
   * @throws AvroSerdeException naming the topic, the subject and what is wrong
   * @throws IllegalStateException when the serializer was not configured
   */
  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    if (client == null) {
      throw new IllegalStateException(
          "The Avro serializer is not configured; call configure(config, isKey) or use"
              + " AvroSerdes.generic(config, isKey)");
    }
    Writer writer = writer(topic, data.getSchema());
    Object datum = writer.convert() ? convert(topic, (IndexedRecord) data, writer) : data;
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    out.write(MAGIC_BYTE);
    int id = writer.id();
    out.write(id >>> 24);
    out.write(id >>> 16);
    out.write(id >>> 8);
    out.write(id);
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    try {
      writer.datumWriter().write(datum, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      throw new AvroSerdeException(
          AvroSerdeException.Problem.INVALID_RECORD,
          topic,
          isKey,
          id,
          "Failed to serialize the "
              + part()
              + " for topic '"
              + topic
              + "' with schema id "
              + id
              + " ("
              + writer.schema().getFullName()
              + "): the record does not fit its schema: "
              + e.getMessage(),
          e);
    }
    return out.toByteArray();
  }

  private Writer writer(String topic, Schema schema) {
    Map<Schema, Writer> byTopic = writers.computeIfAbsent(topic, t -> new ConcurrentHashMap<>());
    Writer writer = byTopic.get(schema);
    if (writer == null) {
      writer = createWriter(topic, schema);
      byTopic.put(schema, writer);
    }
    return writer;
  }

  private Writer createWriter(String topic, Schema recordSchema) {
    AvroSerdeConfig c = config;
    Schema schema =
        c.removeJavaProperties() ? AvroSchemas.withoutJavaProperties(recordSchema) : recordSchema;
    String subject = c.strategy(isKey).subject(topic, isKey, schema);
    try {
      if (c.useLatestVersion()) {
        RegisteredSchema latest = client.latest(subject);
        boolean same = latest.schema().equals(schema);
        // As Confluent's latest.compatibility.strict: the latest schema must be able to read what
        // the record's schema describes, or values would be dropped or misplaced.
        SchemaCompatibility.SchemaPairCompatibility compat =
            same
                ? null
                : SchemaCompatibility.checkReaderWriterCompatibility(latest.schema(), schema);
        if (compat != null
            && compat.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
          throw new AvroSerdeException(
              AvroSerdeException.Problem.SCHEMA_REJECTED,
              topic,
              isKey,
              latest.id(),
              "Failed to serialize the "
                  + part()
                  + " for topic '"
                  + topic
                  + "': the latest schema of subject '"
                  + subject
                  + "' (id "
                  + latest.id()
                  + ", use.latest.version=true) cannot read records of the record's schema: "
                  + compat.getDescription(),
              null);
        }
        Schema writeWith = same ? recordSchema : latest.schema();
        return new Writer(
            latest.id(), writeWith, datumWriter(recordSchema, writeWith, same), !same);
      }
      int id =
          c.autoRegister() ? client.register(subject, schema) : client.lookup(subject, schema).id();
      return new Writer(id, recordSchema, datumWriter(recordSchema, recordSchema, true), false);
    } catch (RegistryException e) {
      throw new AvroSerdeException(
          e.unavailable()
              ? AvroSerdeException.Problem.REGISTRY_UNAVAILABLE
              : AvroSerdeException.Problem.SCHEMA_REJECTED,
          topic,
          isKey,
          null,
          "Failed to serialize the "
              + part()
              + " for topic '"
              + topic
              + "': could not "
              + (c.useLatestVersion()
                  ? "get the latest schema of"
                  : c.autoRegister() ? "register the schema under" : "find the schema under")
              + " subject '"
              + subject
              + "'"
              + (e.errorCode() == RegistryException.NO_RESPONSE
                  ? ""
                  : " (error_code " + e.errorCode() + ")")
              + ": "
              + e.getMessage(),
          e);
    }
  }

  @SuppressWarnings("unchecked")
  private static DatumWriter<Object> datumWriter(
      Schema recordSchema, Schema writeWith, boolean same) {
    if (same && isSpecific(recordSchema)) {
      SpecificData model = SpecificData.getForSchema(recordSchema);
      return (DatumWriter<Object>) (DatumWriter<?>) new SpecificDatumWriter<>(writeWith, model);
    }
    return new GenericDatumWriter<>(writeWith, AvroModels.genericWithConversions());
  }

  private static boolean isSpecific(Schema schema) {
    Class<?> c = SpecificData.get().getClass(schema);
    return c != null && SpecificRecord.class.isAssignableFrom(c);
  }

  /** Copies a record into the latest schema by field name; missing fields take their defaults. */
  private Object convert(String topic, IndexedRecord record, Writer writer) {
    try {
      return copy(record, writer.schema());
    } catch (AvroRuntimeException e) {
      throw new AvroSerdeException(
          AvroSerdeException.Problem.INVALID_RECORD,
          topic,
          isKey,
          writer.id(),
          "Failed to serialize the "
              + part()
              + " for topic '"
              + topic
              + "' with the latest schema id "
              + writer.id()
              + " (use.latest.version=true): "
              + e.getMessage(),
          e);
    }
  }

  private static GenericData.Record copy(IndexedRecord record, Schema target) {
    GenericData.Record out = new GenericData.Record(target);
    Schema source = record.getSchema();
    for (Schema.Field f : target.getFields()) {
      Schema.Field from = source.getField(f.name());
      if (from == null) {
        for (String alias : f.aliases()) {
          from = source.getField(alias);
          if (from != null) {
            break;
          }
        }
      }
      if (from == null) {
        if (!f.hasDefaultValue()) {
          throw new AvroRuntimeException(
              "the record has no field '"
                  + f.name()
                  + "' and the latest schema gives it no default");
        }
        out.put(f.pos(), GenericData.get().getDefaultValue(f));
        continue;
      }
      out.put(f.pos(), convertValue(record.get(from.pos()), f.schema()));
    }
    return out;
  }

  /**
   * A value of the record's schema as a value of {@code target}: records are copied by field name
   * wherever they nest (directly, in a union, an array or a map), so that a field added to a nested
   * record cannot shift the values after it into the wrong fields.
   */
  private static Object convertValue(Object value, Schema target) {
    if (value == null) {
      return null;
    }
    switch (target.getType()) {
      case RECORD:
        return value instanceof IndexedRecord nested && !nested.getSchema().equals(target)
            ? copy(nested, target)
            : value;
      case UNION:
        if (value instanceof IndexedRecord nested) {
          for (Schema branch : target.getTypes()) {
            if (branch.getType() == Schema.Type.RECORD
                && branch.getFullName().equals(nested.getSchema().getFullName())) {
              return convertValue(value, branch);
            }
          }
        } else if (value instanceof Collection<?> || value instanceof Map<?, ?>) {
          for (Schema branch : target.getTypes()) {
            Schema.Type t = branch.getType();
            if ((t == Schema.Type.ARRAY && value instanceof Collection<?>)
                || (t == Schema.Type.MAP && value instanceof Map<?, ?>)) {
              return convertValue(value, branch);
            }
          }
        }
        return value;
      case ARRAY:
        if (value instanceof Collection<?> items) {
          GenericData.Array<Object> out = new GenericData.Array<>(items.size(), target);
          for (Object item : items) {
            out.add(convertValue(item, target.getElementType()));
          }
          return out;
        }
        return value;
      case MAP:
        if (value instanceof Map<?, ?> entries) {
          Map<Object, Object> out = new LinkedHashMap<>();
          entries.forEach((k, v) -> out.put(k, convertValue(v, target.getValueType())));
          return out;
        }
        return value;
      default:
        return value;
    }
  }

  private String part() {
    return isKey ? "key" : "value";
  }

  /** Closes the registry client when this serializer created it. */
  @Override
  public void close() {
    if (ownsClient && client != null) {
      client.close();
    }
  }
}
