package dev.carve.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.carve.core.config.Substitution;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Kafka Connect's REST API is played by a tiny HTTP server here; only in this unit test. */
class ConnectClientTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private HttpServer server;
  private ConnectClient client;
  private final Map<String, Map<String, String>> connectors = new ConcurrentHashMap<>();
  private final List<String> requests = new ArrayList<>();
  private int conflictsToAnswer;
  private long answerDelayMillis;

  @BeforeEach
  void startFakeConnect() throws IOException {
    server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
    server.createContext("/", this::handle);
    server.start();
    client =
        ConnectClient.create(
            URI.create("http://localhost:" + server.getAddress().getPort() + "/"),
            Duration.ofSeconds(5));
  }

  @AfterEach
  void stopFakeConnect() {
    server.stop(0);
  }

  private synchronized void handle(HttpExchange ex) throws IOException {
    String method = ex.getRequestMethod();
    String path = ex.getRequestURI().getPath();
    String query = ex.getRequestURI().getQuery();
    requests.add(method + " " + path + (query == null ? "" : "?" + query));
    byte[] body = ex.getRequestBody().readAllBytes();
    String[] parts = path.split("/");
    if (answerDelayMillis > 0) {
      try {
        Thread.sleep(answerDelayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (conflictsToAnswer > 0) {
      conflictsToAnswer--;
      reply(
          ex,
          409,
          Map.of(
              "error_code",
              409,
              "message",
              "Cannot complete request momentarily due to stale configuration (typically caused by"
                  + " a concurrent config change)"));
      return;
    }
    if (method.equals("PUT") && path.endsWith("/config/validate")) {
      Map<String, String> config =
          JSON.readValue(body, new TypeReference<Map<String, String>>() {});
      List<Object> configs = new ArrayList<>();
      int errors = 0;
      for (String key : List.of("database.hostname", "topic.prefix", "slot.name")) {
        List<String> messages = new ArrayList<>();
        if (key.equals("slot.name") && "Bad-Slot".equals(config.get(key))) {
          messages.add(
              "Slot names may only contain lower case letters, numbers, and the underscore character");
        }
        errors += messages.size();
        configs.add(
            Map.of(
                "definition",
                Map.of("name", key),
                "value",
                Map.of("name", key, "errors", messages)));
      }
      reply(
          ex,
          200,
          Map.of("name", parts[2], "error_count", errors, "groups", List.of(), "configs", configs));
    } else if (parts.length == 4 && parts[3].equals("config") && method.equals("PUT")) {
      Map<String, String> config =
          JSON.readValue(body, new TypeReference<LinkedHashMap<String, String>>() {});
      boolean existed = connectors.put(parts[2], config) != null;
      reply(
          ex, existed ? 200 : 201, Map.of("name", parts[2], "config", config, "tasks", List.of()));
    } else if (parts.length == 4 && parts[3].equals("config") && method.equals("GET")) {
      Map<String, String> config = connectors.get(parts[2]);
      if (config == null) {
        reply(
            ex, 404, Map.of("error_code", 404, "message", "Connector " + parts[2] + " not found"));
      } else {
        reply(ex, 200, config);
      }
    } else if (parts.length == 4 && parts[3].equals("status")) {
      if (!connectors.containsKey(parts[2])) {
        reply(
            ex,
            404,
            Map.of("error_code", 404, "message", "No status found for connector " + parts[2]));
        return;
      }
      reply(
          ex,
          200,
          Map.of(
              "name",
              parts[2],
              "connector",
              Map.of("state", "RUNNING", "worker_id", "10.0.0.1:8083"),
              "tasks",
              List.of(
                  Map.of(
                      "id",
                      0,
                      "state",
                      "FAILED",
                      "worker_id",
                      "10.0.0.1:8083",
                      "trace",
                      "org.postgresql.util.PSQLException: boom")),
              "type",
              "source"));
    } else if (parts.length == 4 && parts[3].equals("restart")) {
      // KIP-745: 202 with the status, the instances being restarted in state RESTARTING.
      reply(
          ex,
          202,
          Map.of(
              "name",
              parts[2],
              "connector",
              Map.of("state", "RUNNING", "worker_id", "10.0.0.1:8083"),
              "tasks",
              List.of(Map.of("id", 0, "state", "RESTARTING", "worker_id", "10.0.0.1:8083")),
              "type",
              "source"));
    } else if (parts.length == 4 && (parts[3].equals("pause") || parts[3].equals("resume"))) {
      reply(ex, 202, null);
    } else {
      reply(ex, 404, Map.of("error_code", 404, "message", "Unknown path " + path));
    }
  }

  private static void reply(HttpExchange ex, int status, Object body) throws IOException {
    byte[] bytes = body == null ? new byte[0] : JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
    ex.close();
  }

  private static ConnectorConfig legacyShop(Map<String, String> env) {
    return ConnectorConfig.load(Path.of("connectors/legacy-shop.json"), new Substitution(env::get));
  }

  @Test
  void deployCreatesThenLeavesAnUnchangedConfigAloneThenUpdates() {
    ConnectorConfig config = legacyShop(Map.of());

    assertThat(client.deploy(config)).isEqualTo(ConnectClient.DeployResult.CREATED);
    assertThat(connectors.get("legacy-shop"))
        .containsEntry("name", "legacy-shop")
        .containsEntry("plugin.name", "pgoutput");
    requests.clear();
    assertThat(client.deploy(config)).isEqualTo(ConnectClient.DeployResult.UNCHANGED);
    assertThat(requests).noneMatch(r -> r.equals("PUT /connectors/legacy-shop/config"));
    assertThat(client.deploy(legacyShop(Map.of("MONOLITH_HOST", "db2"))))
        .isEqualTo(ConnectClient.DeployResult.UPDATED);
    assertThat(connectors.get("legacy-shop")).containsEntry("database.hostname", "db2");
  }

  @Test
  void validationErrorsAreListedPerKeyAndNothingIsDeployed() {
    ConnectorConfig bad = legacyShop(Map.of()).withOverrides(Map.of("slot.name", "Bad-Slot"));

    ConnectClient.Validation validation = client.validate(bad);
    assertThat(validation.valid()).isFalse();
    assertThat(validation.errors()).containsOnlyKeys("slot.name");
    assertThatThrownBy(() -> client.deploy(bad))
        .isInstanceOf(ConnectorValidationException.class)
        .hasMessageContaining("connector 'legacy-shop'")
        .hasMessageContaining("slot.name: Slot names may only contain");
    assertThat(connectors).isEmpty();
    assertThat(requests)
        .contains(
            "PUT /connector-plugins/io.debezium.connector.postgresql.PostgresConnector/config/validate");
  }

  @Test
  void diffShowsAddedRemovedAndChangedKeysWithSecretsMasked() {
    Map<String, String> deployed = new LinkedHashMap<>(legacyShop(Map.of()).config());
    deployed.put("name", "legacy-shop");
    deployed.put("database.password", "old-secret");
    deployed.put("poll.interval.ms", "100");
    deployed.remove("heartbeat.interval.ms");
    connectors.put("legacy-shop", deployed);

    ConnectClient.ConfigDiff diff =
        client.diff(legacyShop(Map.of("MONOLITH_PASSWORD", "new-secret", "MONOLITH_HOST", "db2")));

    assertThat(diff.empty()).isFalse();
    assertThat(diff.added()).containsExactly(Map.entry("heartbeat.interval.ms", "10000"));
    assertThat(diff.removed()).containsExactly(Map.entry("poll.interval.ms", "100"));
    assertThat(diff.changed())
        .containsEntry("database.hostname", new ConnectClient.Change("localhost", "db2"))
        .containsEntry("database.password", new ConnectClient.Change("****", "****"));
    assertThat(String.join("\n", diff.lines())).doesNotContain("secret");
  }

  @Test
  void diffOfAnUndeployedConnectorAddsEveryKey() {
    ConnectClient.ConfigDiff diff = client.diff(legacyShop(Map.of()));

    assertThat(diff.deployed()).isFalse();
    assertThat(diff.added())
        .containsKey("connector.class")
        .containsEntry("database.password", "****");
  }

  @Test
  void statusListsTasksWithTheirTrace() {
    client.deploy(legacyShop(Map.of()));

    ConnectClient.ConnectorStatus status = client.status("legacy-shop");

    assertThat(status.state()).isEqualTo("RUNNING");
    assertThat(status.healthy()).isFalse();
    assertThat(status.tasks())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.state()).isEqualTo("FAILED");
              assertThat(t.trace()).contains("PSQLException");
            });
  }

  @Test
  void restartPauseAndResumeUseConnectsEndpoints() {
    client.deploy(legacyShop(Map.of()));
    requests.clear();

    assertThat(client.restart("legacy-shop", true, true))
        .hasValueSatisfying(s -> assertThat(s.restarting()).containsExactly("task 0"));
    client.pause("legacy-shop");
    client.resume("legacy-shop");

    assertThat(requests)
        .containsExactly(
            "POST /connectors/legacy-shop/restart?includeTasks=true&onlyFailed=true",
            "PUT /connectors/legacy-shop/pause",
            "PUT /connectors/legacy-shop/resume");
  }

  @Test
  void errorsNameTheRequestAndConnectsMessage() {
    assertThatThrownBy(() -> client.status("missing"))
        .isInstanceOf(ConnectApiException.class)
        .hasMessageContaining("read the status of connector 'missing'")
        .hasMessageContaining("404")
        .hasMessageContaining("No status found for connector missing")
        .satisfies(e -> assertThat(((ConnectApiException) e).status()).isEqualTo(404));
  }

  /** A secret for Connect stays a reference to the worker's FileConfigProvider, never plaintext. */
  @Test
  void configProviderReferencesAreDeployedAsTheyAre() throws IOException {
    String ref = "${file:/opt/connect/secrets.properties:db.password}";
    String json =
        Files.readString(Path.of("connectors/legacy-shop.json"))
            .replace("${MONOLITH_PASSWORD:-postgres}", ref);
    assertThat(json).contains(ref);

    client.deploy(ConnectorConfig.parse(json, "c.json", new Substitution(name -> null)));

    assertThat(connectors.get("legacy-shop")).containsEntry("database.password", ref);
  }

  /** Regression: a running connector without tasks (capturing nothing) counted as healthy. */
  @Test
  void runningConnectorWithoutTasksIsNotHealthy() {
    assertThat(new ConnectClient.ConnectorStatus("c", "RUNNING", "w", null, List.of()).healthy())
        .isFalse();
    assertThat(
            new ConnectClient.ConnectorStatus(
                    "c",
                    "RUNNING",
                    "w",
                    null,
                    List.of(new ConnectClient.TaskStatus(0, "RUNNING", "w", null)))
                .healthy())
        .isTrue();
  }

  /** Regression: every request was tried once, so a deploy followed by a status failed. */
  @Test
  void conflictWhileConnectRebalancesIsRetried() {
    client.deploy(legacyShop(Map.of()));
    synchronized (this) {
      requests.clear();
      conflictsToAnswer = 2;
    }

    ConnectClient.ConnectorStatus status = client.status("legacy-shop");

    assertThat(status.state()).isEqualTo("RUNNING");
    assertThat(requests)
        .containsExactly(
            "GET /connectors/legacy-shop/status",
            "GET /connectors/legacy-shop/status",
            "GET /connectors/legacy-shop/status");
  }

  @Test
  void slowConnectIsToldApartFromUnreachableConnect() {
    ConnectClient impatient =
        ConnectClient.create(
            URI.create("http://localhost:" + server.getAddress().getPort()),
            Duration.ofMillis(300));
    answerDelayMillis = 1_000;

    assertThatThrownBy(() -> impatient.status("legacy-shop"))
        .isInstanceOf(ConnectApiException.class)
        .hasMessageContaining("did not answer within")
        .hasMessageNotContaining("cannot reach");
  }

  @Test
  void unreachableConnectNamesItsUrl() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ConnectClient nowhere =
        ConnectClient.create(URI.create("http://localhost:" + port), Duration.ofSeconds(2));

    assertThatThrownBy(() -> nowhere.status("legacy-shop"))
        .isInstanceOf(ConnectApiException.class)
        .hasMessageContaining("cannot reach Kafka Connect at http://localhost:" + port);
  }
}
