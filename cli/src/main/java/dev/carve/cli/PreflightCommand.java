package dev.carve.cli;

import dev.carve.capture.ConnectorConfig;
import dev.carve.capture.Preflight;
import dev.carve.capture.PreflightReport;
import dev.carve.core.config.Substitution;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code carve preflight}: checks the monolith's PostgreSQL for what would stop or hurt the
 * Debezium connector, before it is deployed.
 */
@Command(
    name = "preflight",
    mixinStandardHelpOptions = true,
    header = "Checks the monolith's PostgreSQL for capture (read-only).",
    description = {
      "Checks the monolith's PostgreSQL before the connector is deployed: wal_level, the user's"
          + " replication and table privileges, primary keys and REPLICA IDENTITY, TOASTed"
          + " columns, the publication, the replication slot and its retained WAL,"
          + " max_replication_slots, max_wal_senders, max_slot_wal_keep_size, heartbeats and the"
          + " signal table. Read-only.",
      "Exit code 0 when nothing blocks the connector, 1 when anything does."
    })
public final class PreflightCommand implements Callable<Integer> {
  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*([kmgt]i?b?|b)?", Pattern.CASE_INSENSITIVE);
  private static final Map<Character, Integer> SHIFT = Map.of('k', 10, 'm', 20, 'g', 30, 't', 40);

  @CommandLine.Mixin ConfigMixin config;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--connector",
      paramLabel = "FILE",
      description =
          "Connector config file (default: capture.connector of --config when given, else"
              + " cdc-connector-config/connectors/legacy-shop.json in the Carve home).")
  Path connectorFile;

  @Option(
      names = "--wal-warn-bytes",
      paramLabel = "N",
      description =
          "Warn when the existing slot retains more WAL than this: bytes, or with a unit (kB, MB,"
              + " GB, TB or KiB, MiB, GiB, TiB; all 1024-based). Default: 1GiB.")
  String walWarnBytes;

  @Option(names = "--json", description = "Print the report as JSON instead of a table.")
  boolean json;

  @Override
  public Integer call() {
    long threshold =
        walWarnBytes == null ? Preflight.DEFAULT_WAL_WARN_BYTES : parseBytes(walWarnBytes);
    ConnectorConfig connector =
        ConnectorConfig.load(connectorPath(), Substitution.fromEnvironment());
    PreflightReport report = Preflight.of(connector).withWalWarnBytes(threshold).run();
    PrintWriter out = spec.commandLine().getOut();
    out.print(json ? report.toJson() + System.lineSeparator() : report.render());
    out.flush();
    return report.ready() ? 0 : Carve.EXIT_FAILURE;
  }

  private Path connectorPath() {
    if (connectorFile != null) {
      return connectorFile.toAbsolutePath();
    }
    if (config.file != null) {
      return config.load().capture().connector();
    }
    return Home.dir().resolve("cdc-connector-config/connectors/legacy-shop.json");
  }

  private long parseBytes(String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (m.matches()) {
      try {
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        int shift = unit.equals("b") ? 0 : SHIFT.get(unit.charAt(0));
        if (n >= 1 && n <= Long.MAX_VALUE >> shift) {
          return n << shift;
        }
      } catch (NumberFormatException e) {
        // Too many digits for a long: rejected below like any other bad value.
      }
    }
    throw new CommandLine.ParameterException(
        spec.commandLine(),
        "--wal-warn-bytes takes a positive size such as 1073741824, 512MiB or 1GB, not '"
            + text
            + "'");
  }
}
