package dev.carve.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.carve.capture.ConnectorConfig;
import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.runtime.DeadLetterTopic;
import dev.carve.cli.runtime.EmbeddedPipeline;
import dev.carve.cli.runtime.LagProbe;
import dev.carve.cli.runtime.ServiceRuntime;
import dev.carve.cli.runtime.SlotLag;
import dev.carve.core.CarveHeaders;
import dev.carve.core.Topics;
import dev.carve.core.config.Secrets;
import dev.carve.core.config.Substitution;
import dev.carve.sink.ServiceSink;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.header.Header;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code carve status}: capture lag, transformer and sink lag, dead letters, per service.
 *
 * <p>Lags are measured from the outside, through the Admin client, on the topics each part really
 * reads: the raw topics of the service's topology (not every captured table) for the transformer
 * ({@code carve-<service>}), the service's domain topics for the sink ({@code
 * carve-sink-<service>}). Dead letters are counted by reading {@code <service>.dlq} with {@code
 * read_committed}, so the transaction markers exactly-once Streams leaves there are not counted.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    header = "Shows the lag and the dead letters of each service.",
    description =
        "Shows, per service, the capture lag (replication slot), the transformer and sink consumer lag and the dead-letter count.")
public final class StatusCommand implements Callable<Integer> {
  private static final Duration DLQ_READ_LIMIT = Duration.ofSeconds(30);

  @CommandLine.Mixin ConfigMixin config;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--json", description = "Print JSON for machines.")
  boolean json;

  @Parameters(
      arity = "0..*",
      paramLabel = "SERVICE",
      description = "Only these services (default: every service in carve.yaml).")
  List<String> only = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    CarveConfig c = config.load();
    List<CarveConfig.ServiceSettings> services = new ArrayList<>();
    if (only.isEmpty()) {
      services.addAll(c.services().values());
    } else {
      for (String name : only) {
        services.add(c.service(name));
      }
    }
    ConnectorConfig connector =
        ConnectorConfig.load(c.capture().connector(), Substitution.fromEnvironment());
    String slotName = connector.get("slot.name") == null ? "debezium" : connector.get("slot.name");

    Map<String, Object> capture = new LinkedHashMap<>();
    capture.put("slot", slotName);
    capture.put("slotLagBytes", null);
    capture.put("problem", null);
    if (c.source() == null) {
      capture.put("problem", "no source in the configuration");
    } else {
      try {
        long lag =
            SlotLag.bytes(
                c.source().jdbcUrl(), c.source().username(), c.source().password(), slotName);
        if (lag < 0) {
          capture.put("problem", "no replication slot '" + slotName + "' yet");
        } else {
          capture.put("slotLagBytes", lag);
        }
      } catch (SQLException e) {
        capture.put(
            "problem",
            "cannot read the slot at "
                + Secrets.maskUrl(c.source().jdbcUrl())
                + ": "
                + Secrets.maskUrlIn(e.getMessage(), c.source().jdbcUrl()));
      }
    }

    Map<String, Object> props = new HashMap<>(c.kafka().properties());
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, c.kafka().bootstrapServers());
    // Both, or the client refuses to start: the API timeout may not be below the request timeout
    // (30 s by default).
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    List<Map<String, Object>> rows = new ArrayList<>();
    try (Admin admin = Admin.create(props)) {
      LagProbe lag = new LagProbe(admin);
      try {
        lag.requireReachable(
            c.kafka().bootstrapServers(),
            "Is it running? (kafka.bootstrap-servers of "
                + config.path()
                + "; for the pipeline of 'carve up' use --config .carve/"
                + EmbeddedPipeline.CONFIG_FILE
                + ")");
      } catch (IllegalStateException e) {
        throw new UserFacingException(e.getMessage(), e);
      }
      for (CarveConfig.ServiceSettings s : services) {
        // Built, never started: it knows the topics the service's topology and sink read.
        ServiceRuntime runtime =
            ServiceRuntime.create(
                s, c, c.kafka().bootstrapServers(), c.registryUrl(), Home.dir().resolve(".carve"));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("service", s.name());
        row.put("transformGroup", runtime.transformerGroup());
        row.put("transformLag", lag.lag(runtime.transformerGroup(), runtime.rawTopics()));
        row.put("sinkGroup", runtime.sinkGroup());
        row.put("sinkLag", lag.lag(ServiceSink.groupId(s.name()), runtime.domainTopics()));
        DeadLetters dead = deadLetters(c, Topics.deadLetter(s.name()));
        row.put("deadLetterTopic", Topics.deadLetter(s.name()));
        row.put("deadLetters", dead.total());
        row.put("deadLettersByStage", dead.byStage());
        row.put("deadLettersExact", dead.exact());
        rows.add(row);
      }
    }

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("capture", capture);
    result.put("services", rows);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(result));
    } else {
      printTable(out, capture, rows);
    }
    out.flush();
    return 0;
  }

  private static void printTable(
      PrintWriter out, Map<String, Object> capture, List<Map<String, Object>> rows) {
    Object slotLag = capture.get("slotLagBytes");
    out.printf(
        Locale.ROOT,
        "capture    slot %s: %s%n",
        capture.get("slot"),
        slotLag == null
            ? "lag unknown (" + capture.get("problem") + ")"
            : String.format(Locale.ROOT, "%,d bytes of WAL not yet confirmed", (Long) slotLag));
    int width = "service".length();
    for (Map<String, Object> row : rows) {
      width = Math.max(width, row.get("service").toString().length());
    }
    String header = "%-" + width + "s %14s %14s %14s  %s%n";
    out.printf(
        Locale.ROOT, header, "service", "transform lag", "sink lag", "dead letters", "by stage");
    for (Map<String, Object> row : rows) {
      @SuppressWarnings("unchecked")
      Map<String, Long> byStage = (Map<String, Long>) row.get("deadLettersByStage");
      StringBuilder stages = new StringBuilder();
      byStage.forEach(
          (stage, n) ->
              stages
                  .append(stages.length() == 0 ? "" : ", ")
                  .append(stage)
                  .append(' ')
                  .append(String.format(Locale.ROOT, "%,d", n)));
      out.printf(
          Locale.ROOT,
          "%-" + width + "s %,14d %,14d %14s  %s%n",
          row.get("service"),
          row.get("transformLag"),
          row.get("sinkLag"),
          (Boolean.TRUE.equals(row.get("deadLettersExact")) ? "" : "~")
              + String.format(Locale.ROOT, "%,d", (Long) row.get("deadLetters")),
          stages.length() == 0 ? "-" : stages);
    }
  }

  /**
   * Dead letters held by a topic.
   *
   * @param total records in the topic
   * @param byStage records per {@code carve.dlq.stage} header ({@code transform}, {@code sink};
   *     {@code unknown} without the header)
   * @param exact false when the topic was too large to read within the limit and {@code total} is
   *     the offset span (transaction markers included)
   */
  private record DeadLetters(long total, Map<String, Long> byStage, boolean exact) {}

  /** Reads the whole dead-letter topic (committed records only) and counts by stage. */
  private static DeadLetters deadLetters(CarveConfig c, String topic) {
    Map<String, Object> props = new HashMap<>(c.kafka().properties());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, c.kafka().bootstrapServers());
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "carve-status-" + topic);
    props.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    Map<String, Long> byStage = new TreeMap<>();
    long[] total = {0};
    DeadLetterTopic.Read read =
        DeadLetterTopic.read(
            props,
            topic,
            DLQ_READ_LIMIT,
            r -> {
              Header stage = r.headers().lastHeader(CarveHeaders.DLQ_STAGE);
              String name =
                  stage == null || stage.value() == null
                      ? "unknown"
                      : new String(stage.value(), StandardCharsets.UTF_8);
              byStage.merge(name, 1L, Long::sum);
              total[0]++;
            });
    return read.complete()
        ? new DeadLetters(total[0], byStage, true)
        : new DeadLetters(read.offsetSpan(), byStage, false);
  }
}
