package dev.carve.cli.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(240)
class EmbeddedInfrastructureIT {

  @Test
  void brokerAndPostgresKeepTheirStateAcrossRestarts(@TempDir Path dir) throws Exception {
    int kafkaPort = freePort();
    int controllerPort = freePort();
    int pgPort = freePort();

    try (EmbeddedKafkaBroker broker =
            EmbeddedKafkaBroker.start(dir.resolve("kafka"), kafkaPort, controllerPort);
        EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("postgres"), pgPort)) {
      try (Admin admin =
          Admin.create(
              Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
        admin.createTopics(List.of(new NewTopic("restart.check", 1, (short) 1))).all().get();
      }
      assertThat(pg.ensureDatabase("restart_check")).isTrue();
      try (Connection c = pg.connect("restart_check")) {
        c.createStatement().execute("CREATE TABLE kept (id int primary key)");
        c.createStatement().execute("INSERT INTO kept VALUES (42)");
      }
    }

    try (EmbeddedKafkaBroker broker =
            EmbeddedKafkaBroker.start(dir.resolve("kafka"), kafkaPort, controllerPort);
        EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("postgres"), pgPort)) {
      try (Admin admin =
          Admin.create(
              Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
        assertThat(admin.listTopics().names().get()).contains("restart.check");
      }
      assertThat(pg.ensureDatabase("restart_check")).isFalse();
      try (Connection c = pg.connect("restart_check");
          ResultSet rs = c.createStatement().executeQuery("SELECT id FROM kept")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(42);
      }
    }
  }

  @Test
  void portInUseFailsNamingThePortAndTheFix(@TempDir Path dir) throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      int port = taken.getLocalPort();
      assertThatThrownBy(() -> EmbeddedKafkaBroker.start(dir, port, freePort()))
          .isInstanceOf(EmbeddedStartException.class)
          .hasMessageContaining("Port " + port + " for the Kafka broker is already in use")
          .hasMessageContaining("--kafka-port");
    }
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
