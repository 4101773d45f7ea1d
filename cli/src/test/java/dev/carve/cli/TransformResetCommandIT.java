package dev.carve.cli;

import static dev.carve.cli.CommandItSupport.carve;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.carve.cli.CommandItSupport.Run;
import dev.carve.testkit.TestKafka;
import dev.carve.testkit.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carve transform <service> --reset}: says what it would delete, refuses while the service's
 * sink is connected, then deletes the application's offsets, domain topics and local state (the
 * Streams side of a reset, internal topics included, is in TransformerResetIT).
 */
@Timeout(180)
class TransformResetCommandIT {
  private static final String SERVICE = "reset_cli";
  private static final String APP = "carve-" + SERVICE;
  private static final String DOMAIN = SERVICE + ".item";
  private static final String RAW = "legacy.public.items";

  @TempDir Path dir;

  private Path config() throws Exception {
    String yaml =
        String.join(
            "\n",
            "kafka:",
            "  bootstrap-servers: " + TestKafka.bootstrapServers(),
            "schema-registry:",
            "  url: http://127.0.0.1:9  # a reset never calls the registry",
            "services:",
            "  " + SERVICE + ":",
            "    topology: " + ResetCliTopology.class.getName(),
            "    target:",
            "      jdbc-url: " + TestPostgres.jdbcUrl("reset_cli_never_opened"),
            "      username: " + TestPostgres.USER,
            "      password: \"" + TestPostgres.PASSWORD + "\"",
            "");
    Path file = dir.resolve("carve.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  @Test
  void resetSaysWhatItDeletesRefusesWhileTheSinkIsConnectedAndThenDeletesIt() throws Exception {
    String cfg = config().toString();
    Path state = dir.resolve("state");
    Path local = state.resolve("streams").resolve(APP);
    Files.createDirectories(local.resolve("0_0"));
    TestKafka.createTopics(1, true, RAW, DOMAIN);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", TestKafka.bootstrapServers()))) {
      // The application's committed offsets, as a run of the transformer leaves them.
      admin
          .alterConsumerGroupOffsets(
              APP, Map.of(new TopicPartition(RAW, 0), new OffsetAndMetadata(0)))
          .all()
          .get();

      Run dry =
          carve(
              "transform",
              SERVICE,
              "--reset",
              "--dry-run",
              "--config",
              cfg,
              "--state-dir",
              state.toString());
      assertThat(dry.exit()).as(dry.both()).isZero();
      assertThat(dry.out())
          .contains("would delete (dry run)", "consumer group " + APP, DOMAIN, local.toString());
      assertThat(admin.listTopics().names().get()).contains(DOMAIN);

      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
      p.put(ConsumerConfig.GROUP_ID_CONFIG, "carve-sink-" + SERVICE);
      try (KafkaConsumer<byte[], byte[]> sink =
          new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        sink.subscribe(List.of(DOMAIN));
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> {
                  sink.poll(Duration.ofMillis(200));
                  return !sink.assignment().isEmpty();
                });
        Run refused =
            carve(
                "transform", SERVICE, "--reset", "--config", cfg, "--state-dir", state.toString());
        assertThat(refused.exit()).as(refused.both()).isNotZero();
        assertThat(refused.err())
            .contains(
                "consumer group carve-sink-" + SERVICE + " (1 member(s))",
                "Stop the service's transformer and sink");
        assertThat(admin.listTopics().names().get()).contains(DOMAIN);
        assertThat(local).exists();
      }

      Run reset =
          carve("transform", SERVICE, "--reset", "--config", cfg, "--state-dir", state.toString());
      assertThat(reset.exit()).as(reset.both()).isZero();
      assertThat(reset.out()).contains("deleted", DOMAIN, "carve replay " + SERVICE);
      assertThat(admin.listTopics().names().get()).doesNotContain(DOMAIN).contains(RAW);
      assertThat(admin.listConsumerGroupOffsets(APP).partitionsToOffsetAndMetadata().get())
          .isEmpty();
      assertThat(local).doesNotExist();
    }
  }
}
