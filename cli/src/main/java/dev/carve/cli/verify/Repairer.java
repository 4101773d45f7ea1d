package dev.carve.cli.verify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.core.CarveHeaders;
import dev.carve.core.SourcePosition;
import dev.carve.core.SqlIdentifiers;
import dev.carve.schemas.EntitySchemas;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Repairs the keys a {@link ReconcileReport} lists, through the pipeline itself:
 *
 * <ul>
 *   <li>keys some source row maps to (missing, different, and extra keys whose source row maps to a
 *       delete) are re-emitted by a Debezium incremental snapshot limited to those source rows: a
 *       row of type {@code execute-snapshot} in the connector's signal table, with an {@code
 *       additional-conditions} filter {@code pk IN (...)} per source table. Incremental snapshot
 *       records carry the current streaming position, newer than what the target holds (the signal
 *       row's own insert precedes them in the stream), so the sink's guard lets them win;
 *   <li>extra keys no source row maps to cannot be re-emitted: a delete (tombstone) of the key is
 *       written to the service's domain topic with the target row's own stored position and {@code
 *       carve.repair=true}, so the sink's guard applies it (a repair wins a tie) while any later
 *       real change of that key, being newer, still wins over it. Rows without a stored position
 *       are listed as not repairable.
 * </ul>
 */
public final class Repairer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> KEY_TYPES =
      Set.of("smallint", "integer", "bigint", "numeric", "text", "character varying", "character");

  private Repairer() {}

  /**
   * What a repair does.
   *
   * @param sourceKeys per monolith table, the primary keys of the rows to re-emit
   * @param orphans per entity, extra keys no source row maps to (deleted through the domain topic)
   * @param keys per entity, every canonical key the repair touches (for the re-verify)
   * @param unlisted mismatches beyond {@link Reconciler#MISMATCH_LIMIT}, which this repair misses
   */
  public record Plan(
      Map<String, List<Map<String, Object>>> sourceKeys,
      Map<String, List<ReconcileReport.Mismatch>> orphans,
      Map<String, Set<String>> keys,
      long unlisted) {
    /** True when there is nothing to repair. */
    public boolean isEmpty() {
      return sourceKeys.isEmpty() && orphans.isEmpty();
    }

    /** How many source rows are re-emitted. */
    public int sourceRowCount() {
      return sourceKeys.values().stream().mapToInt(List::size).sum();
    }

    /** How many orphan keys get a tombstone. */
    public int orphanCount() {
      return orphans.values().stream().mapToInt(List::size).sum();
    }
  }

  /** The repair of the mismatches of {@code report}. */
  public static Plan plan(ReconcileReport report) {
    Map<String, LinkedHashSet<Map<String, Object>>> sources = new LinkedHashMap<>();
    Map<String, List<ReconcileReport.Mismatch>> orphans = new LinkedHashMap<>();
    Map<String, Set<String>> keys = new LinkedHashMap<>();
    long unlisted = 0;
    for (ReconcileReport.EntityResult e : report.entities()) {
      unlisted += e.mismatchCount() - e.mismatches().size();
      for (ReconcileReport.Mismatch m : e.mismatches()) {
        keys.computeIfAbsent(e.entity(), k -> new HashSet<>()).add(m.key());
        if (m.sources().isEmpty()) {
          orphans.computeIfAbsent(e.entity(), k -> new ArrayList<>()).add(m);
        }
        for (ReconcileReport.SourceKey s : m.sources()) {
          sources.computeIfAbsent(s.table(), k -> new LinkedHashSet<>()).add(s.key());
        }
      }
    }
    Map<String, List<Map<String, Object>>> lists = new LinkedHashMap<>();
    sources.forEach((t, s) -> lists.put(t, List.copyOf(s)));
    return new Plan(lists, orphans, keys, unlisted);
  }

  /**
   * The extra keys of {@code plan} a repair may delete, and why it leaves the others. An extra key
   * is deleted only when no source row maps to it in a comparison that read the source after the
   * first comparison read the target ({@code confirm}), and the target row still holds the position
   * the first comparison read: a row inserted into the monolith while the first comparison read it
   * reaches the target through the pipeline and must not be taken for an orphan. None is deleted
   * while source rows cannot be mapped (an extra key may be the previous mapping of one of them),
   * and none of an entity no source row was mapped to (a table a Java topology wires by hand is not
   * read by verify).
   *
   * @param plan the plan of the report a repair acts on
   * @param first the first comparison (its target positions)
   * @param confirm a comparison of the plan's extra keys that read the source after {@code first}
   *     read the target; null when {@code plan} has no extra keys
   * @return the plan with the extra keys to delete (and without the others among its keys), and a
   *     line for each group kept
   */
  public static Confirmed confirmOrphans(
      Plan plan, ReconcileReport first, ReconcileReport confirm) {
    List<String> kept = new ArrayList<>();
    if (plan.orphans().isEmpty()) {
      return new Confirmed(plan, kept);
    }
    Map<String, List<ReconcileReport.Mismatch>> confirmed = new LinkedHashMap<>();
    long orphanCount = plan.orphanCount();
    if (first.unmappableCount() > 0) {
      kept.add(
          String.format(
              Locale.ROOT,
              "not deleting %,d extra key%s: %,d source row%s cannot be mapped, and an extra key"
                  + " may be the last mapping of one of them (fix those rows, then verify again)",
              orphanCount,
              orphanCount == 1 ? "" : "s",
              first.unmappableCount(),
              first.unmappableCount() == 1 ? "" : "s"));
      return new Confirmed(
          new Plan(plan.sourceKeys(), confirmed, withoutKept(plan, confirmed), plan.unlisted()),
          kept);
    }
    for (Map.Entry<String, List<ReconcileReport.Mismatch>> e : plan.orphans().entrySet()) {
      String entity = e.getKey();
      ReconcileReport.EntityResult firstResult = result(first, entity);
      if (firstResult == null || firstResult.expectedRows() == 0) {
        kept.add(
            String.format(
                Locale.ROOT,
                "not deleting %,d extra key%s of %s: no source row was mapped to %s (a table the"
                    + " topology wires by hand is not read by verify; carve replay rebuilds it)",
                e.getValue().size(),
                e.getValue().size() == 1 ? "" : "s",
                entity,
                entity));
        continue;
      }
      Map<String, long[]> firstOrphans = new HashMap<>();
      for (ReconcileReport.Mismatch m : firstResult.mismatches()) {
        if (m.kind() == ReconcileReport.Kind.EXTRA && m.sources().isEmpty()) {
          firstOrphans.put(m.key(), m.targetPosition());
        }
      }
      Set<String> stillOrphans = new HashSet<>();
      ReconcileReport.EntityResult again = confirm == null ? null : result(confirm, entity);
      if (again != null) {
        for (ReconcileReport.Mismatch m : again.mismatches()) {
          if (m.kind() == ReconcileReport.Kind.EXTRA
              && m.sources().isEmpty()
              && Arrays.equals(m.targetPosition(), firstOrphans.get(m.key()))) {
            stillOrphans.add(m.key());
          }
        }
      }
      int changed = 0;
      for (ReconcileReport.Mismatch m : e.getValue()) {
        if (firstOrphans.containsKey(m.key()) && stillOrphans.contains(m.key())) {
          confirmed
              .computeIfAbsent(entity, k -> new ArrayList<>())
              .add(
                  new ReconcileReport.Mismatch(
                      m.kind(), m.key(), m.sources(), firstOrphans.get(m.key())));
        } else {
          changed++;
        }
      }
      if (changed > 0) {
        kept.add(
            String.format(
                Locale.ROOT,
                "not deleting %,d extra key%s of %s: a source row maps to %s now, or the target"
                    + " row changed while verify ran (a change on its way through the pipeline)",
                changed,
                changed == 1 ? "" : "s",
                entity,
                changed == 1 ? "it" : "them"));
      }
    }
    return new Confirmed(
        new Plan(plan.sourceKeys(), confirmed, withoutKept(plan, confirmed), plan.unlisted()),
        kept);
  }

  /** The plan's keys less its extra keys that are not among {@code confirmed}. */
  private static Map<String, Set<String>> withoutKept(
      Plan plan, Map<String, List<ReconcileReport.Mismatch>> confirmed) {
    Map<String, Set<String>> keys = new LinkedHashMap<>();
    plan.keys().forEach((entity, set) -> keys.put(entity, new HashSet<>(set)));
    plan.orphans()
        .forEach(
            (entity, list) -> {
              Set<String> deleted = new HashSet<>();
              confirmed.getOrDefault(entity, List.of()).forEach(m -> deleted.add(m.key()));
              list.stream()
                  .map(ReconcileReport.Mismatch::key)
                  .filter(k -> !deleted.contains(k))
                  .forEach(k -> keys.getOrDefault(entity, new HashSet<>()).remove(k));
            });
    keys.values().removeIf(Set::isEmpty);
    return keys;
  }

  private static ReconcileReport.EntityResult result(ReconcileReport report, String entity) {
    return report.entities().stream()
        .filter(r -> r.entity().equals(entity))
        .findFirst()
        .orElse(null);
  }

  /** The extra keys of {@code plan} as keys to compare per entity. */
  public static Map<String, Set<String>> orphanKeys(Plan plan) {
    Map<String, Set<String>> keys = new LinkedHashMap<>();
    plan.orphans()
        .forEach(
            (entity, list) ->
                list.forEach(m -> keys.computeIfAbsent(entity, k -> new HashSet<>()).add(m.key())));
    return keys;
  }

  /**
   * A plan whose extra keys were confirmed ({@link #confirmOrphans}).
   *
   * @param plan the plan with only the extra keys to delete
   * @param kept a line for each group of extra keys left alone, and why
   */
  public record Confirmed(Plan plan, List<String> kept) {}

  /**
   * Inserts the incremental snapshot signals of {@code plan} into the signal table, as many rows
   * per source table as the signal's {@code data} column needs.
   *
   * @param source a connection to the monolith
   * @param sourceSchema the schema of the monolith tables
   * @param signalTable the connector's {@code signal.data.collection}, {@code schema.table}
   * @return the ids of the signal rows
   * @throws IllegalStateException when a primary-key column has a type a filter cannot name safely
   */
  public static List<String> signal(
      Connection source, String sourceSchema, String signalTable, Plan plan) throws SQLException {
    int dot = signalTable.indexOf('.');
    String signalSchema = dot < 0 ? "public" : signalTable.substring(0, dot);
    String signalName = dot < 0 ? signalTable : signalTable.substring(dot + 1);
    int maxData = dataLength(source, signalSchema, signalName);
    List<String> ids = new ArrayList<>();
    String insert =
        "INSERT INTO "
            + SqlIdentifiers.qualified(signalSchema, signalName)
            + " (id, type, data) VALUES (?, 'execute-snapshot', ?)";
    try (PreparedStatement ps = source.prepareStatement(insert)) {
      for (Map.Entry<String, List<Map<String, Object>>> t : plan.sourceKeys().entrySet()) {
        String table = t.getKey();
        List<String> columns = new ArrayList<>(t.getValue().get(0).keySet());
        checkKeyTypes(source, sourceSchema, table, columns);
        String collection = sourceSchema + "." + table;
        List<Map<String, Object>> chunk = new ArrayList<>();
        for (Map<String, Object> key : t.getValue()) {
          chunk.add(key);
          if (chunk.size() > 1 && data(collection, columns, chunk).length() > maxData) {
            chunk.remove(chunk.size() - 1);
            ids.add(insertSignal(ps, data(collection, columns, chunk)));
            chunk = new ArrayList<>(List.of(key));
          }
        }
        String data = data(collection, columns, chunk);
        if (data.length() > maxData) {
          throw new IllegalStateException(
              "The snapshot signal for one key of "
                  + collection
                  + " is longer than the "
                  + maxData
                  + " characters the data column of "
                  + signalTable
                  + " holds");
        }
        ids.add(insertSignal(ps, data));
      }
    }
    return ids;
  }

  private static String insertSignal(PreparedStatement ps, String data) throws SQLException {
    String id = "carve-repair-" + UUID.randomUUID();
    ps.setString(1, id);
    ps.setString(2, data);
    ps.executeUpdate();
    return id;
  }

  /**
   * The {@code data} of an {@code execute-snapshot} signal limited to the rows with the given keys.
   *
   * @param collection {@code schema.table}
   * @param columns the primary-key columns, in key order
   * @param keys the key values (any type; written as quoted SQL literals)
   */
  static String data(String collection, List<String> columns, List<Map<String, Object>> keys) {
    ObjectNode root = JSON.createObjectNode();
    root.putArray("data-collections").add(collection);
    root.put("type", "incremental");
    ArrayNode conditions = root.putArray("additional-conditions");
    ObjectNode condition = conditions.addObject();
    condition.put("data-collection", collection);
    condition.put("filter", filter(columns, keys));
    try {
      return JSON.writeValueAsString(root);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("Could not write the snapshot signal of " + collection, e);
    }
  }

  /**
   * A SQL filter selecting the rows with the given keys: {@code "pk" IN ('a','b')}, or {@code
   * ("a","b") IN (('1','x'),...)} for a composite key. Every value is a quoted literal with its
   * single quotes doubled (PostgreSQL's standard_conforming_strings, on by default, keeps
   * backslashes literal); the column types were checked to accept such literals.
   */
  static String filter(List<String> columns, List<Map<String, Object>> keys) {
    StringBuilder sb = new StringBuilder();
    if (columns.size() == 1) {
      sb.append(SqlIdentifiers.quote(columns.get(0))).append(" IN (");
    } else {
      sb.append('(');
      for (int i = 0; i < columns.size(); i++) {
        sb.append(i == 0 ? "" : ",").append(SqlIdentifiers.quote(columns.get(i)));
      }
      sb.append(") IN (");
    }
    for (int k = 0; k < keys.size(); k++) {
      sb.append(k == 0 ? "" : ",");
      if (columns.size() > 1) {
        sb.append('(');
      }
      for (int i = 0; i < columns.size(); i++) {
        sb.append(i == 0 ? "" : ",")
            .append(literal(columns.get(i), keys.get(k).get(columns.get(i))));
      }
      if (columns.size() > 1) {
        sb.append(')');
      }
    }
    return sb.append(')').toString();
  }

  private static String literal(String column, Object value) {
    if (value == null) {
      throw new IllegalStateException("Key column " + column + " is null; it cannot be re-emitted");
    }
    String text = value.toString();
    if (text.indexOf('\0') >= 0) {
      throw new IllegalStateException("Key column " + column + " holds a NUL character");
    }
    return "'" + text.replace("'", "''") + "'";
  }

  private static void checkKeyTypes(Connection c, String schema, String table, List<String> columns)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT column_name, data_type FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = ?")) {
      ps.setString(1, schema);
      ps.setString(2, table);
      Map<String, String> types = new LinkedHashMap<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          types.put(rs.getString(1), rs.getString(2));
        }
      }
      for (String col : columns) {
        String type = types.get(col);
        if (type == null || !KEY_TYPES.contains(type.toLowerCase(Locale.ROOT))) {
          throw new IllegalStateException(
              "Cannot repair "
                  + schema
                  + "."
                  + table
                  + ": key column "
                  + col
                  + " has type "
                  + type
                  + "; a repair filter supports "
                  + KEY_TYPES);
        }
      }
    }
  }

  private static int dataLength(Connection c, String schema, String table) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT character_maximum_length FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = ? AND column_name = 'data'")) {
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException(
              "The signal table "
                  + schema
                  + "."
                  + table
                  + " (signal.data.collection of the connector) has no column 'data'");
        }
        int n = rs.getInt(1);
        return rs.wasNull() ? 1 << 20 : n;
      }
    }
  }

  /**
   * Writes a delete of every orphan key of {@code plan} to its domain topic, with the target row's
   * position and {@code carve.repair=true}.
   *
   * @param producer a producer of Avro keys (registry serializer) and raw values
   * @param entities the service's entities
   * @return keys that could not be deleted, with the reason (no stored position, unsupported key
   *     type)
   */
  public static List<String> tombstones(
      Producer<GenericRecord, byte[]> producer, List<EntitySchemas> entities, Plan plan)
      throws InterruptedException {
    List<String> skipped = new ArrayList<>();
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    for (EntitySchemas e : entities) {
      for (ReconcileReport.Mismatch m : plan.orphans().getOrDefault(e.entity(), List.of())) {
        String shown = e.topic() + " " + Canonical.display(m.key());
        if (m.targetPosition() == null) {
          skipped.add(shown + ": the target row holds no position the sink's guard can compare");
          continue;
        }
        GenericRecord key;
        try {
          key = keyRecord(e.key(), m.key());
        } catch (IllegalArgumentException bad) {
          skipped.add(shown + ": " + bad.getMessage());
          continue;
        }
        ProducerRecord<GenericRecord, byte[]> r = new ProducerRecord<>(e.topic(), key, null);
        new SourcePosition(m.targetPosition()[0], m.targetPosition()[1]).writeTo(r.headers());
        r.headers().add(CarveHeaders.REPAIR, "true".getBytes(StandardCharsets.UTF_8));
        sent.add(producer.send(r));
      }
    }
    producer.flush();
    for (Future<RecordMetadata> f : sent) {
      try {
        f.get();
      } catch (ExecutionException failed) {
        throw new IllegalStateException(
            "Could not write a repair tombstone: " + failed.getCause().getMessage(),
            failed.getCause());
      }
    }
    return skipped;
  }

  /** The Avro key of a canonical key text; int, long and string fields only. */
  static GenericRecord keyRecord(Schema schema, String canonicalKey) {
    Map<String, String> values = Canonical.split(canonicalKey);
    GenericRecord key = new GenericData.Record(schema);
    for (Schema.Field f : schema.getFields()) {
      String v = values.get(f.name());
      if (v == null || v.equals(Canonical.NULL)) {
        throw new IllegalArgumentException("key field " + f.name() + " is null");
      }
      Schema s = f.schema();
      if (s.getLogicalType() != null) {
        throw new IllegalArgumentException(
            "key field " + f.name() + " has logical type " + s.getLogicalType().getName());
      }
      switch (s.getType()) {
        case INT -> key.put(f.pos(), Integer.parseInt(v));
        case LONG -> key.put(f.pos(), Long.parseLong(v));
        case STRING -> key.put(f.pos(), v);
        default ->
            throw new IllegalArgumentException(
                "key field "
                    + f.name()
                    + " has type "
                    + s.getType()
                    + "; repair supports int, long, string");
      }
    }
    return key;
  }
}
