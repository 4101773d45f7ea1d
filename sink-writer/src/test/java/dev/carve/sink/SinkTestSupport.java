package dev.carve.sink;

import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Exit;

/** Shared helpers of the sink's integration tests. */
final class SinkTestSupport {
  static {
    // The shared test broker's temporary directories are deleted by a JVM shutdown hook that can
    // run before the broker has stopped; its log cleaner then finds its directory gone and the
    // broker halts the JVM with status 1, failing the build after every test passed. A halt while
    // the JVM is already shutting down is ignored; any other halt goes through.
    Exit.setHaltProcedure(
        (code, message) -> {
          if (!shuttingDown()) {
            Runtime.getRuntime().halt(code);
          }
        });
  }

  private SinkTestSupport() {}

  private static boolean shuttingDown() {
    try {
      Thread probe = new Thread(() -> {});
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }

  /** Sink options on the shared broker and a test database. */
  static Map<String, Object> options(String database, String... extra) {
    Map<String, Object> raw = new HashMap<>();
    raw.put("bootstrap-servers", TestKafka.bootstrapServers());
    raw.put("jdbc-url", TestPostgres.jdbcUrl(database));
    raw.put("username", TestPostgres.USER);
    raw.put("password", TestPostgres.PASSWORD);
    raw.put("entities", List.of("order"));
    raw.put("poll-timeout", "200ms");
    raw.put("batch-size", "100");
    for (int i = 0; i < extra.length; i += 2) {
      raw.put(extra[i], extra[i + 1]);
    }
    return raw;
  }

  /** Produces records synchronously. */
  static void produce(List<ProducerRecord<byte[], byte[]>> records) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (ProducerRecord<byte[], byte[]> r : records) {
        producer.send(r).get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Runs a query and returns every row as strings joined by '|'. */
  static List<String> rows(String database, String sql) {
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
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return List.of();
      }
      throw new IllegalStateException(e);
    }
  }

  /** Executes a statement on a database. */
  static void execute(String database, String sql) {
    try (Connection c = TestPostgres.connect(database);
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
