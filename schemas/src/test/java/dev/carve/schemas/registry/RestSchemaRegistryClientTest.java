package dev.carve.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.carve.core.config.ConfigException;
import dev.carve.schemas.registry.embedded.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Carve's REST client against the embedded registry over real HTTP. */
@Timeout(60)
class RestSchemaRegistryClientTest {
  private static EmbeddedSchemaRegistry registry;
  private static RestSchemaRegistryClient client;

  private static final Schema V1 =
      SchemaBuilder.record("Customer").fields().requiredLong("id").endRecord();
  private static final Schema V2 =
      SchemaBuilder.record("Customer")
          .fields()
          .requiredLong("id")
          .name("email")
          .type()
          .nullable()
          .stringType()
          .noDefault()
          .endRecord();
  private static final Schema V2_WITH_DEFAULT =
      SchemaBuilder.record("Customer")
          .fields()
          .requiredLong("id")
          .optionalString("email")
          .endRecord();

  @BeforeAll
  static void start() {
    registry = EmbeddedSchemaRegistry.start(EmbeddedSchemaRegistry.Options.inMemory());
    client = RestSchemaRegistryClient.of(registry.url());
  }

  @AfterAll
  static void stop() {
    client.close();
    registry.close();
  }

  @Test
  void registerLookupGetByIdAndVersions() {
    int id = client.register("client-basic-value", V1);
    int id2 = client.register("client-basic-value", V2_WITH_DEFAULT);

    assertThat(client.register("client-basic-value", V1)).isEqualTo(id);
    assertThat(client.schemaById(id)).isEqualTo(V1);
    assertThat(client.lookup("client-basic-value", V1))
        .isEqualTo(new RegisteredSchema("client-basic-value", id, 1, V1));
    assertThat(client.versions("client-basic-value")).containsExactly(1, 2);
    assertThat(client.version("client-basic-value", 2).id()).isEqualTo(id2);
    assertThat(client.latest("client-basic-value").schema()).isEqualTo(V2_WITH_DEFAULT);
    assertThat(client.subjects()).contains("client-basic-value");
  }

  @Test
  void incompatibleSchemaIsRefusedWithTheRegistryErrorCode() {
    client.register("client-incompatible-value", V1);

    CompatibilityResult test = client.testCompatibility("client-incompatible-value", V2);

    assertThat(test.compatible()).isFalse();
    assertThat(test.messages()).anySatisfy(m -> assertThat(m).contains("email"));
    assertThatThrownBy(() -> client.register("client-incompatible-value", V2))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> {
              assertThat(e.errorCode()).isEqualTo(409);
              assertThat(e.retriable()).isFalse();
            })
        .hasMessageContaining("client-incompatible-value")
        .hasMessageContaining("error_code 409");
    assertThat(client.testCompatibility("client-incompatible-value", V2_WITH_DEFAULT).compatible())
        .isTrue();
  }

  @Test
  void notFoundErrorsCarryTheirCodes() {
    assertThatThrownBy(() -> client.versions("client-nothing-here"))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
    assertThatThrownBy(() -> client.schemaById(424242))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
    client.register("client-notfound-value", V1);
    assertThatThrownBy(() -> client.version("client-notfound-value", 9))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40402));
  }

  @Test
  void configGlobalAndPerSubject() {
    assertThat(client.subjectCompatibility("client-config-value")).isEmpty();
    assertThat(client.effectiveCompatibility("client-config-value"))
        .isEqualTo(client.globalCompatibility());

    client.setSubjectCompatibility("client-config-value", CompatibilityLevel.FORWARD_TRANSITIVE);

    assertThat(client.subjectCompatibility("client-config-value"))
        .contains(CompatibilityLevel.FORWARD_TRANSITIVE);
  }

  @Test
  void deleteSubjectSoftThenPermanently() {
    client.register("client-delete-value", V1);

    assertThat(client.deleteSubject("client-delete-value", false)).containsExactly(1);
    assertThat(client.deleteSubject("client-delete-value", true)).containsExactly(1);
    assertThat(client.subjects()).doesNotContain("client-delete-value");
  }

  @Test
  void failsOverToTheNextUrlWhenTheFirstIsDown() throws IOException {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    try (RestSchemaRegistryClient failover =
        RestSchemaRegistryClient.of("http://127.0.0.1:" + deadPort, registry.url())) {
      int id = failover.register("client-failover-value", V1);

      assertThat(failover.lookup("client-failover-value", V1).id()).isEqualTo(id);
    }
  }

  @Test
  void retriesServerErrorsThenSucceeds() throws IOException {
    AtomicInteger requests = new AtomicInteger();
    HttpServer flaky = flakyProxy(2, requests);
    try (RestSchemaRegistryClient retrying =
        new RestSchemaRegistryClient(
            RegistryClientConfig.parse(
                Map.of(
                    RegistryClientConfig.URL,
                    "http://127.0.0.1:" + flaky.getAddress().getPort(),
                    RegistryClientConfig.RETRY_BACKOFF_MS,
                    "10")))) {
      int id = retrying.register("client-retry-value", V1);

      assertThat(id).isPositive();
      assertThat(requests.get()).isEqualTo(3);
      assertThat(retrying.register("client-retry-value", V1)).isEqualTo(id);
      assertThat(requests.get()).as("the second call is answered from the cache").isEqualTo(3);
    } finally {
      flaky.stop(0);
    }
  }

  @Test
  void givesUpAfterTheConfiguredAttemptsSayingWhat() throws IOException {
    AtomicInteger requests = new AtomicInteger();
    HttpServer broken = flakyProxy(100, requests);
    try (RestSchemaRegistryClient retrying =
        new RestSchemaRegistryClient(
            RegistryClientConfig.parse(
                Map.of(
                    RegistryClientConfig.URL,
                    "http://127.0.0.1:" + broken.getAddress().getPort(),
                    RegistryClientConfig.MAX_ATTEMPTS,
                    "3",
                    RegistryClientConfig.RETRY_BACKOFF_MS,
                    "1")))) {
      assertThatThrownBy(() -> retrying.schemaById(1))
          .isInstanceOfSatisfying(
              RegistryException.class,
              e -> {
                assertThat(e.errorCode()).isEqualTo(50001);
                assertThat(e.retriable()).isTrue();
              })
          .hasMessageContaining("Failed to get schema id 1")
          .hasMessageContaining("after 3 attempts");
      assertThat(requests.get()).isEqualTo(3);
    } finally {
      broken.stop(0);
    }
  }

  @Test
  void basicAuthUserInfoIsSentAndChecked() {
    try (EmbeddedSchemaRegistry secured =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.inMemory().withBasicAuth("carve:s3cret"))) {
      SchemaRegistryClient anonymous = RestSchemaRegistryClient.of(secured.url());
      SchemaRegistryClient authenticated =
          SchemaRegistryClient.create(
              Map.of(
                  RegistryClientConfig.URL,
                  secured.url(),
                  RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE,
                  "USER_INFO",
                  RegistryClientConfig.BASIC_AUTH_USER_INFO,
                  "carve:s3cret"));

      assertThatThrownBy(anonymous::subjects)
          .isInstanceOfSatisfying(
              RegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(401));
      assertThat(authenticated.register("client-auth-value", V1)).isPositive();
    }
  }

  @Test
  void credentialsInTheUrlAreUsedAndNeverPrinted() {
    try (EmbeddedSchemaRegistry secured =
        EmbeddedSchemaRegistry.start(
            EmbeddedSchemaRegistry.Options.inMemory().withBasicAuth("carve:s3cret"))) {
      RegistryClientConfig config =
          RegistryClientConfig.parse(
              Map.of(
                  RegistryClientConfig.URL,
                  secured.url().replace("http://", "http://carve:s3cret@")));
      SchemaRegistryClient c = config.createClient();

      assertThat(c.subjects()).isEmpty();
      assertThat(config.toString()).doesNotContain("s3cret");
    }
  }

  // Regression: URL credentials without a colon (https://apikey@host) were accepted, and
  // RegistryClientConfig.toString() then threw StringIndexOutOfBoundsException (substring(0, -1)).
  @Test
  void urlUserInfoWithoutAColonIsRefusedWithoutPrintingIt() {
    assertThatThrownBy(
            () ->
                RegistryClientConfig.parse(
                    Map.of(RegistryClientConfig.URL, "https://s3cr3tApiKey@registry.example:8081")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(RegistryClientConfig.URL)
        .hasMessageContaining("user:password")
        .hasMessageNotContaining("s3cr3tApiKey");
  }

  @Test
  void toStringOfAnyUserInfoNeitherThrowsNorPrintsTheSecret() {
    for (String userInfo : new String[] {"s3cr3tApiKey", "carve:s3cr3tApiKey", ":s3cr3tApiKey"}) {
      RegistryClientConfig config =
          new RegistryClientConfig(
              java.util.List.of("https://registry.example:8081"),
              userInfo,
              null,
              null,
              "JKS",
              5,
              java.time.Duration.ofMillis(100),
              java.time.Duration.ofMillis(5000),
              java.time.Duration.ofMillis(30000));

      assertThat(config.toString()).as(userInfo).doesNotContain("s3cr3tApiKey");
    }
  }

  @Test
  void invalidConfigurationListsEveryProblem() {
    assertThatThrownBy(
            () ->
                RegistryClientConfig.parse(
                    Map.of(
                        RegistryClientConfig.URL,
                        "ftp://registry",
                        RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE,
                        "SASL_INHERIT",
                        RegistryClientConfig.MAX_ATTEMPTS,
                        "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("basic.auth.credentials.source")
        .hasMessageContaining("carve.registry.max.attempts")
        .hasMessageContaining("ftp://registry");
  }

  @Test
  void unreadableTruststoreNamesTheKey() {
    assertThatThrownBy(
            () ->
                SchemaRegistryClient.create(
                    Map.of(
                        RegistryClientConfig.URL,
                        "https://registry.example:8081",
                        RegistryClientConfig.TRUSTSTORE_LOCATION,
                        "/nonexistent/truststore.jks")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("schema.registry.ssl.truststore.location")
        .hasMessageContaining("/nonexistent/truststore.jks");
  }

  // Regression: with Redirect.NORMAL, a 301 turned the POST of a registration into a GET, sent the
  // Authorization header to the other host, and its [1,2] answer became schema id 0.
  @Test
  void redirectIsNotFollowedAndFailsNamingTheUrlAndTheLocation() throws IOException {
    AtomicInteger redirected = new AtomicInteger();
    HttpServer elsewhere = fakeServer(200, "[1,2]", null, redirected);
    String location =
        "http://127.0.0.1:" + elsewhere.getAddress().getPort() + "/subjects/x-value/versions";
    AtomicInteger requests = new AtomicInteger();
    HttpServer redirecting = fakeServer(301, "", location, requests);
    String url = "http://127.0.0.1:" + redirecting.getAddress().getPort();
    try (RestSchemaRegistryClient c =
        new RestSchemaRegistryClient(
            RegistryClientConfig.parse(
                Map.of(
                    RegistryClientConfig.URL,
                    url,
                    RegistryClientConfig.BASIC_AUTH_USER_INFO,
                    "carve:s3cret",
                    RegistryClientConfig.RETRY_BACKOFF_MS,
                    "1")))) {
      assertThatThrownBy(() -> c.register("client-redirect-value", V1))
          .isInstanceOfSatisfying(
              RegistryException.class,
              e -> {
                assertThat(e.httpStatus()).isEqualTo(301);
                assertThat(e.retriable()).isFalse();
              })
          .hasMessageContaining(url + "/subjects/client-redirect-value/versions")
          .hasMessageContaining(location)
          .hasMessageNotContaining("s3cret");
      assertThat(requests.get()).isEqualTo(1);
      assertThat(redirected.get()).as("the redirect is not followed").isZero();
    } finally {
      redirecting.stop(0);
      elsewhere.stop(0);
    }
  }

  // Regression: answers that refuse the client and say nothing about the schema (a proxy's 403 or
  // 404 page, a 408) were classified like the registry's own 4xx answers about a schema.
  @Test
  void answersThatRefuseTheClientAreUnavailableAndSayWhatToCheck() throws IOException {
    record Case(int status, String body, String check, boolean retriable) {}
    for (Case c :
        new Case[] {
          new Case(403, "<html>Forbidden</html>", "check basic.auth.user.info", false),
          new Case(404, "<html>Not Found</html>", "check schema.registry.url", false),
          new Case(
              404,
              "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}",
              "check schema.registry.url",
              false),
          new Case(408, "", "", true)
        }) {
      AtomicInteger requests = new AtomicInteger();
      HttpServer server = fakeServer(c.status(), c.body(), null, requests);
      String url = "http://127.0.0.1:" + server.getAddress().getPort();
      try (RestSchemaRegistryClient proxied =
          new RestSchemaRegistryClient(
              RegistryClientConfig.parse(
                  Map.of(
                      RegistryClientConfig.URL,
                      url,
                      RegistryClientConfig.BASIC_AUTH_USER_INFO,
                      "carve:s3cret",
                      RegistryClientConfig.RETRY_BACKOFF_MS,
                      "1")))) {
        assertThatThrownBy(() -> proxied.schemaById(7))
            .as("HTTP %d %s", c.status(), c.body())
            .isInstanceOfSatisfying(
                RegistryException.class,
                e -> {
                  assertThat(e.unavailable()).isTrue();
                  assertThat(e.retriable()).isEqualTo(c.retriable());
                  assertThat(e.errorCode()).isNotEqualTo(RegistryException.SCHEMA_NOT_FOUND);
                })
            .hasMessageContaining(url)
            .hasMessageContaining("HTTP " + c.status())
            .hasMessageContaining(c.check())
            .hasMessageNotContaining("s3cret");
      } finally {
        server.stop(0);
      }
    }
  }

  @Test
  void theRegistrysOwnAnswersAboutASchemaAreNotUnavailable() {
    assertThatThrownBy(() -> client.schemaById(424243))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.unavailable()).isFalse());
    client.register("client-own-answer-value", V1);
    assertThatThrownBy(() -> client.register("client-own-answer-value", V2))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.unavailable()).isFalse());
    assertThat(RegistryException.of(RegistryException.INVALID_SCHEMA, "bad").unavailable())
        .isFalse();
    assertThat(RegistryException.of(RegistryException.SUBJECT_NOT_FOUND, "none").unavailable())
        .isFalse();
  }

  @Test
  void registrationAnswerWithoutAPositiveIdFailsInsteadOfGivingIdZero() throws IOException {
    for (String answer : new String[] {"{}", "[1,2]", "{\"id\":0}", "{\"id\":\"x\"}"}) {
      AtomicInteger requests = new AtomicInteger();
      HttpServer server = fakeServer(200, answer, null, requests);
      String url = "http://127.0.0.1:" + server.getAddress().getPort();
      try (RestSchemaRegistryClient c = RestSchemaRegistryClient.of(url)) {
        assertThatThrownBy(() -> c.register("client-noid-value", V1))
            .as(answer)
            .isInstanceOfSatisfying(
                RegistryException.class, e -> assertThat(e.retriable()).isFalse())
            .hasMessageContaining(url + "/subjects/client-noid-value/versions")
            .hasMessageContaining("id");
        assertThat(requests.get()).isEqualTo(1);
      } finally {
        server.stop(0);
      }
    }
  }

  @Test
  void lookupAnswerWithoutVersionOrSchemaFails() throws IOException {
    for (String answer :
        new String[] {
          "{\"subject\":\"client-partial-value\",\"id\":3}",
          "{\"subject\":\"client-partial-value\",\"id\":3,\"version\":1}",
          "{\"subject\":\"client-partial-value\",\"version\":1,\"schema\":\"\\\"long\\\"\"}"
        }) {
      AtomicInteger requests = new AtomicInteger();
      HttpServer server = fakeServer(200, answer, null, requests);
      String url = "http://127.0.0.1:" + server.getAddress().getPort();
      try (RestSchemaRegistryClient c = RestSchemaRegistryClient.of(url)) {
        assertThatThrownBy(() -> c.lookup("client-partial-value", V1))
            .as(answer)
            .isInstanceOfSatisfying(
                RegistryException.class, e -> assertThat(e.retriable()).isFalse())
            .hasMessageContaining(url + "/subjects/client-partial-value");
      } finally {
        server.stop(0);
      }
    }
  }

  // Regression: a delete whose first answer was lost (timeout) was retried blindly; the retry got
  // 40404 (already soft-deleted) or 40401 (already gone) and failed the caller although the
  // delete had happened.
  @Test
  void retriedDeleteWhoseFirstAnswerWasLostSucceeds() throws IOException {
    AtomicInteger requests = new AtomicInteger();
    HttpServer slow = slowFirstAnswerProxy(requests);
    try (RestSchemaRegistryClient retrying = clientWithShortTimeout(slow)) {
      client.register("client-lost-delete-value", V1);

      assertThat(retrying.deleteSubject("client-lost-delete-value", false)).isEmpty();
      assertThat(requests.get()).isEqualTo(2);
      assertThat(client.subjects()).doesNotContain("client-lost-delete-value");

      requests.set(0);
      assertThat(retrying.deleteSubject("client-lost-delete-value", true)).isEmpty();
      assertThat(requests.get()).isEqualTo(2);
      assertThatThrownBy(() -> client.deleteSubject("client-lost-delete-value", true))
          .isInstanceOfSatisfying(
              RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
    } finally {
      slow.stop(0);
    }
  }

  @Test
  void deleteOfAnAlreadyDeletedSubjectStillFailsOnTheFirstAttempt() {
    client.register("client-deleted-twice-value", V1);
    client.deleteSubject("client-deleted-twice-value", false);

    assertThatThrownBy(() -> client.deleteSubject("client-deleted-twice-value", false))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40404));
    client.deleteSubject("client-deleted-twice-value", true);
    assertThatThrownBy(() -> client.deleteSubject("client-deleted-twice-value", true))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
  }

  private static RestSchemaRegistryClient clientWithShortTimeout(HttpServer server) {
    return new RestSchemaRegistryClient(
        RegistryClientConfig.parse(
            Map.of(
                RegistryClientConfig.URL,
                "http://127.0.0.1:" + server.getAddress().getPort(),
                RegistryClientConfig.REQUEST_TIMEOUT_MS,
                "500",
                RegistryClientConfig.RETRY_BACKOFF_MS,
                "10")));
  }

  /**
   * A proxy to the embedded registry that forwards every request, but answers the first one only
   * after 1.5 s: the registry did the work, the client's answer is lost.
   */
  private static HttpServer slowFirstAnswerProxy(AtomicInteger requests) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    HttpClient http = HttpClient.newHttpClient();
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            int n = requests.incrementAndGet();
            byte[] in = exchange.getRequestBody().readAllBytes();
            HttpResponse<byte[]> r;
            try {
              r =
                  http.send(
                      HttpRequest.newBuilder(URI.create(registry.url() + exchange.getRequestURI()))
                          .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                          .method(
                              exchange.getRequestMethod(),
                              HttpRequest.BodyPublishers.ofByteArray(in))
                          .build(),
                      HttpResponse.BodyHandlers.ofByteArray());
              if (n == 1) {
                Thread.sleep(1500);
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IOException(e);
            }
            exchange.sendResponseHeaders(r.statusCode(), r.body().length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(r.body());
            }
          } catch (IOException e) {
            // The client gave up on the slow answer and closed the connection.
          }
        });
    server.start();
    return server;
  }

  /** A misbehaving server: every request gets {@code status} and {@code body}. */
  private static HttpServer fakeServer(
      int status, String body, String location, AtomicInteger requests) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            requests.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            if (location != null) {
              exchange.getResponseHeaders().add("Location", location);
            }
            exchange
                .getResponseHeaders()
                .add("Content-Type", "application/vnd.schemaregistry.v1+json");
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
              try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
              }
            }
          }
        });
    server.start();
    return server;
  }

  /** A proxy to the embedded registry that answers 500/50001 to the first {@code failures}. */
  private static HttpServer flakyProxy(int failures, AtomicInteger requests) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    HttpClient http = HttpClient.newHttpClient();
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            int n = requests.incrementAndGet();
            byte[] body;
            int status;
            if (n <= failures) {
              status = 500;
              body =
                  "{\"error_code\":50001,\"message\":\"Error in the backend data store\"}"
                      .getBytes(StandardCharsets.UTF_8);
            } else {
              byte[] in = exchange.getRequestBody().readAllBytes();
              HttpResponse<byte[]> r;
              try {
                r =
                    http.send(
                        HttpRequest.newBuilder(
                                URI.create(registry.url() + exchange.getRequestURI()))
                            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                            .method(
                                exchange.getRequestMethod(),
                                HttpRequest.BodyPublishers.ofByteArray(in))
                            .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
              }
              status = r.statusCode();
              body = r.body();
            }
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
        });
    server.start();
    return server;
  }
}
