package dev.carve.capture.internal;

import io.debezium.config.Field;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.connect.runtime.SourceConnectorConfig;

/**
 * The keys a Debezium PostgreSQL connector config may hold: Debezium's own fields, Kafka Connect's
 * source connector settings, and the prefixed families both pass on (converters, SMTs, topic
 * creation, client overrides, JDBC driver properties). Neither Debezium nor Connect's validation
 * reports an unknown key, so a misspelt one ({@code decimal.handeling.mode}) is silently ignored
 * and its default applies.
 */
public final class ConnectorKeys {
  private static final List<String> PREFIXES =
      List.of(
          "key.converter.",
          "value.converter.",
          "header.converter.",
          "transforms.",
          "predicates.",
          "topic.creation.",
          "errors.",
          "producer.override.",
          "consumer.override.",
          "admin.override.",
          "database.",
          "driver.",
          "signal.",
          "notification.",
          "offsets.",
          "internal.");

  private static final Set<String> KNOWN = known();

  private ConnectorKeys() {}

  private static Set<String> known() {
    Set<String> keys = new TreeSet<>(PostgresConnectorConfig.configDef().names());
    for (Field f : PostgresConnectorConfig.ALL_FIELDS) {
      keys.add(f.name());
    }
    keys.addAll(SourceConnectorConfig.configDef().names());
    keys.add("name");
    return keys;
  }

  /**
   * The keys of {@code config} neither Debezium's PostgreSQL connector nor Kafka Connect knows,
   * each with the nearest known key when one is close ({@code "decimal.handeling.mode" (did you
   * mean decimal.handling.mode?)}).
   */
  public static List<String> unknown(Map<String, String> config) {
    List<String> out = new ArrayList<>();
    for (String key : config.keySet()) {
      if (KNOWN.contains(key) || PREFIXES.stream().anyMatch(key::startsWith)) {
        continue;
      }
      String nearest = null;
      int best = Integer.MAX_VALUE;
      for (String k : KNOWN) {
        int d = distance(key, k, 3);
        if (d < best) {
          best = d;
          nearest = k;
        }
      }
      out.add("'" + key + "'" + (best <= 3 ? " (did you mean '" + nearest + "'?)" : ""));
    }
    return out;
  }

  /** Levenshtein distance, or {@code limit + 1} once it exceeds {@code limit}. */
  static int distance(String a, String b, int limit) {
    if (Math.abs(a.length() - b.length()) > limit) {
      return limit + 1;
    }
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      int rowMin = cur[0];
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
        rowMin = Math.min(rowMin, cur[j]);
      }
      if (rowMin > limit) {
        return limit + 1;
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
