package dev.carve.cli.verify;

import dev.carve.core.SourcePosition;
import dev.carve.schemas.EntitySchemas;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.DomainRecord;
import dev.carve.transform.api.MappingScope;
import dev.carve.transform.api.Output;
import dev.carve.transform.api.TableMapper;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.avro.generic.GenericRecord;

/**
 * Proves target == mapping(source) for one service: reads every row of the monolith tables the
 * service maps, runs them through the service's own mapping code (the same {@link TableMapper}s its
 * Kafka Streams application runs), and compares the expected records with the rows of the service's
 * tables key by key, reporting missing, extra and different rows.
 */
public final class Reconciler {
  private final String service;
  private final List<EntitySchemas> entities;
  private final Map<String, TableMapper> mappers;
  private final Db source;
  private final Db target;

  /**
   * A database to read.
   *
   * @param jdbcUrl the JDBC URL
   * @param username the user
   * @param password the password (never printed)
   * @param schema the schema holding the tables
   */
  public record Db(String jdbcUrl, String username, String password, String schema) {
    @Override
    public String toString() {
      return jdbcUrl + " (schema " + schema + ")";
    }

    Connection connect() throws SQLException {
      return DriverManager.getConnection(jdbcUrl, username, password);
    }
  }

  /**
   * Creates a reconciler.
   *
   * @param mappers the mapping per monolith table, in the order tables are read
   */
  public Reconciler(
      String service,
      List<EntitySchemas> entities,
      Map<String, TableMapper> mappers,
      Db source,
      Db target) {
    this.service = Objects.requireNonNull(service);
    this.entities = List.copyOf(entities);
    this.mappers = new LinkedHashMap<>(mappers);
    this.source = Objects.requireNonNull(source);
    this.target = Objects.requireNonNull(target);
  }

  /**
   * Runs the comparison.
   *
   * @param progress receives a line per step
   */
  public ReconcileReport run(Consumer<String> progress) throws Exception {
    Map<String, EntitySchemas> byTopic = new HashMap<>();
    for (EntitySchemas e : entities) {
      byTopic.put(e.topic(), e);
    }
    Map<String, Map<String, String>> expected = new LinkedHashMap<>();
    entities.forEach(e -> expected.put(e.entity(), new HashMap<>()));
    InMemoryScope scope = new InMemoryScope(service);
    try (Connection c = source.connect()) {
      for (Map.Entry<String, TableMapper> m : mappers.entrySet()) {
        String table = m.getKey();
        long[] n = {0};
        SourceRows.read(
            c,
            source.schema(),
            table,
            row -> {
              ChangeEvent event =
                  new ChangeEvent(
                      table,
                      ChangeEvent.Op.READ,
                      null,
                      row.values(),
                      row.key(),
                      SourcePosition.SNAPSHOT,
                      new ChangeEvent.SourceOffset("reconcile:" + table, 0, n[0]++));
              List<Output<?, ?>> outputs;
              try {
                outputs = m.getValue().map(event, scope);
              } catch (Exception e) {
                throw new IllegalStateException(
                    "Mapping of service '"
                        + service
                        + "' failed on "
                        + table
                        + " key "
                        + row.key()
                        + ": "
                        + e.getMessage(),
                    e);
              }
              for (Output<?, ?> out : outputs) {
                EntitySchemas entity = byTopic.get(out.topic().name());
                if (entity == null) {
                  continue; // a topic outside the service's contracts (e.g. another service's) is
                  // not compared
                }
                DomainRecord<?, ?> r = out.record();
                String key = Canonical.ofRecord(avro(r.key(), entity, "key"));
                if (r.isDelete()) {
                  expected.get(entity.entity()).remove(key);
                } else {
                  expected
                      .get(entity.entity())
                      .put(key, Canonical.ofRecord(avro(r.value(), entity, "value")));
                }
              }
            });
        progress.accept(
            String.format(
                java.util.Locale.ROOT, "read %,d rows of %s.%s", n[0], source.schema(), table));
      }
    }
    List<ReconcileReport.EntityResult> results = new ArrayList<>();
    try (Connection c = target.connect()) {
      for (EntitySchemas e : entities) {
        results.add(compare(c, e, expected.get(e.entity())));
        progress.accept("compared " + service + "." + e.entity());
      }
    }
    return new ReconcileReport(service, results);
  }

  private ReconcileReport.EntityResult compare(
      Connection c, EntitySchemas e, Map<String, String> expected) throws SQLException {
    String table = dev.carve.core.SqlIdentifiers.qualified(target.schema(), e.entity());
    Map<String, String> remaining = new HashMap<>(expected);
    List<String> extra = new ArrayList<>();
    List<String> different = new ArrayList<>();
    long actualCount = 0;
    long extraCount = 0;
    long differentCount = 0;
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      try (ResultSet exists =
          s.executeQuery("SELECT to_regclass('" + table.replace("'", "''") + "') IS NOT NULL")) {
        exists.next();
        if (!exists.getBoolean(1)) {
          c.commit();
          return new ReconcileReport.EntityResult(
              e.entity(),
              expected.size(),
              0,
              sample(expected.keySet()),
              expected.size(),
              List.of(),
              0,
              List.of(),
              0);
        }
      }
      s.setFetchSize(2000);
      try (ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
        while (rs.next()) {
          actualCount++;
          String key = Canonical.ofRow(e.key(), rs);
          String want = remaining.remove(key);
          if (want == null) {
            if (extra.size() < ReconcileReport.SAMPLE) {
              extra.add(key);
            }
            extraCount++;
          } else if (!want.equals(Canonical.ofRow(e.value(), rs))) {
            if (different.size() < ReconcileReport.SAMPLE) {
              different.add(
                  key + " expected {" + want + "} found {" + Canonical.ofRow(e.value(), rs) + "}");
            }
            differentCount++;
          }
        }
      }
      c.commit();
    } finally {
      c.setAutoCommit(autoCommit);
    }
    ReconcileReport.EntityResult result =
        new ReconcileReport.EntityResult(
            e.entity(),
            expected.size(),
            actualCount,
            sample(remaining.keySet()),
            remaining.size(),
            extra,
            extraCount,
            different,
            differentCount);
    return result;
  }

  private static List<String> sample(java.util.Collection<String> keys) {
    return keys.stream().sorted().limit(ReconcileReport.SAMPLE).toList();
  }

  private GenericRecord avro(Object o, EntitySchemas e, String what) {
    if (o instanceof GenericRecord g) {
      return g;
    }
    throw new IllegalStateException(
        "Service '"
            + service
            + "' produced a "
            + what
            + " of "
            + e.topic()
            + " that is not an Avro record ("
            + (o == null ? "null" : o.getClass().getName())
            + "); reconciliation compares Avro records");
  }

  /** A mapping scope kept in memory for one reconciliation run. */
  private static final class InMemoryScope implements MappingScope {
    private final String service;
    private final Map<String, Map<String, String>> stores = new HashMap<>();

    InMemoryScope(String service) {
      this.service = service;
    }

    @Override
    public String service() {
      return service;
    }

    @Override
    public String get(String store, String key) {
      return stores.getOrDefault(store, Map.of()).get(key);
    }

    @Override
    public void put(String store, String key, String value) {
      Map<String, String> s = stores.computeIfAbsent(store, k -> new HashMap<>());
      if (value == null) {
        s.remove(key);
      } else {
        s.put(key, value);
      }
    }
  }
}
