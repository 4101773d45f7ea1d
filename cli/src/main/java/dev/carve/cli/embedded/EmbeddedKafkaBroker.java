package dev.carve.cli.embedded;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node KRaft Kafka broker (combined broker and controller) run in-process for {@code carve
 * up}. Its log directory lives under {@code .carve/kafka}, so topics, committed offsets and the
 * capture offsets survive a restart; the storage is formatted once, on first start.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

  private final KafkaRaftServer server;
  private final String bootstrapServers;

  private EmbeddedKafkaBroker(KafkaRaftServer server, String bootstrapServers) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
  }

  /**
   * Formats the storage when new and starts the broker; returns once it answers requests.
   *
   * @param dir the broker's directory (created when missing)
   * @param port the client port
   * @param controllerPort the KRaft controller port
   * @throws EmbeddedStartException when a port is taken or the broker does not start
   */
  public static EmbeddedKafkaBroker start(Path dir, int port, int controllerPort) {
    Ports.requireFree(port, "Kafka broker", "--kafka-port");
    Ports.requireFree(
        controllerPort, "Kafka controller", "--kafka-port (controller uses port + 1)");
    Path logDir = dir.resolve("data");
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@localhost:" + controllerPort);
    props.put(
        "listeners", "PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://localhost:" + port);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", logDir.toString());
    props.put("num.partitions", "1");
    props.put("default.replication.factor", "1");
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "5");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "5");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("auto.create.topics.enable", "false");
    props.put("log.cleaner.dedupe.buffer.size", String.valueOf(16 * 1024 * 1024));
    try {
      Files.createDirectories(logDir);
      if (!Files.exists(logDir.resolve("meta.properties"))) {
        format(logDir);
      }
      KafkaConfig config = KafkaConfig.fromProps(props, false);
      KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
      server.startup();
      String bootstrap = "localhost:" + port;
      awaitReady(bootstrap);
      LOG.info("Embedded Kafka broker ready on {} (data in {})", bootstrap, logDir);
      return new EmbeddedKafkaBroker(server, bootstrap);
    } catch (EmbeddedStartException e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EmbeddedStartException("Interrupted while starting the embedded Kafka broker", e);
    } catch (Exception e) {
      throw new EmbeddedStartException(
          "The embedded Kafka broker did not start (data in "
              + logDir
              + "): "
              + e.getMessage()
              + ". If the data is damaged, start over with 'carve up --fresh'.",
          e);
    }
  }

  private static void format(Path logDir) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new Formatter()
        .setPrintStream(new PrintStream(out, true, StandardCharsets.UTF_8))
        .setNodeId(1)
        .setClusterId(Uuid.randomUuid().toString())
        .setControllerListenerName("CONTROLLER")
        .setMetadataLogDirectory(logDir.toString())
        .setDirectories(java.util.List.of(logDir.toString()))
        .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
        .run();
    LOG.debug("Formatted Kafka storage: {}", out.toString(StandardCharsets.UTF_8).strip());
  }

  private static void awaitReady(String bootstrap) throws InterruptedException {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Exception last = null;
    try (Admin admin = Admin.create(p)) {
      while (System.nanoTime() < deadline) {
        try {
          if (!admin.describeCluster().nodes().get().isEmpty()) {
            return;
          }
        } catch (java.util.concurrent.ExecutionException e) {
          last = e;
        }
        Thread.sleep(200);
      }
    }
    throw new EmbeddedStartException(
        "The embedded Kafka broker on "
            + bootstrap
            + " did not become ready within 60 s"
            + (last == null ? "" : ": " + last.getMessage()));
  }

  /** The bootstrap servers of the broker ({@code localhost:<port>}). */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Shuts the broker down cleanly (flushes logs, writes a clean-shutdown marker). */
  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
  }
}
