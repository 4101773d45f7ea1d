package dev.carve.cli.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.cli.UserFacingException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The HTTP endpoint: /metrics, /health, and a port in use. */
class MetricsServerTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void servesTheSourcesAndThePartsAndReportsHealthByPart() throws Exception {
    AtomicReference<List<PartStatus>> parts =
        new AtomicReference<>(List.of(PartStatus.up("capture"), PartStatus.up("sink orders")));
    try (MetricsServer server =
        MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), "--metrics-port")) {
      server.parts(parts::get);
      server.add(s -> s.counter("carve_test_total", "A test.").add(7, "service", "orders"));
      server.add(
          s -> {
            throw new IllegalStateException("broken source");
          });

      HttpResponse<String> metrics = get(server, "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type"))
          .hasValue("text/plain; version=0.0.4; charset=utf-8");
      assertThat(metrics.body())
          .contains("carve_part_up{part=\"capture\"} 1\n")
          .contains("carve_part_up{part=\"sink orders\"} 1\n")
          .contains("carve_test_total{service=\"orders\"} 7\n");

      HttpResponse<String> healthy = get(server, "/health");
      assertThat(healthy.statusCode()).isEqualTo(200);
      assertThat(healthy.body()).startsWith("UP\n");

      parts.set(
          List.of(
              PartStatus.up("capture"), PartStatus.down("sink orders", "failed: database gone")));
      HttpResponse<String> unhealthy = get(server, "/health");
      assertThat(unhealthy.statusCode()).isEqualTo(503);
      assertThat(unhealthy.body()).startsWith("DOWN: sink orders: failed: database gone\n");
      assertThat(get(server, "/metrics").body()).contains("carve_part_up{part=\"sink orders\"} 0");

      assertThat(get(server, "/other").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void healthIsDownWhileNoPartRuns() throws Exception {
    try (MetricsServer server =
        MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), "--metrics-port")) {
      assertThat(get(server, "/health").statusCode()).isEqualTo(503);
    }
  }

  @Test
  void portInUseFailsNamingThePortAndTheOption() {
    try (MetricsServer first =
        MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), "--metrics-port")) {
      int port = first.port();
      assertThatThrownBy(
              () -> MetricsServer.start(new InetSocketAddress("127.0.0.1", port), "--metrics-port"))
          .isInstanceOf(UserFacingException.class)
          .hasMessageContaining("Port " + port)
          .hasMessageContaining("--metrics-port");
    }
  }

  private static HttpResponse<String> get(MetricsServer server, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(server.url() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
