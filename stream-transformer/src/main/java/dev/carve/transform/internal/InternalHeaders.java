package dev.carve.transform.internal;

import dev.carve.transform.api.ChangeEvent.SourceOffset;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Headers that carry a change's original source offset (and a rejection reason) through a
 * repartition topic, so dead letters still name the raw topic, partition and offset. They never
 * leave the topology: the mapping processor strips them.
 */
final class InternalHeaders {
  static final String TOPIC = "carve.internal.source.topic";
  static final String PARTITION = "carve.internal.source.partition";
  static final String OFFSET = "carve.internal.source.offset";
  static final String REJECTED = "carve.internal.rejected";
  static final String KEY = "carve.internal.source.key";
  static final String NULL_KEY = "carve.internal.source.key.null";
  static final String JOINED = "carve.internal.joined";

  private InternalHeaders() {}

  static void stamp(Headers headers, SourceOffset source, byte[] originalKey) {
    headers.remove(KEY);
    headers.remove(NULL_KEY);
    if (originalKey == null) {
      headers.add(NULL_KEY, new byte[0]);
    } else {
      headers.add(KEY, originalKey);
    }
    put(headers, TOPIC, source.topic());
    put(headers, PARTITION, Integer.toString(source.partition()));
    put(headers, OFFSET, Long.toString(source.offset()));
  }

  static void reject(Headers headers, String reason) {
    put(headers, REJECTED, reason);
  }

  /** The stamped source, or null when the record was read from its raw topic directly. */
  static SourceOffset source(Headers headers) {
    String topic = text(headers.lastHeader(TOPIC));
    if (topic == null) {
      return null;
    }
    return new SourceOffset(
        topic,
        Integer.parseInt(text(headers.lastHeader(PARTITION))),
        Long.parseLong(text(headers.lastHeader(OFFSET))));
  }

  /** The key the record had in its raw topic: stamped, or {@code current} when not stamped. */
  static byte[] originalKey(Headers headers, byte[] current) {
    if (headers.lastHeader(NULL_KEY) != null) {
      return null;
    }
    Header key = headers.lastHeader(KEY);
    return key == null ? current : key.value();
  }

  static String rejection(Headers headers) {
    return text(headers.lastHeader(REJECTED));
  }

  static void strip(Headers headers) {
    headers.remove(TOPIC);
    headers.remove(PARTITION);
    headers.remove(OFFSET);
    headers.remove(REJECTED);
    headers.remove(KEY);
    headers.remove(NULL_KEY);
    headers.remove(JOINED);
  }

  /** Carries the row joined to a change (JSON: row and position); absent when none. */
  static void joined(Headers headers, String json) {
    headers.remove(JOINED);
    if (json != null) {
      put(headers, JOINED, json);
    }
  }

  /** The joined row's JSON, or null. */
  static String joined(Headers headers) {
    return text(headers.lastHeader(JOINED));
  }

  private static void put(Headers headers, String key, String value) {
    headers.remove(key);
    headers.add(key, value.getBytes(StandardCharsets.UTF_8));
  }

  private static String text(Header header) {
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
