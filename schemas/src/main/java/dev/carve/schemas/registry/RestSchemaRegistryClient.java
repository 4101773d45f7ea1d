package dev.carve.schemas.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.core.retry.Retrier;
import dev.carve.core.retry.RetriesExhaustedException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SchemaRegistryClient} over the Confluent Schema Registry REST API with {@code
 * java.net.http}.
 *
 * <p>Caches what cannot change: schema by id, id by subject and schema, and fixed versions. Tries
 * the URLs in order and keeps using the last one that answered; a request fails over to the next
 * URL on a connect failure, a timeout or a 5xx, and a round over all URLs that failed this way is
 * retried through {@link Retrier} with exponential backoff. A 4xx answer fails at once with the
 * registry's {@code error_code}; an answer that refuses the client rather than the request (401,
 * 403, a 404 of no registry endpoint: see {@link RegistryException#unavailable()}) says which key
 * to check.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {
  private static final Logger LOG = LoggerFactory.getLogger(RestSchemaRegistryClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final String ACCEPT =
      "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9,"
          + " application/json; qs=0.5";

  private final RegistryClientConfig config;
  private final HttpClient http;
  private final Retrier retrier;
  private final String authorization;
  private volatile int preferred;

  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
  private final Map<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();
  private final Map<SubjectSchema, RegisteredSchema> lookups = new ConcurrentHashMap<>();
  private final Map<SubjectVersion, RegisteredSchema> versions = new ConcurrentHashMap<>();

  /** Keyed by the schema's full JSON: Schema.equals ignores docs, the registry does not. */
  private record SubjectSchema(String subject, String schema) {}

  private record SubjectVersion(String subject, int version) {}

  /** A registry's answer and the URL that gave it, for messages. */
  private record Answer(String url, JsonNode body) {}

  /**
   * Creates a client.
   *
   * @throws IllegalArgumentException naming the key when the truststore cannot be loaded
   */
  public RestSchemaRegistryClient(RegistryClientConfig config) {
    if (config.isMock()) {
      throw new IllegalArgumentException(
          "mock:// registries have no REST client; use SchemaRegistryClient.create(config)");
    }
    this.config = config;
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .connectTimeout(config.requestTimeout())
            // Never follow: Java turns a redirected POST into a GET and keeps the Authorization
            // header across hosts. A redirect is an error naming its Location instead.
            .followRedirects(HttpClient.Redirect.NEVER);
    if (config.truststoreLocation() != null) {
      builder.sslContext(sslContext(config));
    }
    this.http = builder.build();
    this.retrier =
        new Retrier(
            config.maxAttempts(),
            config.retryBackoff(),
            config.maxRetryBackoff(),
            e -> e instanceof RegistryException r && r.retriable());
    this.authorization =
        config.userInfo() == null
            ? null
            : "Basic "
                + Base64.getEncoder()
                    .encodeToString(config.userInfo().getBytes(StandardCharsets.UTF_8));
  }

  /** A client of these URLs with default settings. */
  public static RestSchemaRegistryClient of(String... urls) {
    return new RestSchemaRegistryClient(RegistryClientConfig.of(urls));
  }

  private static SSLContext sslContext(RegistryClientConfig config) {
    try (InputStream in = Files.newInputStream(Path.of(config.truststoreLocation()))) {
      KeyStore store = KeyStore.getInstance(config.truststoreType());
      char[] password =
          config.truststorePassword() == null ? null : config.truststorePassword().toCharArray();
      store.load(in, password);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "Could not load the truststore '"
              + config.truststoreLocation()
              + "' ("
              + RegistryClientConfig.TRUSTSTORE_LOCATION
              + ", type "
              + config.truststoreType()
              + "): "
              + e.getMessage(),
          e);
    }
  }

  /** The configuration of this client. */
  public RegistryClientConfig config() {
    return config;
  }

  @Override
  public int register(String subject, Schema schema) {
    SubjectSchema key = new SubjectSchema(subject, schema.toString());
    Integer cached = idsBySubjectSchema.get(key);
    if (cached != null) {
      return cached;
    }
    String what = "register a schema under subject '" + subject + "'";
    Answer answer =
        answer("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema), what);
    int id = positive(answer, "id", what);
    idsBySubjectSchema.put(key, id);
    schemasById.putIfAbsent(id, schema);
    return id;
  }

  @Override
  public RegisteredSchema lookup(String subject, Schema schema) {
    SubjectSchema key = new SubjectSchema(subject, schema.toString());
    RegisteredSchema cached = lookups.get(key);
    if (cached != null) {
      return cached;
    }
    String what = "look up a schema under subject '" + subject + "'";
    RegisteredSchema found =
        registered(
            answer("POST", "/subjects/" + encode(subject), schemaBody(schema), what),
            subject,
            what);
    lookups.put(key, found);
    idsBySubjectSchema.putIfAbsent(key, found.id());
    return found;
  }

  @Override
  public Schema schemaById(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode response = request("GET", "/schemas/ids/" + id, null, "get schema id " + id);
    Schema schema = parseSchema(response.path("schema").asText(), "schema id " + id);
    schemasById.put(id, schema);
    return schema;
  }

  @Override
  public List<String> subjects() {
    JsonNode response = request("GET", "/subjects", null, "list subjects");
    List<String> out = new ArrayList<>();
    response.forEach(n -> out.add(n.asText()));
    return out;
  }

  @Override
  public List<Integer> versions(String subject) {
    JsonNode response =
        request(
            "GET",
            "/subjects/" + encode(subject) + "/versions",
            null,
            "list the versions of subject '" + subject + "'");
    List<Integer> out = new ArrayList<>();
    response.forEach(n -> out.add(n.asInt()));
    return out;
  }

  @Override
  public RegisteredSchema version(String subject, int version) {
    SubjectVersion key = new SubjectVersion(subject, version);
    RegisteredSchema cached = versions.get(key);
    if (cached != null) {
      return cached;
    }
    RegisteredSchema found = fetchVersion(subject, Integer.toString(version));
    versions.put(key, found);
    return found;
  }

  @Override
  public RegisteredSchema latest(String subject) {
    return fetchVersion(subject, "latest");
  }

  private RegisteredSchema fetchVersion(String subject, String version) {
    String what = "get version " + version + " of subject '" + subject + "'";
    RegisteredSchema found =
        registered(
            answer("GET", "/subjects/" + encode(subject) + "/versions/" + version, null, what),
            subject,
            what);
    schemasById.putIfAbsent(found.id(), found.schema());
    return found;
  }

  @Override
  public CompatibilityResult testCompatibility(String subject, Schema schema) {
    JsonNode response =
        request(
            "POST",
            "/compatibility/subjects/" + encode(subject) + "/versions/latest?verbose=true",
            schemaBody(schema),
            "test compatibility with subject '" + subject + "'");
    List<String> messages = new ArrayList<>();
    response.path("messages").forEach(n -> messages.add(n.asText()));
    return new CompatibilityResult(response.path("is_compatible").asBoolean(false), messages);
  }

  @Override
  public CompatibilityLevel globalCompatibility() {
    JsonNode response = request("GET", "/config", null, "get the global compatibility level");
    return CompatibilityLevel.parse(response.path("compatibilityLevel").asText());
  }

  @Override
  public void setGlobalCompatibility(CompatibilityLevel level) {
    request("PUT", "/config", configBody(level), "set the global compatibility level");
  }

  @Override
  public Optional<CompatibilityLevel> subjectCompatibility(String subject) {
    try {
      JsonNode response =
          request(
              "GET",
              "/config/" + encode(subject),
              null,
              "get the compatibility level of subject '" + subject + "'");
      String level = response.path("compatibilityLevel").asText(null);
      return level == null ? Optional.empty() : Optional.of(CompatibilityLevel.parse(level));
    } catch (RegistryException e) {
      if (e.errorCode() == RegistryException.SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED
          || e.errorCode() == RegistryException.SUBJECT_NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  @Override
  public void setSubjectCompatibility(String subject, CompatibilityLevel level) {
    request(
        "PUT",
        "/config/" + encode(subject),
        configBody(level),
        "set the compatibility level of subject '" + subject + "'");
  }

  /**
   * {@inheritDoc}
   *
   * <p>When an attempt got no answer (a timeout, a 5xx) and a later one gets 40404 (soft delete:
   * already soft-deleted) or 40401 (permanent delete: already gone), the unanswered attempt did the
   * delete: the call succeeds, with an empty list since that attempt's answer is lost.
   */
  @Override
  public List<Integer> deleteSubject(String subject, boolean permanent) {
    String what = (permanent ? "permanently delete" : "delete") + " subject '" + subject + "'";
    AtomicBoolean unanswered = new AtomicBoolean();
    JsonNode response;
    try {
      response =
          answer(
                  "DELETE",
                  "/subjects/" + encode(subject) + (permanent ? "?permanent=true" : ""),
                  null,
                  what,
                  unanswered)
              .body();
    } catch (RegistryException e) {
      int done =
          permanent ? RegistryException.SUBJECT_NOT_FOUND : RegistryException.SUBJECT_SOFT_DELETED;
      if (e.errorCode() != done || !unanswered.get()) {
        throw e;
      }
      LOG.info(
          "An earlier attempt to {} got no answer but did it; a retry was told: {}",
          what,
          e.getMessage());
      response = JSON.createArrayNode();
    }
    List<Integer> out = new ArrayList<>();
    response.forEach(n -> out.add(n.asInt()));
    idsBySubjectSchema.keySet().removeIf(k -> k.subject().equals(subject));
    lookups.keySet().removeIf(k -> k.subject().equals(subject));
    versions.keySet().removeIf(k -> k.subject().equals(subject));
    return out;
  }

  @Override
  public void close() {
    // java.net.http.HttpClient of Java 17 has nothing to close; its threads are daemons.
  }

  private JsonNode request(String method, String path, String body, String what) {
    return answer(method, path, body, what).body();
  }

  private Answer answer(String method, String path, String body, String what) {
    return answer(method, path, body, what, new AtomicBoolean());
  }

  /**
   * @param unanswered set when a request may have reached the registry without its answer reaching
   *     us (a timeout or I/O error after connecting, a 5xx), so that a retry may see its effect
   */
  private Answer answer(
      String method, String path, String body, String what, AtomicBoolean unanswered) {
    try {
      return retrier.call(
          what + " at " + config.urls(), () -> attempt(method, path, body, what, unanswered));
    } catch (RetriesExhaustedException e) {
      if (e.getCause() instanceof RegistryException r && !r.retriable()) {
        throw r;
      }
      RegistryException last = e.getCause() instanceof RegistryException r ? r : null;
      throw new RegistryException(
          last == null ? RegistryException.NO_RESPONSE : last.httpStatus(),
          last == null ? RegistryException.NO_RESPONSE : last.errorCode(),
          e.getMessage(),
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryException(
          RegistryException.NO_RESPONSE,
          RegistryException.NO_RESPONSE,
          "Interrupted while trying to " + what + " at " + config.urls(),
          e);
    }
  }

  /** One round over the URLs, starting with the one that answered last. */
  private Answer attempt(
      String method, String path, String body, String what, AtomicBoolean unanswered)
      throws InterruptedException {
    List<String> urls = config.urls();
    int start = preferred;
    RegistryException last = null;
    for (int i = 0; i < urls.size(); i++) {
      int index = (start + i) % urls.size();
      String base = urls.get(index);
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(base + path))
              .timeout(config.requestTimeout())
              .header("Accept", ACCEPT);
      if (authorization != null) {
        request.header("Authorization", authorization);
      }
      if (body != null) {
        request
            .header("Content-Type", CONTENT_TYPE)
            .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
      } else {
        request.method(method, HttpRequest.BodyPublishers.noBody());
      }
      HttpResponse<String> response;
      try {
        response =
            http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        if (!(e instanceof ConnectException || e instanceof HttpConnectTimeoutException)) {
          unanswered.set(true);
        }
        last =
            new RegistryException(
                RegistryException.NO_RESPONSE,
                RegistryException.NO_RESPONSE,
                "No answer from the schema registry at " + base + " to " + what + ": " + e,
                e);
        LOG.debug("Schema registry at {} did not answer: {}", base, e.toString());
        continue;
      }
      int status = response.statusCode();
      if (status >= 200 && status < 300) {
        preferred = index;
        return new Answer(base + path, parse(response.body(), base, what));
      }
      if (status >= 300 && status < 400) {
        preferred = index;
        throw new RegistryException(
            status,
            status,
            "The schema registry at "
                + base
                + path
                + " answered "
                + what
                + " with a redirect (HTTP "
                + status
                + ") to "
                + response.headers().firstValue("Location").orElse("(no Location header)")
                + ", which is not followed (Java would send a POST as a GET, with the credentials);"
                + " set "
                + RegistryClientConfig.URL
                + " to the address the registry answers at",
            null);
      }
      RegistryException error = error(status, response.body(), base, what);
      if (status >= 500) {
        unanswered.set(true);
      }
      if (!error.retriable()) {
        preferred = index;
        throw error;
      }
      last = error;
    }
    throw last;
  }

  private static JsonNode parse(String body, String base, String what) {
    if (body == null || body.isBlank()) {
      return JSON.nullNode();
    }
    try {
      return JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new RegistryException(
          200,
          RegistryException.NO_RESPONSE,
          "The schema registry at "
              + base
              + " answered "
              + what
              + " with a body that is not JSON: check "
              + RegistryClientConfig.URL,
          e);
    }
  }

  private RegistryException error(int status, String body, String base, String what) {
    int code = RegistryException.NO_RESPONSE;
    String message = body == null ? "" : body;
    try {
      JsonNode node = JSON.readTree(message);
      if (node != null && node.has("error_code")) {
        code = node.path("error_code").asInt(status);
        message = node.path("message").asText("");
      }
    } catch (JsonProcessingException e) {
      // Not a registry error body (a proxy's page, say): keep the HTTP status and the text.
    }
    if (message.length() > 200) {
      message = message.substring(0, 200) + "…";
    }
    RegistryException error =
        new RegistryException(
            status,
            code,
            "Schema registry at "
                + base
                + " refused to "
                + what
                + ": HTTP "
                + status
                + (code == RegistryException.NO_RESPONSE
                    ? " without a registry error_code"
                    : ", error_code " + code)
                + ": "
                + message,
            null);
    String hint = hint(error);
    return hint == null
        ? error
        : new RegistryException(status, code, error.getMessage() + "; " + hint, null);
  }

  /**
   * What to check when the registry refused the client rather than the request, for the message:
   * such an answer is the same for every record, so the message must lead to the configuration.
   */
  private String hint(RegistryException error) {
    if (!error.unavailable() || error.retriable()) {
      return null;
    }
    int status = error.httpStatus();
    if (status == 401 || status == 403) {
      return (config.userInfo() == null
              ? "no credentials are configured"
              : "the registry does not accept the configured credentials"
                  + (status == 403 ? " for this request" : ""))
          + ": check "
          + RegistryClientConfig.BASIC_AUTH_USER_INFO
          + " (or the user:password of "
          + RegistryClientConfig.URL
          + ")";
    }
    if (status == 407) {
      return "a proxy between Carve and the registry wants credentials";
    }
    return (status == 404
            ? "there is no such registry endpoint at this address (a wrong path, or a proxy in"
                + " front of the registry)"
            : "the answer is not the schema registry's")
        + ": check "
        + RegistryClientConfig.URL;
  }

  /**
   * The answer's {@code id}, {@code version}, {@code subject} and {@code schema}, which the API
   * reference says a lookup and a version return; an answer without them is refused rather than
   * read as id or version 0.
   */
  private static RegisteredSchema registered(Answer answer, String subject, String what) {
    int id = positive(answer, "id", what);
    int version = positive(answer, "version", what);
    JsonNode schema = answer.body().path("schema");
    if (!schema.isTextual()) {
      throw unexpected(answer, what, "no 'schema' string");
    }
    return new RegisteredSchema(
        answer.body().path("subject").asText(subject),
        id,
        version,
        parseSchema(schema.asText(), "subject '" + subject + "'"));
  }

  /** The positive int {@code field} of a JSON object answer. */
  private static int positive(Answer answer, String field, String what) {
    JsonNode value = answer.body().path(field);
    if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() <= 0) {
      throw unexpected(
          answer,
          what,
          value.isMissingNode()
              ? "no '" + field + "'"
              : "'" + field + "' " + value + ", not a positive number");
    }
    return value.asInt();
  }

  private static RegistryException unexpected(Answer answer, String what, String problem) {
    String body = answer.body().toString();
    return new RegistryException(
        200,
        RegistryException.NO_RESPONSE,
        "The schema registry at "
            + answer.url()
            + " answered "
            + what
            + " with "
            + problem
            + ": "
            + (body.length() > 200 ? body.substring(0, 200) + "…" : body),
        null);
  }

  private static Schema parseSchema(String text, String what) {
    try {
      return new Schema.Parser().parse(text);
    } catch (RuntimeException e) {
      throw new RegistryException(
          200,
          RegistryException.INVALID_SCHEMA,
          "The schema registry returned an invalid Avro schema for " + what + ": " + e.getMessage(),
          e);
    }
  }

  private static String schemaBody(Schema schema) {
    ObjectNode body = JSON.createObjectNode();
    body.put("schema", schema.toString());
    return body.toString();
  }

  private static String configBody(CompatibilityLevel level) {
    ObjectNode body = JSON.createObjectNode();
    body.put("compatibility", level.name());
    return body.toString();
  }

  private static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
