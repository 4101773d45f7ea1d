package dev.carve.cli.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.cli.Carve;
import dev.carve.cli.TestPorts;
import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.runtime.EmbeddedPipeline;
import dev.carve.examples.DataGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoublePredicate;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The metrics endpoint on a real pipeline (embedded PostgreSQL, a KRaft broker, Debezium, Kafka
 * Streams, the sinks), scraped over HTTP: the documented counters move when rows flow, {@code
 * /health} follows the parts; and {@code carve sink <service> --metrics-port} serves its own.
 */
@Timeout(480)
class MetricsEndpointIT {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpointIT.class);
  private static final Path HOME = dev.carve.cli.TestHome.dir();
  private static final DataGenerator.Sizes SMALL = new DataGenerator.Sizes(120, 30, 300);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String CUSTOMERS_UPSERTED =
      "carve_sink_rows_upserted_total{service=\"customers\",table=\"customer\"}";
  private static final String CUSTOMERS_IN =
      "carve_transform_records_in_total{service=\"customers\",table=\"customers\"}";
  private static final String CUSTOMERS_OUT_CUSTOMER =
      "carve_transform_records_out_total{service=\"customers\",entity=\"customer\"}";
  private static final String CUSTOMERS_OUT_ADDRESS =
      "carve_transform_records_out_total{service=\"customers\",entity=\"address\"}";

  @Test
  void documentedCountersMoveAsRowsFlowAndHealthFollowsTheParts(@TempDir Path state)
      throws Exception {
    EmbeddedPipeline.Options options =
        new EmbeddedPipeline.Options(
            state,
            HOME,
            TestPorts.freePair(),
            TestPorts.free(),
            TestPorts.free(),
            SMALL,
            11,
            0,
            false);
    MetricsServer server =
        MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), MetricsMixin.PORT_OPTION);
    String url = server.url();
    try (server;
        EmbeddedPipeline pipeline = EmbeddedPipeline.start(options, LOG::info)) {
      PipelineMetrics.register(server, pipeline);

      // Caught up: the customers sink committed every record its transformer wrote, and the
      // transformer read every customer of the snapshot.
      String snapshot =
          awaitScrape(
              url,
              body -> {
                double out =
                    value(body, CUSTOMERS_OUT_CUSTOMER) + value(body, CUSTOMERS_OUT_ADDRESS);
                return value(body, CUSTOMERS_IN) >= SMALL.customers()
                    && out > 0
                    && value(body, "carve_sink_records_total{service=\"customers\"}") >= out;
              },
              "snapshot written");
      LOG.info("metrics after the snapshot:\n{}", snapshot);
      assertThat(snapshot)
          .contains("# TYPE carve_sink_rows_upserted_total counter\n")
          .contains("# TYPE carve_transform_join_waits_ended_total counter\n")
          .contains("carve_part_up{part=\"capture\"} 1\n")
          .contains("carve_part_up{part=\"transform customers\"} 1\n")
          .contains("carve_part_up{part=\"sink customers\"} 1\n")
          .contains("carve_part_up{part=\"sink orders\"} 1\n")
          .contains("carve_kafka_streams_alive_stream_threads{service=\"customers\"} 1\n")
          .contains("carve_capture_snapshot_state{state=\"completed\"} 1\n");
      assertThat(value(snapshot, "carve_capture_events_total{table=\"public.customers\"}"))
          .isGreaterThanOrEqualTo(SMALL.customers());
      assertThat(value(snapshot, CUSTOMERS_OUT_CUSTOMER)).isGreaterThanOrEqualTo(SMALL.customers());
      assertThat(value(snapshot, CUSTOMERS_UPSERTED))
          .as("every customer but the soft-deleted ones")
          .isPositive()
          .isLessThanOrEqualTo(SMALL.customers());
      assertThat(value(snapshot, "carve_sink_batches_total{service=\"customers\"}")).isPositive();
      assertThat(value(snapshot, "carve_sink_batch_duration_seconds_count{service=\"customers\"}"))
          .isPositive();
      assertThat(value(snapshot, "carve_sink_batch_duration_seconds_sum{service=\"customers\"}"))
          .isPositive();
      assertThat(
              value(
                  snapshot,
                  "carve_kafka_consumer_records_consumed_total{service=\"customers\",part=\"sink\"}"))
          .isGreaterThanOrEqualTo(SMALL.customers());
      assertThat(value(snapshot, "carve_kafka_producer_record_send_total{part=\"capture\"}"))
          .isPositive();
      assertThat(value(snapshot, "carve_capture_slot_lag_bytes{slot=\"carve_legacy_shop\"}"))
          .isNotNegative();
      assertThat(value(snapshot, "carve_dead_lettered_total{service=\"customers\",stage=\"sink\"}"))
          .isZero();

      HttpResponse<String> health = get(url + "/health");
      assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
      assertThat(health.body()).startsWith("UP\n").contains("sink billing: up");

      double before = value(snapshot, CUSTOMERS_UPSERTED);
      insertCustomer(pipeline, "C99998001");
      awaitMetric(url, CUSTOMERS_UPSERTED, v -> v > before, "streamed insert written");

      sinkCommandServesItsOwnEndpoint(pipeline, state);
    }
    HttpResponse<String> afterClose;
    try {
      afterClose = get(url + "/health");
    } catch (IOException closed) {
      afterClose = null;
    }
    assertThat(afterClose).as("the endpoint is closed with the pipeline").isNull();
  }

  /**
   * {@code carve sink customers --metrics-port P} takes over from the pipeline's sink (same
   * consumer group), serves its counters, and closes its endpoint when it stops.
   */
  private void sinkCommandServesItsOwnEndpoint(EmbeddedPipeline pipeline, Path state)
      throws Exception {
    assertThat(pipeline.services().get("customers").parts().get(1).stop(Duration.ofSeconds(30)))
        .isTrue();
    Path config = writeConfig(pipeline.config(), state.resolve("carve.yaml"));
    int port = TestPorts.free();
    String url = "http://127.0.0.1:" + port;
    StringWriter out = new StringWriter();
    AtomicInteger exit = new AtomicInteger(-1);
    Thread command =
        new Thread(
            () -> {
              CommandLine cmd = Carve.commandLine();
              cmd.setOut(new PrintWriter(out, true));
              cmd.setErr(new PrintWriter(out, true));
              exit.set(
                  cmd.execute(
                      "sink",
                      "customers",
                      "--config",
                      config.toString(),
                      "--metrics-port",
                      String.valueOf(port)));
            },
            "carve-sink-command");
    command.start();
    try {
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      HttpResponse<String> health = null;
      while (System.nanoTime() < deadline) {
        try {
          health = get(url + "/health");
          if (health.statusCode() == 200) {
            break;
          }
        } catch (IOException notYet) {
          // The command is still starting.
        }
        assertThat(command.isAlive()).as("carve sink is running: " + out).isTrue();
        Thread.sleep(250);
      }
      assertThat(health).isNotNull();
      assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
      assertThat(health.body()).isEqualTo("UP\nsink customers: up\n");
      assertThat(out.toString()).contains("metrics on " + url + "/metrics");

      insertCustomer(pipeline, "C99998002");
      String scraped =
          awaitMetric(url, CUSTOMERS_UPSERTED, v -> v >= 1, "carve sink wrote the insert");
      assertThat(scraped)
          .contains("carve_part_up{part=\"sink customers\"} 1\n")
          .doesNotContain("carve_capture_")
          .doesNotContain("carve_transform_");
    } finally {
      command.interrupt();
      command.join(Duration.ofSeconds(60).toMillis());
    }
    assertThat(command.isAlive()).as("carve sink stopped on interrupt").isFalse();
    assertThatThrownBy(() -> get(url + "/metrics"))
        .as("its endpoint is closed")
        .isInstanceOf(IOException.class);
  }

  private static void insertCustomer(EmbeddedPipeline pipeline, String custNo) throws Exception {
    try (Connection c = pipeline.postgres().connect(EmbeddedPipeline.MONOLITH_DB);
        Statement s = c.createStatement()) {
      c.setAutoCommit(true);
      s.execute(
          "INSERT INTO customers (cust_no, full_name, email, phone, vip_flag, status, created_on,"
              + " deleted_flag, notes) VALUES ('"
              + custNo
              + "', 'Grace Brewster Hopper', 'grace@example.com', '+1 2', 'N', 'A', '09.12.1906',"
              + " 'N', 'metrics')");
    }
  }

  private static String awaitMetric(String url, String series, DoublePredicate done, String what)
      throws Exception {
    return awaitScrape(
        url,
        body -> {
          double v = value(body, series);
          return !Double.isNaN(v) && done.test(v);
        },
        what + ": " + series);
  }

  private static String awaitScrape(String url, Predicate<String> done, String what)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
    String body = "";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = get(url + "/metrics");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type"))
          .hasValue("text/plain; version=0.0.4; charset=utf-8");
      body = r.body();
      if (done.test(body)) {
        return body;
      }
      Thread.sleep(1000);
    }
    throw new AssertionError(what + ": never matched; last scrape:\n" + body);
  }

  /** The value of one series in a scrape; NaN when absent. */
  private static double value(String body, String series) {
    Matcher m =
        Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(body);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }

  private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A carve.yaml pointing at the embedded pipeline's endpoints, with the customers service. */
  private static Path writeConfig(CarveConfig c, Path file) throws Exception {
    CarveConfig.Database target = c.service("customers").target();
    Files.writeString(
        file,
        String.join(
            "\n",
            "kafka:",
            "  bootstrap-servers: " + c.kafka().bootstrapServers(),
            "schema-registry:",
            "  url: " + c.registryUrl(),
            "capture:",
            "  connector: " + c.capture().connector().toAbsolutePath(),
            "services:",
            "  customers:",
            "    topology: " + c.resolve(c.service("customers").topology()).toAbsolutePath(),
            "    target:",
            "      jdbc-url: " + target.jdbcUrl(),
            "      username: " + target.username(),
            "      password: \"" + target.password() + "\"",
            ""));
    return file;
  }

  /** A free port whose successor is free too (broker and controller). */
}
