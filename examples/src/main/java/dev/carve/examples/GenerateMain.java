package dev.carve.examples;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Creates the legacy-shop schema, loads demo data and optionally applies load:
 *
 * <pre>
 * GenerateMain --jdbc-url jdbc:postgresql://localhost:5432/legacy_shop --user postgres \
 *     --password-env MONOLITH_PASSWORD --customers 10000 [--products N] [--orders N] [--seed 42] \
 *     [--load-rate 200 --load-seconds 60]
 * </pre>
 */
public final class GenerateMain {
  private static final Set<String> FLAGS =
      Set.of(
          "--jdbc-url",
          "--user",
          "--password-env",
          "--customers",
          "--products",
          "--orders",
          "--seed",
          "--load-rate",
          "--load-seconds");

  private GenerateMain() {}

  /** Runs the generator; exits with 0 on success, 2 on bad arguments, 1 on failure. */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System.getenv()));
  }

  /**
   * Runs the generator without exiting, for tests.
   *
   * @return the exit code: 0 success, 2 bad arguments, 1 failure
   */
  public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    Map<String, String> flags;
    try {
      flags = parse(args);
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      err.println(
          "Usage: GenerateMain --jdbc-url URL [--user postgres] [--password-env NAME]"
              + " [--customers 2000] [--products N] [--orders N] [--seed 42]"
              + " [--load-rate changes/s --load-seconds N]");
      return 2;
    }
    try {
      String url = flags.get("--jdbc-url");
      String user = flags.getOrDefault("--user", "postgres");
      String passwordEnv = flags.getOrDefault("--password-env", "PGPASSWORD");
      String password = env.get(passwordEnv);
      DataGenerator.Sizes base =
          flags.containsKey("--customers")
              ? DataGenerator.Sizes.forCustomers(intFlag(flags, "--customers"))
              : DataGenerator.Sizes.DEMO;
      DataGenerator.Sizes sizes =
          new DataGenerator.Sizes(
              base.customers(),
              flags.containsKey("--products") ? intFlag(flags, "--products") : base.products(),
              flags.containsKey("--orders") ? intFlag(flags, "--orders") : base.orders());
      long seed = flags.containsKey("--seed") ? longFlag(flags, "--seed") : 42L;
      LoadGenerator.ConnectionFactory connections =
          () -> DriverManager.getConnection(url, user, password);
      try (Connection c = connections.open()) {
        if (!LegacyShop.schemaExists(c)) {
          LegacyShop.createSchema(c);
          out.println("Created the legacy-shop schema");
        }
        if (LegacyShop.isEmpty(c)) {
          DataGenerator.Result result =
              DataGenerator.create(sizes, seed)
                  .generate(
                      c, (table, done, total) -> out.printf("  %-10s %,d rows%n", table, done));
          out.printf(
              "Loaded %,d rows in %d ms: %s%n",
              result.totalRows(), result.took().toMillis(), result.rowsPerTable());
        } else {
          out.println("The legacy-shop tables hold data already; not loading");
        }
      }
      if (flags.containsKey("--load-rate")) {
        double rate = Double.parseDouble(flags.get("--load-rate"));
        long seconds =
            flags.containsKey("--load-seconds") ? longFlag(flags, "--load-seconds") : 60L;
        try (LoadGenerator load =
            LoadGenerator.create(connections, LoadGenerator.Options.of(rate, seed))) {
          load.start();
          Thread.sleep(Duration.ofSeconds(seconds).toMillis());
          load.stop(Duration.ofSeconds(10));
          out.printf("Applied %,d changes: %s%n", load.total(), load.counts());
          if (load.failure().isPresent()) {
            err.println("Load generator failed: " + load.failure().get());
            return 1;
          }
        }
      }
      return 0;
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("Interrupted");
      return 1;
    } catch (SQLException | RuntimeException e) {
      err.println("Failed: " + e.getMessage());
      return 1;
    }
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> flags = new HashMap<>();
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String value;
      int eq = arg.indexOf('=');
      if (eq > 0) {
        value = arg.substring(eq + 1);
        arg = arg.substring(0, eq);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        problems.add("option " + arg + " needs a value");
        continue;
      }
      if (!FLAGS.contains(arg)) {
        problems.add("unknown option " + arg + "; known: " + String.join(", ", FLAGS));
      } else {
        flags.put(arg, value);
      }
    }
    if (!flags.containsKey("--jdbc-url")) {
      problems.add("option --jdbc-url is required");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    return flags;
  }

  private static int intFlag(Map<String, String> flags, String name) {
    return Math.toIntExact(longFlag(flags, name));
  }

  private static long longFlag(Map<String, String> flags, String name) {
    try {
      return Long.parseLong(flags.get(name));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "option " + name + " expects a whole number, got '" + flags.get(name) + "'");
    }
  }
}
