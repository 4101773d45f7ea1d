package dev.carve.chaos;

import dev.carve.core.config.ConfigOption;
import dev.carve.examples.DataGenerator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code chaos/run}: the soak and fault-injection harness from the command line. */
@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the demo pipeline (separate processes) under load for a duration while killing,",
      "pausing and restarting its parts, feeds bad input, then reconciles every service.",
      "Exits 0 only when nothing was lost, every fault recovered and all bad input ended right."
    })
public final class ChaosMain implements Callable<Integer> {
  @Option(names = "--duration", defaultValue = "30m", description = "Load time (e.g. 30m, 90s).")
  String duration;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of data, load and faults.")
  long seed;

  @Option(names = "--load", defaultValue = "100", description = "Changes per second.")
  double load;

  @Option(names = "--fault-every", defaultValue = "90s", description = "Mean time between faults.")
  String faultEvery;

  @Option(names = "--pause-for", defaultValue = "30s", description = "How long a pause lasts.")
  String pauseFor;

  @Option(
      names = "--bulk-every",
      defaultValue = "5000",
      description = "One large transaction after this many changes (0: none).")
  int bulkEvery;

  @Option(
      names = "--bulk-rows",
      defaultValue = "10000",
      description = "Rows of a large transaction.")
  int bulkRows;

  @Option(
      names = "--customers",
      defaultValue = "2000",
      description = "Demo size: customers (orders are three times as many).")
  int customers;

  @Option(names = "--no-bad-input", description = "Do not feed bad input.")
  boolean noBadInput;

  @Option(
      names = "--dir",
      description = "Work directory (default: <carve home>/.carve/chaos); emptied first.")
  Path dir;

  @Override
  public Integer call() throws Exception {
    Path home = dev.carve.cli.Home.dir();
    ChaosHarness.Options options =
        new ChaosHarness.Options(
            dir == null ? home.resolve(".carve").resolve("chaos") : dir.toAbsolutePath(),
            home,
            ConfigOption.parseDuration(duration),
            seed,
            load,
            ConfigOption.parseDuration(faultEvery),
            ConfigOption.parseDuration(pauseFor),
            bulkEvery,
            bulkRows,
            new DataGenerator.Sizes(customers, Math.max(20, customers / 10), customers * 3),
            !noBadInput,
            Duration.ofMinutes(10),
            Duration.ofMinutes(15));
    System.out.printf(
        Locale.ROOT,
        "chaos: %s of load at %.0f changes/s, a fault every ~%s, seed %d, work dir %s%n",
        duration,
        load,
        faultEvery,
        seed,
        options.workDir());
    ChaosReport report = ChaosHarness.run(options, line -> System.out.println(line));
    System.out.print(report.render());
    return report.ok() ? 0 : 1;
  }

  /** Runs the harness and exits with its verdict. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new ChaosMain()).execute(args));
  }
}
