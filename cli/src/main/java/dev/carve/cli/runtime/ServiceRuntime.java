package dev.carve.cli.runtime;

import dev.carve.cli.config.CarveConfig;
import dev.carve.schemas.EntitySchemas;
import dev.carve.schemas.SchemaCatalog;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.sink.ServiceSink;
import dev.carve.sink.SinkMetrics;
import dev.carve.sink.SinkOptions;
import dev.carve.transform.keys.KeyRegistryTopic;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serde;

/**
 * One service of a running pipeline: its Kafka Streams application and its sink, wired from the
 * service's settings, plus what the progress line and the sync check need to know about it.
 */
public final class ServiceRuntime {
  private final CarveConfig.ServiceSettings settings;
  private final List<EntitySchemas> entities;
  private final ServiceSink sink;
  private final Transformer transformer;
  private final List<Part> parts = new ArrayList<>();

  private final String registryUrl;

  private ServiceRuntime(
      String registryUrl,
      CarveConfig.ServiceSettings settings,
      List<EntitySchemas> entities,
      Transformer transformer,
      ServiceSink sink) {
    this.registryUrl = registryUrl;
    this.settings = settings;
    this.entities = entities;
    this.transformer = transformer;
    this.sink = sink;
    parts.add(transformer.part());
    parts.add(Parts.sink(sink));
  }

  /**
   * Builds (does not start) the transformer and sink of a service.
   *
   * @param stateDir where Kafka Streams keeps its state ({@code <stateDir>/streams/<service>})
   */
  public static ServiceRuntime create(
      CarveConfig.ServiceSettings service,
      CarveConfig config,
      String bootstrapServers,
      String registryUrl,
      Path stateDir) {
    List<EntitySchemas> entities = SchemaCatalog.fromClasspath().entities(service.name());
    if (entities.isEmpty()) {
      throw new IllegalArgumentException(
          "Service '"
              + service.name()
              + "' has no Avro contracts: add schemas/"
              + service.name()
              + "/<Entity>.avsc and <Entity>Key.avsc");
    }
    Transformer transformer =
        Transformer.create(
            service, config, bootstrapServers, registryUrl, stateDir.resolve("streams"));
    SinkOptions sinkOptions = sinkOptions(service, config, bootstrapServers, registryUrl, entities);
    Map<String, Object> serdeConfig = config.registryClientConfig(registryUrl);
    Serde<GenericRecord> keySerde = AvroSerdes.generic(serdeConfig, true);
    Serde<GenericRecord> valueSerde = AvroSerdes.generic(serdeConfig, false);
    ServiceSink sink =
        ServiceSink.create(
            service.name(), sinkOptions, keySerde.deserializer(), valueSerde.deserializer());
    return new ServiceRuntime(registryUrl, service, entities, transformer, sink);
  }

  /**
   * The reset of a service's transformer ({@code carve transform <service> --reset}): its Streams
   * application as {@link #create} builds it, never started.
   *
   * @param stateDir as for {@link #create}
   */
  public static dev.carve.transform.TransformerReset transformerReset(
      CarveConfig.ServiceSettings service,
      CarveConfig config,
      String bootstrapServers,
      String registryUrl,
      Path stateDir) {
    return new dev.carve.transform.TransformerReset(
        Transformer.create(
                service, config, bootstrapServers, registryUrl, stateDir.resolve("streams"))
            .runtime());
  }

  /**
   * A reconciler of this service against the monolith, running the service's own mapping.
   *
   * @param source the monolith database
   */
  public dev.carve.cli.verify.Reconciler reconciler(CarveConfig.Database source) {
    CarveConfig.Database t = settings.target();
    return new dev.carve.cli.verify.Reconciler(
        settings.name(),
        entities,
        transformer.tableMappers(registryUrl),
        new dev.carve.cli.verify.Reconciler.Db(
            source.jdbcUrl(), source.username(), source.password(), "public"),
        new dev.carve.cli.verify.Reconciler.Db(t.jdbcUrl(), t.username(), t.password(), t.schema()),
        transformer.keyRegistry());
  }

  /**
   * The key registry a service's transformer reads and records new keys in: its {@code
   * key-registry-topic} on the configured Kafka, with the configured client properties.
   */
  public static KeyRegistryTopic keyRegistry(
      CarveConfig.ServiceSettings service, CarveConfig config) {
    return KeyRegistryTopic.of(
        Transformer.options(
            service, config, config.kafka().bootstrapServers(), config.registryUrl()));
  }

  /**
   * The sink options of a service: its target and tuning from carve.yaml, the given endpoints.
   *
   * @throws dev.carve.core.config.ConfigException listing every problem
   */
  public static SinkOptions sinkOptions(
      CarveConfig.ServiceSettings service,
      CarveConfig config,
      String bootstrapServers,
      String registryUrl,
      List<EntitySchemas> entities) {
    Map<String, Object> sinkRaw = new LinkedHashMap<>();
    sinkRaw.put(SinkOptions.BOOTSTRAP_SERVERS.key(), bootstrapServers);
    sinkRaw.put(SinkOptions.KAFKA_PROPERTIES.key(), config.kafka().properties());
    sinkRaw.put(SinkOptions.SCHEMA_REGISTRY_URL.key(), registryUrl);
    sinkRaw.put(SinkOptions.SCHEMA_REGISTRY_USER_INFO.key(), config.registryUserInfo());
    sinkRaw.put(SinkOptions.JDBC_URL.key(), service.target().jdbcUrl());
    sinkRaw.put(SinkOptions.USERNAME.key(), service.target().username());
    sinkRaw.put(SinkOptions.PASSWORD.key(), service.target().password());
    sinkRaw.put(SinkOptions.SCHEMA.key(), service.target().schema());
    sinkRaw.put(SinkOptions.DDL.key(), service.target().ddl());
    sinkRaw.put(SinkOptions.ENTITIES.key(), entities.stream().map(EntitySchemas::entity).toList());
    sinkRaw.put(SinkOptions.BATCH_SIZE.key(), service.batchSize());
    sinkRaw.put(SinkOptions.MAX_RETRIES.key(), service.maxRetries());
    sinkRaw.put(SinkOptions.ON_ERROR.key(), service.onError().name());
    sinkRaw.put(SinkOptions.TOMBSTONE_RETENTION.key(), service.tombstoneRetention().toMillis());
    sinkRaw.put(SinkOptions.FAILURE_RETENTION.key(), service.failureRetention().toMillis());
    return SinkOptions.parse(sinkRaw, "services." + service.name() + ".sink", "carve.yaml");
  }

  /** The service name. */
  public String name() {
    return settings.name();
  }

  /** The service's settings. */
  public CarveConfig.ServiceSettings settings() {
    return settings;
  }

  /** The parts to start, in order: transformer, then sink. */
  public List<Part> parts() {
    return parts;
  }

  /** The entities (one target table and one domain topic each). */
  public List<EntitySchemas> entities() {
    return entities;
  }

  /** The domain topics the sink reads. */
  public List<String> domainTopics() {
    return entities.stream().map(EntitySchemas::topic).toList();
  }

  /** The raw topics the transformer reads. */
  public List<String> rawTopics() {
    return transformer.sourceTopics();
  }

  /** The Kafka Streams application id (its consumer group). */
  public String transformerGroup() {
    return transformer.applicationId();
  }

  /** The sink's consumer group. */
  public String sinkGroup() {
    return ServiceSink.groupId(settings.name());
  }

  /** The sink's counters. */
  public SinkMetrics sinkMetrics() {
    return sink.metrics();
  }

  /** The sink (for its metrics). */
  public ServiceSink sink() {
    return sink;
  }

  /** The transformer's counters, live. */
  public dev.carve.transform.TransformerMetrics transformerMetrics() {
    return transformer.metrics();
  }

  /** The metrics of the transformer's Kafka Streams client; empty before it started. */
  public Map<org.apache.kafka.common.MetricName, ? extends org.apache.kafka.common.Metric>
      transformerKafkaMetrics() {
    return transformer.kafkaMetrics();
  }

  /** Records the transformer sent to the dead-letter topic. */
  public long transformDeadLetters() {
    return transformer.deadLettered();
  }

  /** Exact row counts of the service's target tables, by entity; -1 for a table not created yet. */
  public Map<String, Long> rowCounts() throws SQLException {
    Map<String, Long> counts = new LinkedHashMap<>();
    CarveConfig.Database target = settings.target();
    try (Connection c =
            DriverManager.getConnection(target.jdbcUrl(), target.username(), target.password());
        Statement s = c.createStatement()) {
      for (EntitySchemas e : entities) {
        String table = dev.carve.core.SqlIdentifiers.qualified(target.schema(), e.entity());
        try (ResultSet rs =
            s.executeQuery(
                "SELECT CASE WHEN to_regclass('"
                    + table.replace("'", "''")
                    + "') IS NULL THEN -1 ELSE 0 END")) {
          rs.next();
          if (rs.getLong(1) < 0) {
            counts.put(e.entity(), -1L);
            continue;
          }
        }
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
          rs.next();
          counts.put(e.entity(), rs.getLong(1));
        }
      }
    }
    return counts;
  }
}
