package dev.carve.capture.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.capture.CaptureMetrics;
import dev.carve.capture.CaptureMetrics.SnapshotStatus;
import dev.carve.capture.EmbeddedCapture;
import dev.carve.core.SourcePosition;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/** Collects the figures of {@link CaptureMetrics} from the records written; thread-safe. */
public final class MetricsRecorder {
  private final String topicPrefix;
  private final Map<String, Long> perTable = new LinkedHashMap<>();
  private long total;
  private SnapshotStatus snapshot = SnapshotStatus.NOT_SEEN;
  private SourcePosition lastPosition;
  private Instant lastRecordAt;
  private long errors;
  private String lastError;

  /** A recorder for the topics of {@code topicPrefix}. */
  public MetricsRecorder(String topicPrefix) {
    this.topicPrefix = topicPrefix + ".";
  }

  /** Records one record acknowledged by Kafka. */
  public synchronized void written(SourceRecord record) {
    total++;
    lastRecordAt = Instant.now();
    String topic = record.topic();
    if (topic != null && topic.startsWith(topicPrefix)) {
      perTable.merge(topic.substring(topicPrefix.length()), 1L, Long::sum);
    }
    if (!(record.value() instanceof Struct value)) {
      return;
    }
    Field sourceField = value.schema().field("source");
    if (sourceField == null || !(value.get(sourceField) instanceof Struct source)) {
      return;
    }
    Object snap = field(source, "snapshot");
    String s = snap == null ? "false" : snap.toString();
    if (s.equals("false") || s.equals("incremental")) {
      if (snapshot == SnapshotStatus.RUNNING) {
        snapshot = SnapshotStatus.COMPLETED;
      }
    } else {
      snapshot = s.equals("last") ? SnapshotStatus.COMPLETED : SnapshotStatus.RUNNING;
    }
    Object lsn = field(source, "lsn");
    if (lsn instanceof Number n) {
      ObjectNode node = JsonNodeFactory.instance.objectNode();
      node.put("snapshot", s);
      node.put("lsn", n.longValue());
      Object sequence = field(source, "sequence");
      if (sequence != null) {
        node.put("sequence", sequence.toString());
      }
      try {
        lastPosition = SourcePosition.fromDebeziumSource(node);
      } catch (IllegalArgumentException e) {
        // The position is informational here; the transformer validates it where it matters.
        lastError = "unreadable source position on topic " + topic + ": " + e.getMessage();
      }
    }
  }

  private static Object field(Struct struct, String name) {
    return struct.schema().field(name) == null ? null : struct.get(name);
  }

  /** Records an error. */
  public synchronized void error(String message) {
    errors++;
    lastError = message;
  }

  /** The current view. */
  public synchronized CaptureMetrics snapshot(EmbeddedCapture.State state) {
    return new CaptureMetrics(
        state,
        perTable,
        total,
        snapshot,
        Optional.ofNullable(lastPosition),
        Optional.ofNullable(lastRecordAt),
        errors,
        Optional.ofNullable(lastError));
  }
}
