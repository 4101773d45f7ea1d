package dev.carve.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.carve.capture.ConnectorConfig;
import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.runtime.LagProbe;
import dev.carve.cli.runtime.SlotLag;
import dev.carve.core.Topics;
import dev.carve.core.config.Substitution;
import dev.carve.schemas.EntitySchemas;
import dev.carve.schemas.SchemaCatalog;
import dev.carve.sink.ServiceSink;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code carve status}: capture lag, transformer and sink lag, dead letters, per service. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description =
        "Shows, per service, the capture lag (replication slot), the transformer and sink consumer lag and the dead-letter count.")
public final class StatusCommand implements Callable<Integer> {
  @CommandLine.Mixin ConfigMixin config;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--json", description = "Print JSON for machines.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    CarveConfig c = config.load();
    ConnectorConfig connector =
        ConnectorConfig.load(c.capture().connector(), Substitution.fromEnvironment());
    Map<String, Object> props = new HashMap<>(c.kafka().properties());
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, c.kafka().bootstrapServers());
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    Map<String, Object> result = new LinkedHashMap<>();
    long slot = -1;
    if (c.source() != null) {
      slot =
          SlotLag.bytes(
              c.source().jdbcUrl(),
              c.source().username(),
              c.source().password(),
              connector.get("slot.name"));
    }
    result.put("captureSlot", connector.get("slot.name"));
    result.put("captureSlotLagBytes", slot);
    List<Map<String, Object>> services = new ArrayList<>();
    try (Admin admin = Admin.create(props)) {
      LagProbe lag = new LagProbe(admin);
      List<String> raw = connector.tables().stream().map(connector::rawTopic).toList();
      for (CarveConfig.ServiceSettings s : c.services().values()) {
        List<String> domain =
            SchemaCatalog.fromClasspath().entities(s.name()).stream()
                .map(EntitySchemas::topic)
                .toList();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("service", s.name());
        row.put("transformLag", lag.lag("carve-" + s.name(), raw));
        row.put("sinkLag", lag.lag(ServiceSink.groupId(s.name()), domain));
        row.put("deadLetters", lag.size(Topics.deadLetter(s.name())));
        services.add(row);
      }
    }
    result.put("services", services);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(result));
    } else {
      out.printf(
          Locale.ROOT,
          "capture    slot %s: %s of WAL not yet confirmed%n",
          connector.get("slot.name"),
          slot < 0
              ? "unknown (no slot, or no source in carve.yaml)"
              : String.format(Locale.ROOT, "%,d bytes", slot));
      out.printf(
          Locale.ROOT,
          "%-12s %14s %14s %12s%n",
          "service",
          "transform lag",
          "sink lag",
          "dead letters");
      for (Map<String, Object> row : services) {
        out.printf(
            Locale.ROOT,
            "%-12s %,14d %,14d %,12d%n",
            row.get("service"),
            row.get("transformLag"),
            row.get("sinkLag"),
            row.get("deadLetters"));
      }
    }
    out.flush();
    return 0;
  }
}
