package dev.carve.cli;

import dev.carve.capture.ConnectorConfig;
import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.runtime.MappingFunctions;
import dev.carve.cli.runtime.ServiceRuntime;
import dev.carve.cli.verify.ProgressBar;
import dev.carve.cli.verify.ReconcileReport;
import dev.carve.cli.verify.Reconciler;
import dev.carve.cli.verify.Repairer;
import dev.carve.cli.verify.Settling;
import dev.carve.core.config.Substitution;
import dev.carve.schemas.EntitySchemas;
import dev.carve.schemas.SchemaCatalog;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.transform.TransformerRuntime;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.keys.KeyRegistryTopic;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code carve verify <service>}: proves the service's tables equal the mapping of the monolith,
 * and with {@code --repair} re-emits the keys that differ.
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    header = "Compares a service's tables with the mapped monolith.",
    description = {
      "Reads the monolith's tables through the service's own mapping code and compares the result",
      "with the service's tables, bucket by bucket on per-key hashes: missing, extra and different",
      "rows. Exit code 0 only when they are equal. Memory stays bounded: both sides are spilled",
      "to temporary files per bucket (about 50,000 rows each) and compared one bucket at a time.",
      "Every new key the mapping allocates (allocate:, LegacyKeys) is checked too: a key given to",
      "two legacy values of its namespace is a KEY COLLISION, named with both values (exit 1).",
      "The mapping gives legacy values the keys recorded in the key registry (the compacted topic",
      "carve.legacy-keys, read to its end first), as the transformers do; new ones get their",
      "proposal and are recorded nowhere. Kafka unreachable is an error: --no-key-registry compares",
      "with proposals only (a key imported or set with carve keys set then shows as a mismatch).",
      "",
      "The monolith keeps changing while verify reads it: a key changed meanwhile differs until its",
      "change has passed capture, transform and sink. So the keys that differ are compared again",
      "(every 2 s, each time reading the source again) until they are equal, a round settles none,",
      "or --settle is up; only keys that still differ then are reported.",
      "",
      "--repair re-emits the mismatched keys through the pipeline: an incremental snapshot signal",
      "(the connector's signal table) limited to the source rows that map to them. Extra keys no",
      "source row maps to cannot be re-emitted: a delete of each is written to the service's domain",
      "topic with the target row's position and carve.repair=true, so the sink removes it while any",
      "later real change of the key still wins. Then it waits until a re-verify of those keys is",
      "equal."
    })
public final class VerifyCommand implements Callable<Integer> {
  private static final Duration RECHECK = Duration.ofSeconds(5);

  @CommandLine.Mixin ConfigMixin config;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "SERVICE",
      description = "The service, as named in carve.yaml.")
  String service;

  @Option(
      names = "--fields",
      split = ",",
      paramLabel = "FIELD",
      description = "Compare only these value fields (keys always). Default: every field.")
  List<String> fields = List.of();

  @Option(
      names = "--time-column",
      paramLabel = "COLUMN",
      description =
          "A timestamp column of the monolith tables for --since/--until (e.g. updated_at). Tables"
              + " without it are read in full.")
  String timeColumn;

  @Option(
      names = "--since",
      paramLabel = "TIME",
      description =
          "Compare only source rows with time column >= TIME (ISO-8601, e.g. 2026-11-21T10:00:00Z;"
              + " without an offset: UTC). Target rows of keys outside the window are not extra.")
  String since;

  @Option(
      names = "--until",
      paramLabel = "TIME",
      description = "Compare only source rows with time column < TIME (ISO-8601).")
  String until;

  @Option(
      names = "--settle",
      paramLabel = "DURATION",
      defaultValue = "1m",
      description =
          "How long to keep re-comparing the keys that differ while they become equal, changes on"
              + " their way through the pipeline (default: ${DEFAULT-VALUE}; 0: report the first"
              + " comparison).")
  String settle;

  @Option(names = "--repair", description = "Re-emit the mismatched keys, then re-verify them.")
  boolean repair;

  @Option(
      names = "--repair-timeout",
      paramLabel = "DURATION",
      defaultValue = "5m",
      description =
          "How long --repair waits for the keys to become equal (default: ${DEFAULT-VALUE}).")
  String repairTimeout;

  @Option(
      names = "--dry-run",
      description = "With --repair: print what the repair would write, write nothing.")
  boolean dryRun;

  @Option(
      names = "--no-key-registry",
      description =
          "Do not read the key registry: every legacy value is expected with its proposal (when"
              + " Kafka is not reachable; keys recorded otherwise then show as mismatches).")
  boolean noKeyRegistry;

  @Override
  public Integer call() throws Exception {
    try {
      return verify();
    } catch (KeyRegistryTopic.UnavailableException e) {
      throw new UserFacingException(
          e.getMessage()
              + " carve verify reads the key registry to expect the keys the transformers gave;"
              + " --no-key-registry expects every legacy value's proposal instead.",
          e);
    }
  }

  private Integer verify() throws Exception {
    Reconciler.Options options = options();
    Duration timeout = CliDurations.parse(spec, "--repair-timeout", repairTimeout);
    Duration settleFor = CliDurations.parseOrZero(spec, "--settle", settle);
    CarveConfig c = config.load();
    CarveConfig.ServiceSettings s = c.service(service);
    if (c.source() == null) {
      throw new UserFacingException(
          "carve verify needs the monolith's database: add a 'source' section to carve.yaml");
    }
    PrintWriter out = spec.commandLine().getOut();
    String ref =
        s.topology().endsWith(".yaml") || s.topology().endsWith(".yml")
            ? c.resolve(s.topology()).toString()
            : s.topology();
    DomainTopology topology = TransformerRuntime.loadTopology(ref);
    List<EntitySchemas> entities = SchemaCatalog.fromClasspath().entities(service);
    CarveConfig.Database t = s.target();
    Reconciler.Db source =
        new Reconciler.Db(
            c.source().jdbcUrl(), c.source().username(), c.source().password(), "public");
    Reconciler reconciler =
        new Reconciler(
            service,
            entities,
            MappingFunctions.of(topology, "legacy", s.onError(), c.registryUrl()),
            source,
            new Reconciler.Db(t.jdbcUrl(), t.username(), t.password(), t.schema()),
            noKeyRegistry ? null : ServiceRuntime.keyRegistry(s, c));
    try {
      reconciler.validate(options);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--fields: " + e.getMessage());
    }
    if (noKeyRegistry) {
      out.println(
          "key registry not read (--no-key-registry): every legacy value gets its proposal");
    }
    ProgressBar bar = new ProgressBar(out, System.console() != null);
    long t0 = System.nanoTime();
    ReconcileReport first = reconciler.run(options, bar);
    bar.finish();
    Settling.Outcome settled =
        Settling.settle(
            reconciler,
            options,
            first,
            settleFor,
            Settling.Pause.SLEEP,
            line -> {
              out.println(line);
              out.flush();
            });
    ReconcileReport report = settled.report();
    double seconds = (System.nanoTime() - t0) / 1e9;
    out.print(report.render());
    if (!settled.describe().isEmpty()) {
      out.println(settled.describe());
    }
    out.printf(
        Locale.ROOT,
        "%s: %s (%.1f s)%s%n",
        service,
        report.equal() ? "EQUAL to the mapped source" : "DIFFERENT from the mapped source",
        seconds,
        report.windowed() ? ", compared the keys of the window only" : "");
    out.flush();
    if (report.equal() && report.unmappableCount() > 0) {
      out.printf(
          Locale.ROOT,
          "%,d source row(s) cannot be mapped by %s's mapping (their changes are in %s.dlq): fix"
              + " the rows, or the mapping and replay.%n",
          report.unmappableCount(),
          service,
          service);
      out.flush();
      return Carve.EXIT_FAILURE;
    }
    if (report.equal()) {
      return 0;
    }
    if (!repair) {
      out.println("Run again with --repair to re-emit the mismatched keys.");
      out.flush();
      return Carve.EXIT_FAILURE;
    }
    return repair(c, reconciler, options, source, entities, first, report, timeout, out);
  }

  private int repair(
      CarveConfig c,
      Reconciler reconciler,
      Reconciler.Options options,
      Reconciler.Db source,
      List<EntitySchemas> entities,
      ReconcileReport first,
      ReconcileReport report,
      Duration timeout,
      PrintWriter out)
      throws Exception {
    Repairer.Plan planned = Repairer.plan(report);
    // Extra keys are deleted only when a comparison that read the source after the first one read
    // the target still finds no source row for them, at the position the first one read.
    ReconcileReport confirm =
        planned.orphans().isEmpty() || first.unmappableCount() > 0
            ? null
            : reconciler.run(
                options.onlyKeys(Repairer.orphanKeys(planned)),
                Reconciler.Progress.lines(line -> {}));
    Repairer.Confirmed confirmed = Repairer.confirmOrphans(planned, first, confirm);
    confirmed.kept().forEach(line -> out.println("repair: " + line));
    Repairer.Plan plan = confirmed.plan();
    plan.sourceKeys()
        .forEach(
            (table, keys) ->
                out.printf(
                    Locale.ROOT,
                    "repair: re-emit %,d row%s of public.%s by an incremental snapshot%n",
                    keys.size(),
                    keys.size() == 1 ? "" : "s",
                    table));
    plan.orphans()
        .forEach(
            (entity, keys) ->
                out.printf(
                    Locale.ROOT,
                    "repair: delete %,d extra key%s of %s.%s no source row maps to%n",
                    keys.size(),
                    keys.size() == 1 ? "" : "s",
                    service,
                    entity));
    if (plan.unlisted() > 0) {
      out.printf(
          Locale.ROOT,
          "repair: %,d more mismatches than the %,d a repair handles; rebuild with carve replay%n",
          plan.unlisted(),
          Reconciler.MISMATCH_LIMIT);
    }
    if (plan.isEmpty()) {
      out.printf(Locale.ROOT, "%s: nothing to repair%n", service);
      out.flush();
      return Carve.EXIT_FAILURE;
    }
    if (dryRun) {
      out.println("dry run: nothing written");
      out.flush();
      return Carve.EXIT_FAILURE;
    }
    if (!plan.sourceKeys().isEmpty()) {
      String signalTable = signalTable(c);
      try (Connection conn = source.connect()) {
        conn.setAutoCommit(true);
        List<String> ids = Repairer.signal(conn, source.schema(), signalTable, plan);
        out.printf(
            Locale.ROOT,
            "repair: %d snapshot signal%s written to %s%n",
            ids.size(),
            ids.size() == 1 ? "" : "s",
            signalTable);
      }
    }
    if (!plan.orphans().isEmpty()) {
      try (KafkaProducer<GenericRecord, byte[]> producer = producer(c)) {
        List<String> skipped = Repairer.tombstones(producer, entities, plan);
        skipped.forEach(k -> out.println("repair: cannot delete " + k));
      }
    }
    out.flush();
    Reconciler.Options recheck = options.onlyKeys(plan.keys());
    long deadline = System.nanoTime() + timeout.toNanos();
    ReconcileReport after = null;
    while (System.nanoTime() < deadline) {
      Thread.sleep(RECHECK.toMillis());
      after = reconciler.run(recheck, Reconciler.Progress.lines(line -> {}));
      if (after.equal()) {
        break;
      }
    }
    if (after != null && after.equal() && plan.unlisted() == 0) {
      if (!confirmed.kept().isEmpty()) {
        out.printf(
            Locale.ROOT,
            "%s: REPAIRED the %,d keys it re-emitted or deleted; the extra keys it left alone"
                + " (above) still differ%n",
            service,
            keyCount(plan));
        out.flush();
        return Carve.EXIT_FAILURE;
      }
      out.printf(
          Locale.ROOT, "%s: REPAIRED, the %,d keys are now equal%n", service, keyCount(plan));
      out.flush();
      return 0;
    }
    if (after != null) {
      out.print(after.render());
    }
    out.printf(
        Locale.ROOT,
        "%s: NOT REPAIRED within %s: are capture, transform and sink running? Re-emitted records"
            + " a stage could not handle are in the dead-letter topic %s%n",
        service,
        repairTimeout,
        dev.carve.core.Topics.deadLetter(service));
    out.flush();
    return Carve.EXIT_FAILURE;
  }

  private static long keyCount(Repairer.Plan plan) {
    return plan.keys().values().stream().mapToLong(java.util.Set::size).sum();
  }

  private String signalTable(CarveConfig c) {
    if (c.capture() == null) {
      throw new UserFacingException(
          "carve verify --repair needs the connector config for its signal table: add a 'capture'"
              + " section to carve.yaml");
    }
    ConnectorConfig connector =
        ConnectorConfig.load(c.capture().connector(), Substitution.fromEnvironment());
    return connector
        .signalTable()
        .orElseThrow(
            () ->
                new UserFacingException(
                    "carve verify --repair needs signal.data.collection in the connector config "
                        + c.capture().connector()));
  }

  private static KafkaProducer<GenericRecord, byte[]> producer(CarveConfig c) {
    Map<String, Object> props = new HashMap<>(c.kafka().properties());
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, c.kafka().bootstrapServers());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    Map<String, Object> serde = c.registryClientConfig(c.registryUrl());
    return new KafkaProducer<>(
        props, AvroSerdes.generic(serde, true).serializer(), new ByteArraySerializer());
  }

  private Reconciler.Options options() {
    if (timeColumn == null && (since != null || until != null)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--since/--until need --time-column (e.g. --time-column updated_at)");
    }
    if (timeColumn != null && since == null && until == null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--time-column needs --since and/or --until");
    }
    if (dryRun && !repair) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--dry-run needs --repair");
    }
    LocalDateTime from = time("--since", since);
    LocalDateTime to = time("--until", until);
    if (from != null && to != null && !from.isBefore(to)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--since " + since + " is not before --until " + until);
    }
    return new Reconciler.Options(
        fields.stream().map(String::trim).filter(f -> !f.isEmpty()).toList(),
        timeColumn,
        from,
        to,
        null);
  }

  /** An ISO-8601 time as UTC wall-clock time; without an offset it is taken as UTC. */
  private LocalDateTime time(String option, String value) {
    if (value == null) {
      return null;
    }
    try {
      return LocalDateTime.ofInstant(Instant.parse(value), ZoneOffset.UTC);
    } catch (DateTimeParseException notInstant) {
      try {
        return OffsetDateTime.parse(value).withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
      } catch (DateTimeParseException notOffset) {
        try {
          return LocalDateTime.parse(value);
        } catch (DateTimeParseException e) {
          throw new CommandLine.ParameterException(
              spec.commandLine(),
              option + ": '" + value + "' is not an ISO-8601 time such as 2026-11-21T10:00:00Z");
        }
      }
    }
  }
}
