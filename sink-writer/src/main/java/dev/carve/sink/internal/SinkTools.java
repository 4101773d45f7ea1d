package dev.carve.sink.internal;

import dev.carve.core.error.OnError;
import dev.carve.sink.DdlMode;
import dev.carve.sink.SinkOptions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * What the tools working beside a service's live sink ({@code ReplayJob}, {@code FailureLog}) build
 * the same way from the sink's options: a byte-array consumer outside any consumer group (the tool
 * assigns partitions and seeks itself, so it never disturbs the live group), an admin client, and a
 * write engine that logs failures in {@code carve_failures} but publishes no dead letters.
 */
public final class SinkTools {
  private final String service;
  private final SinkOptions options;
  private final Map<String, String> tablesByTopic;
  private final Deserializer<GenericRecord> keyDeserializer;
  private final Deserializer<GenericRecord> valueDeserializer;

  /**
   * Creates the tools of one service.
   *
   * @throws dev.carve.core.config.ConfigException when an entity name is invalid
   */
  public SinkTools(
      String service,
      SinkOptions options,
      Deserializer<GenericRecord> keyDeserializer,
      Deserializer<GenericRecord> valueDeserializer) {
    this.service = Objects.requireNonNull(service, "service");
    this.options = Objects.requireNonNull(options, "options");
    this.keyDeserializer = Objects.requireNonNull(keyDeserializer, "keyDeserializer");
    this.valueDeserializer = Objects.requireNonNull(valueDeserializer, "valueDeserializer");
    this.tablesByTopic = KafkaClients.tablesByTopic(service, options.entities());
  }

  /** The service's domain topics and their tables, in the configured order. */
  public Map<String, String> tablesByTopic() {
    return tablesByTopic;
  }

  /**
   * A consumer without a group, client id {@code carve-<tool>-<service>}; the caller assigns
   * partitions, seeks, and closes it.
   *
   * @param tool what the consumer is for, e.g. {@code replay}
   */
  public KafkaConsumer<byte[], byte[]> consumer(String tool) {
    return KafkaClients.consumer(options, null, "carve-" + tool + "-" + service);
  }

  /** An admin client on the sink's cluster, with its extra client properties; caller closes it. */
  public Admin admin() {
    Properties p = new Properties();
    p.putAll(options.kafkaProperties());
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    return Admin.create(p);
  }

  /**
   * A write engine on the service database with the sink's retry settings; records that can never
   * be written are logged in the failure log of {@code schema}, not published to the dead-letter
   * topic. The caller closes it.
   *
   * @param schema the schema written
   * @param ddl what the engine does about missing tables
   * @param stopping true ends the wait for an unavailable database (no patient retries)
   * @param counters where the engine counts what it wrote
   */
  public SinkEngine engine(
      String schema, DdlMode ddl, BooleanSupplier stopping, SinkCounters counters) {
    return new SinkEngine(
        new SinkEngine.Settings(
            service,
            OnError.DEAD_LETTER,
            options.maxRetries(),
            options.retryBackoff(),
            options.retryMaxBackoff()),
        new RecordDecoder(tablesByTopic, keyDeserializer, valueDeserializer),
        new JdbcTarget(options.jdbcUrl(), options.username(), options.password()),
        new TargetTables(schema, ddl),
        null,
        stopping,
        counters);
  }

  /** Whether a table exists in a schema. */
  public static boolean tableExists(Connection c, String schema, String table) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(PostgresDialect.tableExists())) {
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }
}
