package dev.carve.schemas.serde;

import java.util.Locale;
import org.apache.avro.Schema;

/**
 * How a serializer names the subject of a schema, as Confluent's {@code key.subject.name.strategy}
 * / {@code value.subject.name.strategy}. Accepts Confluent's class names ({@code
 * io.confluent.kafka.serializers.subject.TopicNameStrategy}, {@code RecordNameStrategy}, {@code
 * TopicRecordNameStrategy}) and the short names {@code topic}, {@code record}, {@code
 * topic-record}.
 */
public enum SubjectNameStrategy {
  /** {@code <topic>-key} / {@code <topic>-value}: Carve's contract, and the default. */
  TOPIC("io.confluent.kafka.serializers.subject.TopicNameStrategy"),
  /** The record's full name, e.g. {@code dev.carve.schemas.orders.Order}. */
  RECORD("io.confluent.kafka.serializers.subject.RecordNameStrategy"),
  /** {@code <topic>-<record full name>}. */
  TOPIC_RECORD("io.confluent.kafka.serializers.subject.TopicRecordNameStrategy");

  private final String confluentClass;

  SubjectNameStrategy(String confluentClass) {
    this.confluentClass = confluentClass;
  }

  /** The name of Confluent's class for this strategy. */
  public String confluentClass() {
    return confluentClass;
  }

  /**
   * The subject of a schema written to a topic.
   *
   * @param topic the topic; never null
   * @param isKey true for the record key
   * @param schema the schema written
   */
  public String subject(String topic, boolean isKey, Schema schema) {
    return switch (this) {
      case TOPIC -> topic + (isKey ? "-key" : "-value");
      case RECORD -> schema.getFullName();
      case TOPIC_RECORD -> topic + "-" + schema.getFullName();
    };
  }

  /**
   * Parses a strategy from a short name, a Confluent class name or a {@link Class}.
   *
   * @throws IllegalArgumentException listing the allowed values
   */
  public static SubjectNameStrategy parse(Object value) {
    String text = value instanceof Class<?> c ? c.getName() : String.valueOf(value).trim();
    String lower = text.toLowerCase(Locale.ROOT).replace('_', '-');
    for (SubjectNameStrategy s : values()) {
      String shortName = s.name().toLowerCase(Locale.ROOT).replace('_', '-');
      if (lower.equals(shortName) || text.equals(s.confluentClass)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "expected topic, record, topic-record or one of Confluent's class names "
            + TOPIC.confluentClass
            + ", "
            + RECORD.confluentClass
            + ", "
            + TOPIC_RECORD.confluentClass);
  }
}
