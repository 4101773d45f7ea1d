package dev.carve.cli.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.carve.cli.UserFacingException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint of a running Carve process (JDK {@code com.sun.net.httpserver}, one thread):
 *
 * <ul>
 *   <li>{@code GET /metrics}: every registered {@link MetricsSource} in Prometheus' text format
 *       0.0.4, preceded by {@code carve_part_up} for each part;
 *   <li>{@code GET /health}: 200 when every part runs, else 503 naming the part that does not and
 *       why.
 * </ul>
 *
 * <p>Bind it before starting the parts, so that a port in use fails at once; register the sources
 * and the parts once they exist. Lifecycle: {@link #start} → {@link #close()}.
 */
public final class MetricsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

  /** The lifecycle of the server. */
  public enum State {
    /** Serving requests. */
    RUNNING,
    /** Closed; create a new server to serve again. */
    STOPPED
  }

  private final HttpServer http;
  private final ExecutorService executor;
  private final List<MetricsSource> sources = new CopyOnWriteArrayList<>();
  private volatile Supplier<List<PartStatus>> parts = List::of;
  private volatile State state = State.RUNNING;

  private MetricsServer(HttpServer http, ExecutorService executor) {
    this.http = http;
    this.executor = executor;
  }

  /**
   * Binds the endpoint and starts serving.
   *
   * @param address where to listen; port 0 picks a free port (see {@link #port()})
   * @param portOption the option that sets the port ({@code --metrics-port}), for the message
   * @throws UserFacingException when the port is in use or the address cannot be bound, naming the
   *     option
   */
  public static MetricsServer start(InetSocketAddress address, String portOption) {
    Objects.requireNonNull(address, "address");
    HttpServer http;
    try {
      http = HttpServer.create(address, 16);
    } catch (BindException e) {
      throw new UserFacingException(
          "Port "
              + address.getPort()
              + " on "
              + address.getHostString()
              + " for the metrics endpoint is already in use or cannot be bound ("
              + e.getMessage()
              + "). Stop whatever listens on it, or choose another port with "
              + portOption
              + " (0 turns the endpoint off).",
          e);
    } catch (IOException e) {
      throw new UserFacingException(
          "Cannot serve metrics on "
              + address.getHostString()
              + ":"
              + address.getPort()
              + ": "
              + e.getMessage(),
          e);
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "carve-metrics-http");
              t.setDaemon(true);
              return t;
            });
    MetricsServer server = new MetricsServer(http, executor);
    http.createContext("/metrics", server::metrics);
    http.createContext("/health", server::health);
    http.setExecutor(executor);
    http.start();
    LOG.info("Serving metrics on {}/metrics and {}/health", server.url(), server.url());
    return server;
  }

  /** Adds a source; its samples appear from the next scrape on. */
  public void add(MetricsSource source) {
    sources.add(Objects.requireNonNull(source, "source"));
  }

  /** Sets where the parts' status comes from ({@code carve_part_up} and {@code /health}). */
  public void parts(Supplier<List<PartStatus>> parts) {
    this.parts = Objects.requireNonNull(parts, "parts");
  }

  /** The port listened on (the one picked when started with port 0). */
  public int port() {
    return http.getAddress().getPort();
  }

  /** {@code http://host:port}, for messages. */
  public String url() {
    InetSocketAddress a = http.getAddress();
    String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + a.getPort();
  }

  /** The lifecycle state. */
  public State state() {
    return state;
  }

  /** One scrape of every source, as exposition text. Sources that fail are left out and logged. */
  public String scrape() {
    Scrape scrape = new Scrape();
    Scrape.Family up =
        scrape.gauge(
            "carve_part_up", "1 when the part runs, 0 when it is starting, stopped or failed.");
    for (PartStatus p : parts.get()) {
      up.add(p.up() ? 1 : 0, "part", p.name());
    }
    for (MetricsSource source : sources) {
      try {
        source.collect(scrape);
      } catch (RuntimeException e) {
        LOG.warn("A metrics source failed and is left out of this scrape: {}", e.toString(), e);
      }
    }
    return PrometheusText.write(scrape);
  }

  private void metrics(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!allowed(exchange, "/metrics")) {
        return;
      }
      respond(exchange, 200, PrometheusText.CONTENT_TYPE, scrape());
    }
  }

  private void health(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!allowed(exchange, "/health")) {
        return;
      }
      List<PartStatus> all = parts.get();
      StringBuilder body = new StringBuilder();
      PartStatus down = all.stream().filter(p -> !p.up()).findFirst().orElse(null);
      if (all.isEmpty()) {
        body.append("DOWN: no part runs yet\n");
      } else if (down != null) {
        body.append("DOWN: ").append(down.name()).append(": ").append(down.problem()).append('\n');
      } else {
        body.append("UP\n");
      }
      for (PartStatus p : all) {
        body.append(p.name()).append(": ").append(p.up() ? "up" : "down, " + p.problem());
        body.append('\n');
      }
      boolean ok = !all.isEmpty() && down == null;
      respond(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", body.toString());
    }
  }

  private static boolean allowed(HttpExchange exchange, String path) throws IOException {
    if (!exchange.getRequestURI().getPath().equals(path)) {
      respond(exchange, 404, "text/plain; charset=utf-8", "Not found; try /metrics or /health\n");
      return false;
    }
    String method = exchange.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      respond(exchange, 405, "text/plain; charset=utf-8", "Only GET and HEAD\n");
      return false;
    }
    return true;
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** Stops serving; waits at most a second for a scrape in progress. Safe to call twice. */
  @Override
  public synchronized void close() {
    if (state == State.STOPPED) {
      return;
    }
    state = State.STOPPED;
    http.stop(0);
    executor.shutdown();
    try {
      if (!executor.awaitTermination(1, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      executor.shutdownNow();
    }
  }
}
