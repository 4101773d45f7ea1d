package dev.carve.transform.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;

/**
 * The positions store names a key by its text as it did before {@link ChangeMapping#keyText} built
 * it directly: exactly Avro's {@code toString()}, or a resumed application would not find the
 * positions it stored and could emit a change at a position the sink already holds.
 */
class ChangeMappingKeyTextTest {
  private static final Schema NESTED =
      SchemaBuilder.record("Nested").fields().requiredLong("id").endRecord();
  private static final Schema KEY =
      SchemaBuilder.record("Key")
          .fields()
          .requiredLong("invoice_id")
          .optionalInt("line_no")
          .optionalString("ref")
          .optionalBoolean("flag")
          .name("kind")
          .type()
          .optional()
          .enumeration("Kind")
          .symbols("A", "B")
          .name("amount")
          .type()
          .optional()
          .bytesType()
          .name("nested")
          .type()
          .optional()
          .type(NESTED)
          .optionalDouble("ratio")
          .endRecord();

  @Test
  void theTextIsAvrosOwnForEveryKindOfValue() {
    Object[][] values = {
      {42L, 3, "ORD-2019-000042", true},
      {-1L, null, null, null},
      {Long.MAX_VALUE, Integer.MIN_VALUE, "with space and ~!@#$%^&*()", false},
      {7L, 1, new Utf8("utf8 text"), null},
      {7L, 1, "quote \" inside", null},
      {7L, 1, "backslash \\ inside", null},
      {7L, 1, "tab\tinside", null},
      {7L, 1, "Größe", null},
      {7L, 1, "", null},
    };
    for (Object[] v : values) {
      GenericRecord key = key(v);
      assertThat(ChangeMapping.keyText(key)).isEqualTo(key.toString());
    }
    GenericRecord withEnum = key(new Object[] {1L, 1, "x", true});
    withEnum.put("kind", new GenericData.EnumSymbol(KEY.getField("kind").schema(), "B"));
    GenericRecord withBytes = key(new Object[] {1L, 1, "x", true});
    withBytes.put("amount", ByteBuffer.wrap(new byte[] {1, 2}));
    GenericRecord withNested = key(new Object[] {1L, 1, "x", true});
    GenericRecord nested = new GenericData.Record(NESTED);
    nested.put("id", 5L);
    withNested.put("nested", nested);
    GenericRecord withDouble = key(new Object[] {1L, 1, "x", true});
    withDouble.put("ratio", Double.NaN);
    for (GenericRecord key : new GenericRecord[] {withEnum, withBytes, withNested, withDouble}) {
      assertThat(ChangeMapping.keyText(key)).isEqualTo(key.toString());
    }
  }

  @Test
  void aKeyThatIsNoRecordIsItsToString() {
    assertThat(ChangeMapping.keyText(Map.of("id", 1))).isEqualTo("{id=1}");
    assertThat(ChangeMapping.keyText(null)).isEqualTo("null");
  }

  private static GenericRecord key(Object[] v) {
    GenericRecord key = new GenericData.Record(KEY);
    key.put("invoice_id", v[0]);
    key.put("line_no", v[1]);
    key.put("ref", v[2]);
    key.put("flag", v[3]);
    return key;
  }
}
