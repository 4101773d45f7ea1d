package dev.carve.cli;

import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.runtime.ServiceRuntime;
import dev.carve.core.SourcePosition;
import dev.carve.core.config.Substitution;
import dev.carve.schemas.EntitySchemas;
import dev.carve.schemas.SchemaCatalog;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.sink.ServiceSink;
import dev.carve.sink.SinkOptions;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import picocli.CommandLine;

/**
 * Helpers of the command ITs that run a service's sink on the shared test broker and PostgreSQL
 * with a real (embedded) schema registry, and run {@code carve} commands against them.
 */
final class CommandItSupport {
  private CommandItSupport() {}

  /** What one {@code carve} run printed and returned. */
  record Run(int exit, String out, String err) {
    /** Both streams, for assertion messages. */
    String both() {
      return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  /** Runs {@code carve <args>} in this JVM with captured stdout and stderr. */
  static Run carve(String... args) {
    return carve(Carve.commandLine(), args);
  }

  /**
   * Runs {@code carve <args>} on a command line built by {@link Carve#commandLine()} (whose
   * commands a test may have set up, e.g. with a small page size) with captured stdout and stderr.
   */
  static Run carve(CommandLine cmd, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** Writes a carve.yaml with one service on the shared broker and a test database. */
  static Path writeConfig(Path dir, String service, String database, String registryUrl)
      throws Exception {
    String yaml =
        String.join(
            "\n",
            "kafka:",
            "  bootstrap-servers: " + TestKafka.bootstrapServers(),
            "schema-registry:",
            "  url: " + registryUrl,
            "services:",
            "  " + service + ":",
            "    topology: " + service + "-topology.yaml  # dlq and replay never load it",
            "    max-retries: 1",
            "    target:",
            "      jdbc-url: " + TestPostgres.jdbcUrl(database),
            "      username: " + TestPostgres.USER,
            "      password: \"" + TestPostgres.PASSWORD + "\"",
            "");
    Path file = dir.resolve("carve.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  /** The sink options the commands derive from that configuration. */
  static SinkOptions sinkOptions(Path config, String service) {
    CarveConfig c = CarveConfig.load(config, Substitution.fromEnvironment());
    return ServiceRuntime.sinkOptions(
        c.service(service),
        c,
        c.kafka().bootstrapServers(),
        c.registryUrl(),
        SchemaCatalog.fromClasspath().entities(service));
  }

  /** The live sink of a service, as {@code carve sink} builds it; not started. */
  static ServiceSink liveSink(Path config, String service) {
    return ServiceSink.create(service, sinkOptions(config, service));
  }

  /** The key and value schemas of an entity (test services: src/test/resources/avro). */
  static EntitySchemas entity(String service, String entity) {
    return SchemaCatalog.fromClasspath().require(service, entity);
  }

  /** Serializes domain records in the Confluent wire format through a registry. */
  static final class Producer {
    private final Serializer<GenericRecord> keys;
    private final Serializer<GenericRecord> values;
    private final List<ProducerRecord<byte[], byte[]>> pending = new ArrayList<>();

    Producer(String registryUrl) {
      Map<String, Object> config = Map.of("schema.registry.url", registryUrl);
      this.keys = AvroSerdes.generic(config, true).serializer();
      this.values = AvroSerdes.generic(config, false).serializer();
    }

    /** Adds an upsert (value non-null) or a delete (value null) at a source position. */
    Producer add(String topic, GenericRecord key, GenericRecord value, long commitLsn) {
      ProducerRecord<byte[], byte[]> r =
          new ProducerRecord<>(
              topic,
              keys.serialize(topic, key),
              value == null ? null : values.serialize(topic, value));
      new SourcePosition(commitLsn, commitLsn + 1).writeTo(r.headers());
      pending.add(r);
      return this;
    }

    /** Adds an upsert without the position headers: a record no sink can ever write. */
    Producer addWithoutPosition(String topic, GenericRecord key, GenericRecord value) {
      pending.add(
          new ProducerRecord<>(topic, keys.serialize(topic, key), values.serialize(topic, value)));
      return this;
    }

    /** How many records were added. */
    int size() {
      return pending.size();
    }

    /** Sends what was added, synchronously and in order. */
    void send() {
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
        for (ProducerRecord<byte[], byte[]> r : pending) {
          sent.add(producer.send(r));
        }
        for (java.util.concurrent.Future<?> f : sent) {
          f.get();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while producing", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("Could not produce: " + e.getCause(), e.getCause());
      }
      pending.clear();
    }
  }

  /** Runs a query; every row as its columns joined by '|'. */
  static List<String> rows(String database, String sql) throws SQLException {
    try (Connection c = TestPostgres.connect(database);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      List<String> out = new ArrayList<>();
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          if (i > 1) {
            sb.append('|');
          }
          sb.append(rs.getString(i));
        }
        out.add(sb.toString());
      }
      return out;
    }
  }

  /** Executes a statement on a test database. */
  static void execute(String database, String sql) throws SQLException {
    try (Connection c = TestPostgres.connect(database);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
