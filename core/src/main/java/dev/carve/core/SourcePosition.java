package dev.carve.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.Locale;
import java.util.Objects;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Where a change came from in the monolith's write-ahead log, used as the version of every target
 * row (see ARCHITECTURE.md, "Ordering and idempotence").
 *
 * <p>The position is the pair ({@code commitLsn}, {@code changeLsn}) compared lexicographically.
 * {@code commitLsn} is Debezium's {@code source.sequence[0]}: the commit LSN of the last
 * transaction the connector completed before this change's transaction. Transactions are decoded in
 * commit order, so this value strictly increases from one transaction to the next, while the LSNs
 * of individual changes of concurrent transactions interleave. {@code changeLsn} ({@code
 * source.lsn}) orders the changes inside one transaction. Records of Debezium's initial snapshot
 * get {@link #SNAPSHOT} (0, 0): every streamed change is newer than the snapshot it follows.
 *
 * @param commitLsn last completed commit LSN before this change's transaction, as an unsigned
 *     64-bit LSN held in a long (LSNs stay far below 2^63 in practice)
 * @param changeLsn the LSN of the change itself
 */
public record SourcePosition(long commitLsn, long changeLsn) implements Comparable<SourcePosition> {

  /** The position of rows read by Debezium's initial snapshot: older than any streamed change. */
  public static final SourcePosition SNAPSHOT = new SourcePosition(0, 0);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Comparator<SourcePosition> ORDER =
      Comparator.comparingLong(SourcePosition::commitLsn)
          .thenComparingLong(SourcePosition::changeLsn);

  /** Validates that both LSNs are non-negative. */
  public SourcePosition {
    if (commitLsn < 0 || changeLsn < 0) {
      throw new IllegalArgumentException(
          "LSNs must not be negative: commitLsn=" + commitLsn + ", changeLsn=" + changeLsn);
    }
  }

  /**
   * Reads the position from the {@code source} block of a Debezium PostgreSQL change event.
   *
   * @param source the {@code source} object of the envelope; never null
   * @return the position; {@link #SNAPSHOT} for rows of an initial (not incremental) snapshot
   * @throws IllegalArgumentException when the block has no usable {@code lsn}
   */
  public static SourcePosition fromDebeziumSource(JsonNode source) {
    Objects.requireNonNull(source, "source");
    String snapshot = source.path("snapshot").asText("false").toLowerCase(Locale.ROOT);
    boolean initialSnapshot = !snapshot.equals("false") && !snapshot.equals("incremental");
    if (initialSnapshot) {
      return SNAPSHOT;
    }
    JsonNode lsnNode = source.get("lsn");
    if ((lsnNode == null || lsnNode.isNull()) && snapshot.equals("incremental")) {
      // Incremental snapshot rows carry "lsn": null; their position is in sequence
      // [commit, change], which Debezium sets to the streaming position at the chunk's read.
      SourcePosition fromSequence = fromSequence(source.get("sequence"));
      if (fromSequence != null) {
        return fromSequence;
      }
    }
    if (lsnNode == null || lsnNode.isNull() || !lsnNode.canConvertToLong()) {
      throw new IllegalArgumentException(
          "Debezium source block has no numeric 'lsn': " + source.toString());
    }
    long changeLsn = lsnNode.asLong();
    long commitLsn = changeLsn;
    JsonNode sequence = source.get("sequence");
    if (sequence != null && !sequence.isNull()) {
      Long parsed = firstOfSequence(sequence);
      if (parsed != null) {
        commitLsn = parsed;
      }
    }
    // Without a previous commit (first transaction after a start) the change LSN stands in: any
    // later transaction's commitLsn is at least this transaction's commit LSN, which is larger.
    return new SourcePosition(commitLsn, changeLsn);
  }

  private static SourcePosition fromSequence(JsonNode sequence) {
    String[] parts = sequenceParts(sequence);
    if (parts == null || parts.length != 2 || parts[0] == null || parts[1] == null) {
      return null;
    }
    return new SourcePosition(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
  }

  private static Long firstOfSequence(JsonNode sequence) {
    String[] parts = sequenceParts(sequence);
    if (parts == null || parts.length == 0 || parts[0] == null || parts[0].isEmpty()) {
      return null;
    }
    return Long.parseLong(parts[0]);
  }

  /**
   * The elements of a {@code sequence} as text (null for JSON null), from an array or from the JSON
   * text of one as Debezium writes it ({@code ["24023128","24023192"]}, read without building a
   * tree); null when it is not an array.
   */
  private static String[] sequenceParts(JsonNode sequence) {
    if (sequence == null || sequence.isNull()) {
      return null;
    }
    if (sequence.isTextual()) {
      String[] quick = quickParts(sequence.asText());
      if (quick != null) {
        return quick;
      }
    }
    JsonNode array = sequence;
    if (sequence.isTextual()) {
      try {
        array = JSON.readTree(sequence.asText());
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "Debezium 'sequence' is not a JSON array: " + sequence, e);
      }
    }
    if (array == null || !array.isArray()) {
      return null;
    }
    String[] parts = new String[array.size()];
    for (int i = 0; i < parts.length; i++) {
      parts[i] = array.get(i).isNull() ? null : array.get(i).asText();
    }
    return parts;
  }

  /**
   * Elements of {@code [e, e, ...]} where each {@code e} is {@code null} or a quoted string of
   * digits; null for anything else (read by Jackson instead).
   */
  private static String[] quickParts(String text) {
    int end = text.length();
    if (end < 2 || text.charAt(0) != '[' || text.charAt(end - 1) != ']') {
      return null;
    }
    java.util.List<String> parts = new java.util.ArrayList<>(2);
    int i = 1;
    while (i < end - 1) {
      if (text.startsWith("null", i)) {
        parts.add(null);
        i += 4;
      } else if (text.charAt(i) == '"') {
        int close = text.indexOf('"', i + 1);
        if (close < 0 || close == i + 1) {
          return null;
        }
        for (int d = i + 1; d < close; d++) {
          if (text.charAt(d) < '0' || text.charAt(d) > '9') {
            return null;
          }
        }
        parts.add(text.substring(i + 1, close));
        i = close + 1;
      } else {
        return null;
      }
      if (i < end - 1) {
        if (text.charAt(i) != ',') {
          return null;
        }
        i++;
      }
    }
    return parts.toArray(String[]::new);
  }

  /** True when this position is strictly newer than {@code other}. */
  public boolean isNewerThan(SourcePosition other) {
    return compareTo(other) > 0;
  }

  @Override
  public int compareTo(SourcePosition other) {
    return ORDER.compare(this, other);
  }

  /** Writes this position into the record headers (replacing earlier values). */
  public void writeTo(Headers headers) {
    headers.remove(CarveHeaders.COMMIT_LSN);
    headers.remove(CarveHeaders.CHANGE_LSN);
    headers.add(CarveHeaders.COMMIT_LSN, utf8(Long.toString(commitLsn)));
    headers.add(CarveHeaders.CHANGE_LSN, utf8(Long.toString(changeLsn)));
  }

  /**
   * Reads the position a transformer wrote into the headers.
   *
   * @return the position, or null when the headers carry none
   * @throws IllegalArgumentException when a header is present but not a decimal number
   */
  public static SourcePosition readFrom(Headers headers) {
    Header commit = headers.lastHeader(CarveHeaders.COMMIT_LSN);
    Header change = headers.lastHeader(CarveHeaders.CHANGE_LSN);
    if (commit == null || change == null) {
      return null;
    }
    return new SourcePosition(parseHeader(commit), parseHeader(change));
  }

  private static long parseHeader(Header header) {
    String text = new String(header.value(), StandardCharsets.UTF_8);
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "Header '" + header.key() + "' is not a decimal LSN: '" + text + "'", e);
    }
  }

  /** Formats an LSN the way PostgreSQL prints it ({@code 16/B374D848}). */
  public static String formatLsn(long lsn) {
    return Long.toHexString(lsn >>> 32).toUpperCase(Locale.ROOT)
        + "/"
        + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(Locale.ROOT);
  }

  /** Parses PostgreSQL's textual LSN ({@code 16/B374D848}). */
  public static long parseLsn(String text) {
    int slash = text.indexOf('/');
    if (slash <= 0) {
      throw new IllegalArgumentException("Not a PostgreSQL LSN: '" + text + "'");
    }
    return (Long.parseLong(text.substring(0, slash), 16) << 32)
        | Long.parseLong(text.substring(slash + 1), 16);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return formatLsn(commitLsn) + ":" + formatLsn(changeLsn);
  }
}
