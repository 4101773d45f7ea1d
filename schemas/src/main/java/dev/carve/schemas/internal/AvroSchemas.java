package dev.carve.schemas.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import org.apache.avro.Schema;

/** Helpers for Avro schemas shared by the catalog, the serde and the registry. */
public final class AvroSchemas {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String JAVA_STRING_PROPERTY = "avro.java.string";

  private AvroSchemas() {}

  /**
   * Parses a schema on its own, so that named types of other schemas cannot clash.
   *
   * @throws org.apache.avro.SchemaParseException when the text is not a valid Avro schema
   */
  public static Schema parse(String text) {
    return new Schema.Parser().parse(text);
  }

  /**
   * The schema without the Java-only properties ({@code avro.java.string}) that code generation
   * with {@code stringType=String} adds, so that a generated class registers exactly the schema of
   * its {@code .avsc} file.
   */
  public static Schema withoutJavaProperties(Schema schema) {
    String text = schema.toString();
    if (!text.contains(JAVA_STRING_PROPERTY)) {
      return schema;
    }
    try {
      JsonNode tree = JSON.readTree(text);
      strip(tree);
      return parse(JSON.writeValueAsString(tree));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Avro wrote a schema that is not JSON: " + text, e);
    }
  }

  private static void strip(JsonNode node) {
    if (node instanceof ObjectNode object) {
      object.remove(JAVA_STRING_PROPERTY);
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
        strip(it.next().getValue());
      }
    } else if (node.isArray()) {
      node.forEach(AvroSchemas::strip);
    }
  }
}
