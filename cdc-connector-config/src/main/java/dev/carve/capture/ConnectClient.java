package dev.carve.capture;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carve.core.retry.Retrier;
import dev.carve.core.retry.RetriesExhaustedException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of Kafka Connect's REST API for one cluster: validates a {@link ConnectorConfig} with
 * the connector plugin, deploys it idempotently, shows what differs from the deployed config, and
 * reads status, restarts, pauses and resumes. Thread-safe.
 */
public final class ConnectClient {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI baseUrl;
  private final HttpClient http;
  private final Duration timeout;

  /**
   * Connect answers 409 Conflict while its workers rebalance, which follows every new or changed
   * connector: such a request is repeated, a bounded number of times.
   */
  private static final Retrier REBALANCE_RETRY =
      new Retrier(
          6,
          Duration.ofMillis(500),
          Duration.ofSeconds(4),
          e -> e instanceof ConnectApiException c && c.status() == 409);

  /** What {@link #deploy} did. */
  public enum DeployResult {
    /** The connector did not exist and was created. */
    CREATED,
    /** The connector existed with another config, which was replaced. */
    UPDATED,
    /** The connector existed with the same config; nothing was sent. */
    UNCHANGED
  }

  /**
   * The plugin's verdict on a config.
   *
   * @param connectorClass the validated connector class
   * @param errorCount the number of errors Connect counted
   * @param errors the error messages per config key, only keys with errors, sorted by key
   */
  public record Validation(
      String connectorClass, int errorCount, Map<String, List<String>> errors) {
    /** Copies the map. */
    public Validation {
      errors = Collections.unmodifiableMap(new TreeMap<>(errors));
    }

    /** True when Connect found no error. */
    public boolean valid() {
      return errorCount == 0;
    }

    /** One line per error: {@code key: message}. */
    public List<String> problems() {
      List<String> out = new ArrayList<>();
      errors.forEach((k, list) -> list.forEach(m -> out.add(k + ": " + m)));
      return out;
    }
  }

  /**
   * The status of a task.
   *
   * @param id the task number
   * @param state RUNNING, PAUSED, FAILED, UNASSIGNED or RESTARTING
   * @param workerId the worker running it; may be null
   * @param trace the stack trace of a failed task; null otherwise
   */
  public record TaskStatus(int id, String state, String workerId, String trace) {}

  /**
   * The status of a connector and its tasks.
   *
   * @param name the connector's name
   * @param state RUNNING, PAUSED, STOPPED, FAILED, UNASSIGNED or RESTARTING
   * @param workerId the worker running the connector; may be null
   * @param trace the stack trace of a failed connector; null otherwise
   * @param tasks the tasks
   */
  public record ConnectorStatus(
      String name, String state, String workerId, String trace, List<TaskStatus> tasks) {
    /** Copies the list. */
    public ConnectorStatus {
      tasks = List.copyOf(tasks);
    }

    /**
     * True when the connector and every task run, and there is at least one task: a running
     * connector without tasks captures nothing.
     */
    public boolean healthy() {
      return "RUNNING".equals(state)
          && !tasks.isEmpty()
          && tasks.stream().allMatch(t -> "RUNNING".equals(t.state()));
    }

    /** The instances in state {@code RESTARTING}: "connector" and "task N". */
    public List<String> restarting() {
      List<String> out = new ArrayList<>();
      if ("RESTARTING".equals(state)) {
        out.add("connector");
      }
      tasks.stream()
          .filter(t -> "RESTARTING".equals(t.state()))
          .forEach(t -> out.add("task " + t.id()));
      return out;
    }
  }

  /**
   * A changed value in a {@link ConfigDiff}; secrets are shown as {@code ****}.
   *
   * @param deployed the value deployed in Connect
   * @param file the value in the connector file
   */
  public record Change(String deployed, String file) {}

  /**
   * What differs between the deployed config and the file, secrets masked.
   *
   * @param connector the connector's name
   * @param deployed false when the connector does not exist in Connect (all keys are then added)
   * @param added keys only in the file, with their values
   * @param removed keys only in Connect, with their values
   * @param changed keys in both with different values
   */
  public record ConfigDiff(
      String connector,
      boolean deployed,
      Map<String, String> added,
      Map<String, String> removed,
      Map<String, Change> changed) {
    /** Copies the maps. */
    public ConfigDiff {
      added = Collections.unmodifiableMap(new TreeMap<>(added));
      removed = Collections.unmodifiableMap(new TreeMap<>(removed));
      changed = Collections.unmodifiableMap(new TreeMap<>(changed));
    }

    /** True when deploying the file would change nothing. */
    public boolean empty() {
      return deployed && added.isEmpty() && removed.isEmpty() && changed.isEmpty();
    }

    /** One line per difference: {@code + key=value}, {@code - key=value}, {@code ~ key: a -> b}. */
    public List<String> lines() {
      List<String> out = new ArrayList<>();
      added.forEach((k, v) -> out.add("+ " + k + "=" + v));
      removed.forEach((k, v) -> out.add("- " + k + "=" + v));
      changed.forEach((k, c) -> out.add("~ " + k + ": " + c.deployed() + " -> " + c.file()));
      return out;
    }
  }

  private ConnectClient(URI baseUrl, Duration timeout) {
    String s = baseUrl.toString();
    this.baseUrl = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /**
   * A client of the Connect cluster at {@code baseUrl}, waiting up to 90 seconds per request (as
   * long as Connect's own REST timeout, which a validation against the database may take).
   *
   * @param baseUrl e.g. {@code http://localhost:8083}, never null
   */
  public static ConnectClient create(URI baseUrl) {
    return create(baseUrl, Duration.ofSeconds(90));
  }

  /**
   * A client of the Connect cluster at {@code baseUrl}.
   *
   * @param baseUrl e.g. {@code http://localhost:8083}, never null
   * @param timeout how long to wait for a connection and for each answer
   */
  public static ConnectClient create(URI baseUrl, Duration timeout) {
    return new ConnectClient(Objects.requireNonNull(baseUrl, "baseUrl"), timeout);
  }

  /**
   * Validates a config with the connector plugin ({@code PUT
   * /connector-plugins/{class}/config/validate}).
   *
   * @throws ConnectApiException when Connect refuses the request or cannot be reached
   */
  public Validation validate(ConnectorConfig config) {
    String cls = config.get("connector.class");
    Map<String, String> body = new LinkedHashMap<>(config.config());
    body.put("name", config.name());
    JsonNode answer =
        send(
            "PUT",
            "/connector-plugins/" + encode(cls) + "/config/validate",
            body,
            "validate connector '" + config.name() + "'");
    Map<String, List<String>> errors = new LinkedHashMap<>();
    for (JsonNode c : answer.path("configs")) {
      JsonNode value = c.path("value");
      List<String> messages = new ArrayList<>();
      value.path("errors").forEach(e -> messages.add(e.asText()));
      if (!messages.isEmpty()) {
        errors.put(value.path("name").asText(c.at("/definition/name").asText()), messages);
      }
    }
    return new Validation(cls, answer.path("error_count").asInt(errors.size()), errors);
  }

  /**
   * Deploys a config: validates it, then creates or replaces the connector's config ({@code PUT
   * /connectors/{name}/config}), or does nothing when Connect already runs this config.
   *
   * @return what was done
   * @throws ConnectorValidationException when Connect finds errors (nothing is deployed)
   * @throws ConnectApiException when Connect refuses the request or cannot be reached
   */
  public DeployResult deploy(ConnectorConfig config) {
    Validation validation = validate(config);
    if (!validation.valid()) {
      throw new ConnectorValidationException(config.name(), validation);
    }
    Optional<Map<String, String>> deployed = deployedConfig(config.name());
    if (deployed.isPresent() && sameConfig(deployed.get(), config)) {
      LOG.info("Connector '{}' already runs this config; nothing to deploy", config.name());
      return DeployResult.UNCHANGED;
    }
    Map<String, String> body = new LinkedHashMap<>(config.config());
    body.put("name", config.name());
    send(
        "PUT",
        "/connectors/" + encode(config.name()) + "/config",
        body,
        "deploy connector '" + config.name() + "'");
    DeployResult result = deployed.isPresent() ? DeployResult.UPDATED : DeployResult.CREATED;
    LOG.info(
        "Connector '{}' {}: {}",
        config.name(),
        result.name().toLowerCase(Locale.ROOT),
        config.masked());
    return result;
  }

  private static boolean sameConfig(Map<String, String> deployed, ConnectorConfig config) {
    Map<String, String> a = new TreeMap<>(deployed);
    Map<String, String> b = new TreeMap<>(config.config());
    a.remove("name");
    b.remove("name");
    return a.equals(b);
  }

  /**
   * The config Connect holds for a connector ({@code GET /connectors/{name}/config}).
   *
   * @return the config, or empty when the connector does not exist
   * @throws ConnectApiException when Connect refuses the request or cannot be reached
   */
  public Optional<Map<String, String>> deployedConfig(String name) {
    try {
      JsonNode answer =
          send(
              "GET",
              "/connectors/" + encode(name) + "/config",
              null,
              "read the config of connector '" + name + "'");
      return Optional.of(
          JSON.convertValue(answer, new TypeReference<LinkedHashMap<String, String>>() {}));
    } catch (ConnectApiException e) {
      if (e.status() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /**
   * What deploying {@code config} would change, with secrets masked.
   *
   * @throws ConnectApiException when Connect refuses the request or cannot be reached
   */
  public ConfigDiff diff(ConnectorConfig config) {
    Optional<Map<String, String>> deployed = deployedConfig(config.name());
    Map<String, String> current = new TreeMap<>(deployed.orElse(Map.of()));
    Map<String, String> file = new TreeMap<>(config.config());
    current.remove("name");
    file.remove("name");
    Map<String, String> added = new LinkedHashMap<>();
    Map<String, String> removed = new LinkedHashMap<>();
    Map<String, Change> changed = new LinkedHashMap<>();
    file.forEach(
        (k, v) -> {
          if (!current.containsKey(k)) {
            added.put(k, mask(k, v));
          } else if (!Objects.equals(current.get(k), v)) {
            changed.put(k, new Change(mask(k, current.get(k)), mask(k, v)));
          }
        });
    current.forEach(
        (k, v) -> {
          if (!file.containsKey(k)) {
            removed.put(k, mask(k, v));
          }
        });
    return new ConfigDiff(config.name(), deployed.isPresent(), added, removed, changed);
  }

  private static String mask(String key, String value) {
    return ConnectorConfig.isSecretKey(key) && value != null ? "****" : value;
  }

  /**
   * The status of a connector and its tasks ({@code GET /connectors/{name}/status}).
   *
   * @throws ConnectApiException with status 404 when the connector does not exist
   */
  public ConnectorStatus status(String name) {
    return parseStatus(
        name,
        send(
            "GET",
            "/connectors/" + encode(name) + "/status",
            null,
            "read the status of connector '" + name + "'"));
  }

  private static ConnectorStatus parseStatus(String name, JsonNode s) {
    List<TaskStatus> tasks = new ArrayList<>();
    for (JsonNode t : s.path("tasks")) {
      tasks.add(
          new TaskStatus(
              t.path("id").asInt(),
              t.path("state").asText(),
              text(t, "worker_id"),
              text(t, "trace")));
    }
    JsonNode c = s.path("connector");
    return new ConnectorStatus(
        s.path("name").asText(name),
        c.path("state").asText(),
        text(c, "worker_id"),
        text(c, "trace"),
        tasks);
  }

  /**
   * Restarts a connector ({@code POST /connectors/{name}/restart}).
   *
   * @param includeTasks also restart its tasks
   * @param onlyFailed restart only instances that failed
   * @return what Connect restarts: the instances in state {@code RESTARTING} of the status it
   *     answers with (202); empty when it answered without a body (204, both flags false: the
   *     connector alone restarted)
   * @throws ConnectApiException when Connect refuses the request or cannot be reached
   */
  public Optional<ConnectorStatus> restart(String name, boolean includeTasks, boolean onlyFailed) {
    JsonNode answer =
        send(
            "POST",
            "/connectors/"
                + encode(name)
                + "/restart?includeTasks="
                + includeTasks
                + "&onlyFailed="
                + onlyFailed,
            null,
            "restart connector '" + name + "'");
    return answer.has("connector") ? Optional.of(parseStatus(name, answer)) : Optional.empty();
  }

  /**
   * Pauses a connector and its tasks ({@code PUT /connectors/{name}/pause}).
   *
   * @throws ConnectApiException when Connect refuses the request or cannot be reached
   */
  public void pause(String name) {
    send("PUT", "/connectors/" + encode(name) + "/pause", null, "pause connector '" + name + "'");
  }

  /**
   * Resumes a paused connector ({@code PUT /connectors/{name}/resume}).
   *
   * @throws ConnectApiException when Connect refuses the request or cannot be reached
   */
  public void resume(String name) {
    send("PUT", "/connectors/" + encode(name) + "/resume", null, "resume connector '" + name + "'");
  }

  /**
   * Deletes a connector ({@code DELETE /connectors/{name}}); its offsets stay in Connect.
   *
   * @throws ConnectApiException when Connect refuses the request or cannot be reached
   */
  public void delete(String name) {
    send("DELETE", "/connectors/" + encode(name), null, "delete connector '" + name + "'");
  }

  private JsonNode send(String method, String path, Object body, String what) {
    try {
      return REBALANCE_RETRY.call(what, () -> sendOnce(method, path, body, what));
    } catch (RetriesExhaustedException e) {
      if (e.getCause() instanceof ConnectApiException c) {
        if (e.attempts() == 1) {
          throw c;
        }
        throw new ConnectApiException(e.getMessage(), c.status(), c);
      }
      throw new ConnectApiException("Failed to " + what + ": " + e.getMessage(), -1, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConnectApiException("Interrupted while trying to " + what, -1, e);
    }
  }

  private JsonNode sendOnce(String method, String path, Object body, String what)
      throws InterruptedException {
    URI uri = URI.create(baseUrl + path);
    String failed = "Failed to " + what + ": " + method + " " + uri;
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json");
    try {
      if (body == null) {
        request.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        request.header("Content-Type", "application/json");
        request.method(
            method,
            HttpRequest.BodyPublishers.ofString(
                JSON.writeValueAsString(body), StandardCharsets.UTF_8));
      }
      HttpResponse<String> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      String text = response.body();
      if (response.statusCode() >= 300) {
        throw new ConnectApiException(
            failed + " answered " + response.statusCode() + ": " + connectMessage(text),
            response.statusCode(),
            null);
      }
      try {
        return text == null || text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
      } catch (JsonProcessingException e) {
        throw new ConnectApiException(
            failed + " answered with malformed JSON: " + e.getOriginalMessage(), -1, e);
      }
    } catch (JsonProcessingException e) {
      throw new ConnectApiException(
          failed + ": could not write the request as JSON: " + e.getOriginalMessage(), -1, e);
    } catch (HttpTimeoutException e) {
      // Connected, but no answer in time: Connect is up and busy, e.g. validating a connector
      // config, which makes Debezium connect to the database first.
      throw new ConnectApiException(
          failed
              + " did not answer within "
              + timeout.toSeconds()
              + " s (a validation or deployment waits for the connector to reach its database:"
              + " check that Kafka Connect can reach it)",
          -1,
          e);
    } catch (IOException e) {
      throw new ConnectApiException(
          "Failed to "
              + what
              + ": cannot reach Kafka Connect at "
              + baseUrl
              + " ("
              + e
              + "); check that it runs, or fix its URL",
          -1,
          e);
    }
  }

  private static String connectMessage(String body) {
    if (body == null || body.isBlank()) {
      return "(no message)";
    }
    try {
      JsonNode n = JSON.readTree(body);
      return n.hasNonNull("message") ? n.get("message").asText() : body;
    } catch (JsonProcessingException e) {
      return body.length() > 500 ? body.substring(0, 500) + "..." : body;
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
