package dev.carve.schemas.registry.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The REST contract of the embedded registry over real HTTP, with request and response bodies as
 * the Confluent Schema Registry API reference shows them.
 */
@Timeout(60)
class EmbeddedSchemaRegistryRestTest {
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KAFKA_KEY_V1 =
      "{\"schema\": \"{\\\"type\\\": \\\"record\\\", \\\"name\\\": \\\"Key\\\","
          + " \\\"fields\\\": [{\\\"name\\\": \\\"id\\\", \\\"type\\\": \\\"long\\\"}]}\"}";
  private static final String KAFKA_KEY_V2 =
      "{\"schema\": \"{\\\"type\\\": \\\"record\\\", \\\"name\\\": \\\"Key\\\", \\\"fields\\\":"
          + " [{\\\"name\\\": \\\"id\\\", \\\"type\\\": \\\"long\\\"}, {\\\"name\\\":"
          + " \\\"region\\\", \\\"type\\\": \\\"string\\\", \\\"default\\\": \\\"eu\\\"}]}\"}";
  private static final String KAFKA_KEY_INCOMPATIBLE =
      "{\"schema\": \"{\\\"type\\\": \\\"record\\\", \\\"name\\\": \\\"Key\\\", \\\"fields\\\":"
          + " [{\\\"name\\\": \\\"id\\\", \\\"type\\\": \\\"long\\\"}, {\\\"name\\\":"
          + " \\\"tenant\\\", \\\"type\\\": \\\"string\\\"}]}\"}";

  private static EmbeddedSchemaRegistry registry;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private record Answer(int status, String contentType, JsonNode body) {}

  @BeforeAll
  static void start() {
    registry = EmbeddedSchemaRegistry.start(EmbeddedSchemaRegistry.Options.inMemory());
  }

  @AfterAll
  static void stop() {
    registry.close();
  }

  private static Answer call(String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(registry.url() + path)).header("Accept", CONTENT_TYPE);
    if (body != null) {
      b.header("Content-Type", CONTENT_TYPE)
          .method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(
        r.statusCode(),
        r.headers().firstValue("Content-Type").orElse(""),
        JSON.readTree(r.body().isEmpty() ? "null" : r.body()));
  }

  @Test
  void registerReturnsIdAndSameSchemaAgainReturnsSameId() throws Exception {
    Answer first = call("POST", "/subjects/rest-register-value/versions", KAFKA_KEY_V1);
    Answer again = call("POST", "/subjects/rest-register-value/versions", KAFKA_KEY_V1);
    Answer otherSubject = call("POST", "/subjects/rest-register-other/versions", KAFKA_KEY_V1);

    assertThat(first.status()).isEqualTo(200);
    assertThat(first.contentType()).isEqualTo(CONTENT_TYPE);
    assertThat(first.body().get("id").isInt()).isTrue();
    assertThat(again.body().get("id").asInt()).isEqualTo(first.body().get("id").asInt());
    assertThat(otherSubject.body().get("id").asInt()).isEqualTo(first.body().get("id").asInt());
    assertThat(call("GET", "/subjects/rest-register-value/versions", null).body().toString())
        .isEqualTo("[1]");
  }

  @Test
  void versionsLatestLookupAndGetById() throws Exception {
    int id1 =
        call("POST", "/subjects/rest-versions-value/versions", KAFKA_KEY_V1)
            .body()
            .get("id")
            .asInt();
    int id2 =
        call("POST", "/subjects/rest-versions-value/versions", KAFKA_KEY_V2)
            .body()
            .get("id")
            .asInt();

    assertThat(id2).isNotEqualTo(id1);
    assertThat(call("GET", "/subjects/rest-versions-value/versions", null).body().toString())
        .isEqualTo("[1,2]");
    JsonNode latest = call("GET", "/subjects/rest-versions-value/versions/latest", null).body();
    assertThat(latest.get("subject").asText()).isEqualTo("rest-versions-value");
    assertThat(latest.get("version").asInt()).isEqualTo(2);
    assertThat(latest.get("id").asInt()).isEqualTo(id2);
    assertThat(latest.get("schema").asText()).contains("\"region\"");
    JsonNode v1 = call("GET", "/subjects/rest-versions-value/versions/1", null).body();
    assertThat(v1.get("id").asInt()).isEqualTo(id1);
    JsonNode lookup = call("POST", "/subjects/rest-versions-value", KAFKA_KEY_V1).body();
    assertThat(lookup.get("version").asInt()).isEqualTo(1);
    assertThat(lookup.get("id").asInt()).isEqualTo(id1);
    JsonNode byId = call("GET", "/schemas/ids/" + id1, null).body();
    assertThat(byId.get("schema").asText()).isEqualTo(v1.get("schema").asText());
    assertThat(call("GET", "/subjects", null).body().toString()).contains("rest-versions-value");
  }

  @Test
  void compatibilityVerboseNamesTheProblem() throws Exception {
    call("POST", "/subjects/rest-compat-value/versions", KAFKA_KEY_V1);

    Answer ok =
        call("POST", "/compatibility/subjects/rest-compat-value/versions/latest", KAFKA_KEY_V2);
    Answer bad =
        call(
            "POST",
            "/compatibility/subjects/rest-compat-value/versions/latest?verbose=true",
            KAFKA_KEY_INCOMPATIBLE);
    Answer register = call("POST", "/subjects/rest-compat-value/versions", KAFKA_KEY_INCOMPATIBLE);

    assertThat(ok.body().toString()).isEqualTo("{\"is_compatible\":true}");
    assertThat(bad.body().get("is_compatible").asBoolean()).isFalse();
    assertThat(bad.body().get("messages").toString())
        .contains("READER_FIELD_MISSING_DEFAULT_VALUE")
        .contains("tenant");
    assertThat(register.status()).isEqualTo(409);
    assertThat(register.body().get("error_code").asInt()).isEqualTo(409);
    assertThat(register.body().get("message").asText()).contains("incompatible", "tenant");
  }

  @Test
  void compatibilityAgainstANewSubjectIsTrue() throws Exception {
    Answer answer =
        call("POST", "/compatibility/subjects/rest-never-seen/versions/latest", KAFKA_KEY_V1);

    assertThat(answer.body().get("is_compatible").asBoolean()).isTrue();
  }

  @Test
  void configGlobalAndPerSubject() throws Exception {
    assertThat(call("GET", "/config", null).body().get("compatibilityLevel").asText())
        .isEqualTo("BACKWARD");
    Answer unset = call("GET", "/config/rest-config-value", null);
    assertThat(unset.status()).isEqualTo(404);
    assertThat(unset.body().get("error_code").asInt()).isEqualTo(40408);
    assertThat(
            call("GET", "/config/rest-config-value?defaultToGlobal=true", null)
                .body()
                .get("compatibilityLevel")
                .asText())
        .isEqualTo("BACKWARD");

    Answer put = call("PUT", "/config/rest-config-value", "{\"compatibility\": \"FULL\"}");

    assertThat(put.body().toString()).isEqualTo("{\"compatibility\":\"FULL\"}");
    assertThat(call("GET", "/config/rest-config-value", null).body().toString())
        .isEqualTo("{\"compatibilityLevel\":\"FULL\"}");
    Answer invalid = call("PUT", "/config/rest-config-value", "{\"compatibility\": \"SIDEWAYS\"}");
    assertThat(invalid.status()).isEqualTo(422);
    assertThat(invalid.body().get("error_code").asInt()).isEqualTo(42203);
  }

  @Test
  void deleteSubjectSoftThenPermanent() throws Exception {
    int id =
        call("POST", "/subjects/rest-delete-value/versions", KAFKA_KEY_V1).body().get("id").asInt();

    Answer permanentFirst = call("DELETE", "/subjects/rest-delete-value?permanent=true", null);
    Answer soft = call("DELETE", "/subjects/rest-delete-value", null);
    Answer versionsAfter = call("GET", "/subjects/rest-delete-value/versions", null);
    Answer idAfter = call("GET", "/schemas/ids/" + id, null);
    Answer permanent = call("DELETE", "/subjects/rest-delete-value?permanent=true", null);

    assertThat(permanentFirst.body().get("error_code").asInt()).isEqualTo(40405);
    assertThat(soft.body().toString()).isEqualTo("[1]");
    assertThat(versionsAfter.body().get("error_code").asInt()).isEqualTo(40401);
    assertThat(idAfter.status()).isEqualTo(200);
    assertThat(permanent.body().toString()).isEqualTo("[1]");
    assertThat(call("GET", "/subjects?deleted=true", null).body().toString())
        .doesNotContain("rest-delete-value");
  }

  // Regression: a permanently deleted subject kept its compatibility level, so a subject of the
  // same name registered later was checked against the old level. Confluent deletes the level with
  // the subject on a permanent delete only; a soft delete keeps it (schema-registry#3810).
  @Test
  void permanentDeleteRemovesTheSubjectLevelSoftDeleteKeepsIt() throws Exception {
    call("POST", "/subjects/rest-delete-config-value/versions", KAFKA_KEY_V1);
    call("PUT", "/config/rest-delete-config-value", "{\"compatibility\": \"FULL\"}");

    call("DELETE", "/subjects/rest-delete-config-value", null);
    Answer afterSoft = call("GET", "/config/rest-delete-config-value", null);
    call("DELETE", "/subjects/rest-delete-config-value?permanent=true", null);
    Answer afterPermanent = call("GET", "/config/rest-delete-config-value", null);

    assertThat(afterSoft.body().toString()).isEqualTo("{\"compatibilityLevel\":\"FULL\"}");
    assertThat(afterPermanent.status()).isEqualTo(404);
    assertThat(afterPermanent.body().get("error_code").asInt()).isEqualTo(40408);
    assertThat(
            call("GET", "/config/rest-delete-config-value?defaultToGlobal=true", null)
                .body()
                .get("compatibilityLevel")
                .asText())
        .isEqualTo(call("GET", "/config", null).body().get("compatibilityLevel").asText());
  }

  @Test
  void errorCodesOfTheApiReference() throws Exception {
    call("POST", "/subjects/rest-errors-value/versions", KAFKA_KEY_V1);

    Answer noSubject = call("GET", "/subjects/rest-missing/versions", null);
    Answer noVersion = call("GET", "/subjects/rest-errors-value/versions/7", null);
    Answer badVersion = call("GET", "/subjects/rest-errors-value/versions/zero", null);
    Answer noSchema = call("GET", "/schemas/ids/987654", null);
    Answer notUnderSubject = call("POST", "/subjects/rest-errors-value", KAFKA_KEY_V2);
    Answer invalid =
        call("POST", "/subjects/rest-errors-value/versions", "{\"schema\": \"{\\\"type\\\":1}\"}");

    assertThat(noSubject.status()).isEqualTo(404);
    assertThat(noSubject.body().get("error_code").asInt()).isEqualTo(40401);
    assertThat(noSubject.body().get("message").asText()).contains("rest-missing");
    assertThat(noVersion.body().get("error_code").asInt()).isEqualTo(40402);
    assertThat(badVersion.status()).isEqualTo(422);
    assertThat(badVersion.body().get("error_code").asInt()).isEqualTo(42202);
    assertThat(noSchema.body().get("error_code").asInt()).isEqualTo(40403);
    assertThat(notUnderSubject.body().get("error_code").asInt()).isEqualTo(40403);
    assertThat(invalid.status()).isEqualTo(422);
    assertThat(invalid.body().get("error_code").asInt()).isEqualTo(42201);
    assertThat(noSubject.contentType()).isEqualTo(CONTENT_TYPE);
  }

  @Test
  void subjectNamesAreUrlDecoded() throws Exception {
    Answer answer = call("POST", "/subjects/orders.order_line%2Dvalue/versions", KAFKA_KEY_V1);

    assertThat(answer.status()).isEqualTo(200);
    assertThat(call("GET", "/subjects", null).body().toString())
        .contains("\"orders.order_line-value\"");
  }
}
