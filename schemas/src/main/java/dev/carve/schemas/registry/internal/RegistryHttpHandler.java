package dev.carve.schemas.registry.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.carve.schemas.registry.CompatibilityResult;
import dev.carve.schemas.registry.RegisteredSchema;
import dev.carve.schemas.registry.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link RegistryCore} with the endpoints, JSON bodies, content type and error codes of
 * the Confluent Schema Registry REST API.
 */
public final class RegistryHttpHandler implements HttpHandler {
  /** The content type of every response. */
  public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  private static final Logger LOG = LoggerFactory.getLogger(RegistryHttpHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RegistryCore core;
  private final String expectedAuthorization;

  /**
   * Creates the handler.
   *
   * @param core the registry
   * @param basicAuthUserInfo {@code user:password} required of every request, or null for none
   */
  public RegistryHttpHandler(RegistryCore core, String basicAuthUserInfo) {
    this.core = core;
    this.expectedAuthorization =
        basicAuthUserInfo == null
            ? null
            : "Basic "
                + Base64.getEncoder()
                    .encodeToString(basicAuthUserInfo.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Object body;
      int status = 200;
      try {
        if (expectedAuthorization != null
            && !expectedAuthorization.equals(
                exchange.getRequestHeaders().getFirst("Authorization"))) {
          throw RegistryException.of(401, "Unauthorized");
        }
        body = route(exchange);
      } catch (RegistryException e) {
        status = e.httpStatus();
        ObjectNode error = JSON.createObjectNode();
        error.put("error_code", e.errorCode());
        error.put("message", e.getMessage());
        body = error;
      } catch (RuntimeException e) {
        LOG.error(
            "Schema registry failed on {} {}",
            exchange.getRequestMethod(),
            exchange.getRequestURI(),
            e);
        status = 500;
        ObjectNode error = JSON.createObjectNode();
        error.put("error_code", 50001);
        error.put("message", "Error in the schema registry: " + e.getMessage());
        body = error;
      }
      byte[] bytes =
          body instanceof String raw
              ? raw.getBytes(StandardCharsets.UTF_8)
              : JSON.writeValueAsBytes(body);
      exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private Object route(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    List<String> path = segments(exchange.getRequestURI().getRawPath());
    Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
    int n = path.size();
    String first = n > 0 ? path.get(0) : "";
    switch (first) {
      case "" -> {
        if (n == 0 && method.equals("GET")) {
          return JSON.createObjectNode();
        }
      }
      case "schemas" -> {
        if (n == 2 && path.get(1).equals("types") && method.equals("GET")) {
          return List.of("AVRO");
        }
        if (n == 3 && path.get(1).equals("ids") && method.equals("GET")) {
          int id = parseId(path.get(2));
          ObjectNode out = JSON.createObjectNode();
          out.put("schema", core.schemaById(id).toString());
          return out;
        }
      }
      case "subjects" -> {
        if (n == 1 && method.equals("GET")) {
          return core.subjects(Boolean.parseBoolean(query.get("deleted")));
        }
        if (n == 2) {
          String subject = path.get(1);
          if (method.equals("POST")) {
            JsonNode request = body(exchange);
            return registered(
                core.lookup(subject, text(request, "schema"), text(request, "schemaType")));
          }
          if (method.equals("DELETE")) {
            return core.deleteSubject(subject, Boolean.parseBoolean(query.get("permanent")));
          }
        }
        if (n == 3 && path.get(2).equals("versions")) {
          String subject = path.get(1);
          if (method.equals("GET")) {
            return core.versions(subject);
          }
          if (method.equals("POST")) {
            JsonNode request = body(exchange);
            rejectReferences(request);
            int id = core.register(subject, text(request, "schema"), text(request, "schemaType"));
            ObjectNode out = JSON.createObjectNode();
            out.put("id", id);
            return out;
          }
        }
        if (n == 4 && path.get(2).equals("versions") && method.equals("GET")) {
          return registered(core.version(path.get(1), path.get(3)));
        }
        if (n == 5
            && path.get(2).equals("versions")
            && path.get(4).equals("schema")
            && method.equals("GET")) {
          return core.version(path.get(1), path.get(3)).schema().toString();
        }
      }
      case "compatibility" -> {
        if ((n == 4 || n == 5)
            && path.get(1).equals("subjects")
            && path.get(3).equals("versions")
            && method.equals("POST")) {
          JsonNode request = body(exchange);
          rejectReferences(request);
          CompatibilityResult result =
              core.testCompatibility(
                  path.get(2),
                  n == 5 ? path.get(4) : null,
                  text(request, "schema"),
                  text(request, "schemaType"));
          ObjectNode out = JSON.createObjectNode();
          out.put("is_compatible", result.compatible());
          if (Boolean.parseBoolean(query.get("verbose"))) {
            ArrayNode messages = out.putArray("messages");
            result.messages().forEach(messages::add);
          }
          return out;
        }
      }
      case "config" -> {
        String subject = n == 2 ? path.get(1) : null;
        if (n <= 2) {
          switch (method) {
            case "GET" -> {
              ObjectNode out = JSON.createObjectNode();
              if (subject == null) {
                out.put("compatibilityLevel", core.globalLevel().name());
                return out;
              }
              var level = core.subjectLevel(subject);
              if (level.isEmpty() && !Boolean.parseBoolean(query.get("defaultToGlobal"))) {
                throw RegistryException.of(
                    RegistryException.SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED,
                    "Subject '"
                        + subject
                        + "' does not have subject-level compatibility configured");
              }
              out.put("compatibilityLevel", level.orElse(core.globalLevel()).name());
              return out;
            }
            case "PUT" -> {
              JsonNode request = body(exchange);
              ObjectNode out = JSON.createObjectNode();
              out.put(
                  "compatibility", core.setLevel(subject, text(request, "compatibility")).name());
              return out;
            }
            case "DELETE" -> {
              if (subject != null) {
                ObjectNode out = JSON.createObjectNode();
                out.put("compatibilityLevel", core.deleteSubjectLevel(subject).name());
                return out;
              }
            }
            default -> {
              // Answered below as an unknown endpoint.
            }
          }
        }
      }
      default -> {
        // Answered below as an unknown endpoint.
      }
    }
    throw RegistryException.of(
        404, "HTTP 404 Not Found: no endpoint " + method + " " + exchange.getRequestURI());
  }

  private static ObjectNode registered(RegisteredSchema r) {
    ObjectNode out = JSON.createObjectNode();
    out.put("subject", r.subject());
    out.put("version", r.version());
    out.put("id", r.id());
    out.put("schema", r.schema().toString());
    return out;
  }

  private static void rejectReferences(JsonNode request) {
    JsonNode references = request.path("references");
    if (references.isArray() && !references.isEmpty()) {
      throw RegistryException.of(
          RegistryException.INVALID_SCHEMA,
          "Invalid schema: schema references are not supported by this registry");
    }
  }

  private static JsonNode body(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      byte[] bytes = in.readAllBytes();
      JsonNode node;
      try {
        node = JSON.readTree(bytes);
      } catch (IOException e) {
        throw RegistryException.of(400, "Invalid JSON in the request body: " + e.getMessage());
      }
      if (node == null || !node.isObject()) {
        throw RegistryException.of(400, "The request body must be a JSON object");
      }
      return node;
    }
  }

  private static String text(JsonNode request, String field) {
    JsonNode value = request.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  private static int parseId(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw RegistryException.of(
          RegistryException.SCHEMA_NOT_FOUND, "Schema " + text + " not found");
    }
  }

  private static List<String> segments(String rawPath) {
    List<String> out = new ArrayList<>();
    for (String s : rawPath.split("/")) {
      if (!s.isEmpty()) {
        out.add(decode(s));
      }
    }
    return out;
  }

  private static Map<String, String> query(String rawQuery) {
    Map<String, String> out = new HashMap<>();
    if (rawQuery == null) {
      return out;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        out.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
      } else if (!pair.isEmpty()) {
        out.put(decode(pair), "true");
      }
    }
    return out;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }
}
