package dev.carve.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.schemas.registry.MockSchemaRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A consumer on version N reads records written with N-1 and N+1. */
class ReaderSchemaResolutionTest {
  private static final String TOPIC = "shop.customer";

  /** N-1: no email. */
  private static final Schema V1 =
      parse(
          """
          {"type":"record","name":"Customer","namespace":"shop","fields":[
            {"name":"id","type":"long"},
            {"name":"name","type":"string"}]}
          """);

  /** N: email with a default. */
  private static final Schema V2 =
      parse(
          """
          {"type":"record","name":"Customer","namespace":"shop","fields":[
            {"name":"id","type":"long"},
            {"name":"name","type":"string"},
            {"name":"email","type":["null","string"],"default":null}]}
          """);

  /** N+1: phone added with a default. */
  private static final Schema V3 =
      parse(
          """
          {"type":"record","name":"Customer","namespace":"shop","fields":[
            {"name":"id","type":"long"},
            {"name":"name","type":"string"},
            {"name":"email","type":["null","string"],"default":null},
            {"name":"phone","type":["null","string"],"default":null}]}
          """);

  /** A later version that renamed name to full_name, keeping the old name as an alias. */
  private static final Schema RENAMED =
      parse(
          """
          {"type":"record","name":"Customer","namespace":"shop","fields":[
            {"name":"id","type":"long"},
            {"name":"full_name","type":"string","aliases":["name"]},
            {"name":"email","type":["null","string"],"default":null}]}
          """);

  private final String scope = "resolution-" + UUID.randomUUID();
  private final Map<String, Object> config =
      new HashMap<>(Map.of("schema.registry.url", "mock://" + scope));

  private static Schema parse(String json) {
    return new Schema.Parser().parse(json);
  }

  @AfterEach
  void drop() {
    MockSchemaRegistry.drop(scope);
  }

  private byte[] write(Schema schema, Map<String, Object> values) {
    GenericRecordBuilder b = new GenericRecordBuilder(schema);
    values.forEach(b::set);
    return AvroSerdes.generic(config, false).serializer().serialize(TOPIC, b.build());
  }

  @Test
  void readerOnVersionNReadsRecordsOfNMinusOne() {
    byte[] old = write(V1, Map.of("id", 1L, "name", "Ada"));
    config.put(AvroSerdeConfig.READER_SCHEMA, V2.toString());
    Deserializer<GenericRecord> reader = AvroSerdes.generic(config, false).deserializer();

    GenericRecord record = reader.deserialize(TOPIC, old);

    assertThat(record.getSchema()).isEqualTo(V2);
    assertThat(record.get("name").toString()).isEqualTo("Ada");
    assertThat(record.get("email")).isNull();
  }

  @Test
  void readerOnVersionNReadsRecordsOfNPlusOne() {
    write(V1, Map.of("id", 1L, "name", "Ada"));
    write(V2, Map.of("id", 1L, "name", "Ada", "email", "ada@example.com"));
    byte[] newer =
        write(V3, Map.of("id", 2L, "name", "Grace", "email", "g@example.com", "phone", "1"));
    Deserializer<GenericRecord> reader = AvroSerdes.generic(config, false, V2).deserializer();

    GenericRecord record = reader.deserialize(TOPIC, newer);

    assertThat(record.getSchema()).isEqualTo(V2);
    assertThat(record.get("id")).isEqualTo(2L);
    assertThat(record.get("name").toString()).isEqualTo("Grace");
    assertThat(record.get("email").toString()).isEqualTo("g@example.com");
    assertThat(record.hasField("phone")).isFalse();
  }

  @Test
  void readerWithAliasReadsTheOldName() {
    byte[] old = write(V2, Map.of("id", 3L, "name", "Linus"));
    Deserializer<GenericRecord> reader = new AvroDeserializer<GenericRecord>(RENAMED);
    reader.configure(config, false);

    GenericRecord record = reader.deserialize(TOPIC, old);

    assertThat(record.getSchema()).isEqualTo(RENAMED);
    assertThat(record.get("full_name").toString()).isEqualTo("Linus");
  }

  @Test
  void incompatibleReaderSchemaFailsNamingTopicAndId() {
    byte[] old = write(V1, Map.of("id", 1L, "name", "Ada"));
    Schema needsPhone =
        parse(
            """
            {"type":"record","name":"Customer","namespace":"shop","fields":[
              {"name":"id","type":"long"},
              {"name":"phone","type":"string"}]}
            """);
    Deserializer<GenericRecord> reader =
        AvroSerdes.generic(config, false, needsPhone).deserializer();

    assertThatThrownBy(() -> reader.deserialize(TOPIC, old))
        .isInstanceOfSatisfying(
            AvroSerdeException.class,
            e ->
                assertThat(e.problem())
                    .isEqualTo(AvroSerdeException.Problem.INCOMPATIBLE_READER_SCHEMA))
        .hasMessageContaining("topic 'shop.customer'")
        .hasMessageContaining("schema id")
        .hasMessageContaining("READER_FIELD_MISSING_DEFAULT_VALUE");
  }
}
