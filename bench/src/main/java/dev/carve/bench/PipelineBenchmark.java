package dev.carve.bench;

import dev.carve.cli.embedded.EmbeddedPostgresServer;
import dev.carve.cli.runtime.EmbeddedPipeline;
import dev.carve.cli.runtime.PipelineStatus;
import dev.carve.cli.runtime.SyncCheck;
import dev.carve.examples.DataGenerator;
import dev.carve.examples.LegacyShop;
import dev.carve.examples.LoadGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * End-to-end figures of the embedded pipeline (what {@code carve up} runs), printed, never
 * asserted:
 *
 * <ol>
 *   <li>{@code startup}: time from a fresh start to synced at the default demo size, peak RSS;
 *   <li>{@code snapshot}: rows/s of the initial snapshot of N orders (default 100,000), data loaded
 *       beforehand and not timed;
 *   <li>{@code rate}: the highest change rate the pipeline keeps up with (stepped load);
 *   <li>{@code latency}: commit-to-visible-in-target latency p50/p99 under a given load (default
 *       1,000 changes/s).
 * </ol>
 *
 * <p>Run: {@code bench/run PipelineBenchmark [startup|snapshot|rate|latency|all] [--orders N]}.
 */
public final class PipelineBenchmark {
  private static final Path HOME =
      Path.of(System.getProperty("carve.home", ".")).toAbsolutePath().normalize();

  private PipelineBenchmark() {}

  /** Runs the chosen figures. */
  public static void main(String[] args) throws Exception {
    String what = args.length > 0 ? args[0] : "all";
    int orders = intArg(args, "--orders", 100_000);
    int latencyRate = intArg(args, "--latency-rate", 1000);
    int seconds = intArg(args, "--seconds", 60);
    System.out.printf(
        Locale.ROOT,
        "Carve pipeline benchmark on %d cores, max heap %d MB%n",
        Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20);
    if (what.equals("startup") || what.equals("all")) {
      startup();
    }
    if (what.equals("snapshot") || what.equals("all")) {
      snapshot(orders);
    }
    if (what.equals("rate") || what.equals("all")) {
      rate();
    }
    if (what.equals("latency") || what.equals("all")) {
      latency(latencyRate, seconds);
    }
    System.exit(0);
  }

  private static void startup() throws Exception {
    Path state = Files.createTempDirectory("carve-bench-startup");
    long t0 = System.nanoTime();
    try (EmbeddedPipeline p =
        EmbeddedPipeline.start(options(state, DataGenerator.Sizes.DEMO, 0, true), line -> {})) {
      awaitSynced(p, Duration.ofMinutes(20));
      double s = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "startup   fresh start to synced (demo size %,d customers, %,d orders): %.1f s, peak RSS %,d MB%n",
          DataGenerator.Sizes.DEMO.customers(),
          DataGenerator.Sizes.DEMO.orders(),
          s,
          peakRssMb());
    }
  }

  private static void snapshot(int orders) throws Exception {
    Path state = Files.createTempDirectory("carve-bench-snapshot");
    DataGenerator.Sizes sizes =
        new DataGenerator.Sizes(Math.max(1, orders / 3), Math.max(20, orders / 30), orders);
    Options ports = Options.free();
    long rows;
    try (EmbeddedPostgresServer pg =
        EmbeddedPostgresServer.start(state.resolve("postgres"), ports.pg)) {
      pg.ensureDatabase(EmbeddedPipeline.MONOLITH_DB);
      try (Connection c = pg.connect(EmbeddedPipeline.MONOLITH_DB)) {
        LegacyShop.createSchema(c);
        rows = DataGenerator.create(sizes, 42).generate(c, DataGenerator.Progress.NONE).totalRows();
      }
    }
    long t0 = System.nanoTime();
    try (EmbeddedPipeline p =
        EmbeddedPipeline.start(
            new EmbeddedPipeline.Options(
                state, HOME, ports.kafka, ports.pg, ports.registry, sizes, 42, 0, false),
            line -> {})) {
      PipelineStatus status = awaitSynced(p, Duration.ofMinutes(60));
      double s = (System.nanoTime() - t0) / 1e9;
      long target = status.services().stream().mapToLong(PipelineStatus.Service::totalRows).sum();
      System.out.printf(
          Locale.ROOT,
          "snapshot  %,d orders (%,d source rows) to synced in %.1f s: %,.0f source rows/s, %,.0f target rows/s (%,d target rows), peak RSS %,d MB%n",
          orders,
          rows,
          s,
          rows / s,
          target / s,
          target,
          peakRssMb());
      // What each transformer wrote against what the service holds: a left row of a join whose
      // joined row came after its wait was written twice (once without, once with it).
      p.services()
          .forEach(
              (name, service) ->
                  System.out.printf(
                      Locale.ROOT,
                      "          %-10s records in %,d, out %,d, join waits ended %,d%n",
                      name,
                      service.transformerMetrics().recordsIn(),
                      service.transformerMetrics().recordsOut(),
                      service.transformerMetrics().joinWaitsEnded()));
    }
  }

  private static void rate() throws Exception {
    Path state = Files.createTempDirectory("carve-bench-rate");
    try (EmbeddedPipeline p =
            EmbeddedPipeline.start(options(state, DataGenerator.Sizes.DEMO, 0, true), line -> {});
        Probe probe = Probe.whenSynced(p)) {
      int best = 0;
      for (int rate : new int[] {250, 500, 1000, 2000, 4000}) {
        try (LoadGenerator load =
            LoadGenerator.create(
                () -> p.postgres().connect(EmbeddedPipeline.MONOLITH_DB),
                LoadGenerator.Options.of(rate, rate))) {
          load.start();
          Thread.sleep(10_000);
          long before = load.total();
          long tStart = System.nanoTime();
          // The lag of Streams and sinks comes in bursts (commits, batches): one sample a second,
          // and the medians of the first and last five compared, not two single samples.
          List<Long> lags = new ArrayList<>();
          for (int s = 0; s < 20; s++) {
            Thread.sleep(1_000);
            lags.add(totalLag(p));
          }
          double achieved = (load.total() - before) / ((System.nanoTime() - tStart) / 1e9);
          // Capture is not in the lag above (it counts raw records not yet consumed): a change
          // committed now must reach a target table while the load goes on.
          long probeMs = probe.commitToVisible(Duration.ofSeconds(30)).toMillis();
          load.stop(Duration.ofSeconds(10));
          long early = median(lags.subList(0, 5));
          long late = median(lags.subList(lags.size() - 5, lags.size()));
          boolean keepsUp =
              late - early <= achieved && probeMs <= 10_000; // lag not growing by a second's worth
          System.out.printf(
              Locale.ROOT,
              "rate      target %,5d changes/s: achieved %,6.0f/s, pipeline lag (median of 5 s)"
                  + " %,d -> %,d records (max %,d), probe commit-to-visible %s: %s%n",
              rate,
              achieved,
              early,
              late,
              Collections.max(lags),
              probeMs > 30_000 ? "over 30 s" : probeMs + " ms",
              keepsUp ? "keeps up" : "falls behind");
          if (keepsUp) {
            best = (int) achieved;
          }
          if (!keepsUp) {
            break;
          }
          if (achieved < rate * 0.8) {
            System.out.printf(
                Locale.ROOT,
                "rate      the load generator reached %,.0f of %,d changes/s on this machine; the"
                    + " pipeline kept up with all of it%n",
                achieved,
                rate);
            break;
          }
        }
        awaitSynced(p, Duration.ofMinutes(10));
      }
      System.out.printf(
          Locale.ROOT, "rate      highest change rate kept up with: %,d changes/s%n", best);
    }
  }

  private static void latency(int rate, int seconds) throws Exception {
    Path state = Files.createTempDirectory("carve-bench-latency");
    try (EmbeddedPipeline p =
            EmbeddedPipeline.start(options(state, DataGenerator.Sizes.DEMO, 0, true), line -> {});
        Probe probe = Probe.whenSynced(p)) {
      List<Long> micros = new ArrayList<>();
      try (LoadGenerator load =
          LoadGenerator.create(
              () -> p.postgres().connect(EmbeddedPipeline.MONOLITH_DB),
              LoadGenerator.Options.of(rate, 7))) {
        load.start();
        Thread.sleep(5_000);
        long loadBefore = load.total();
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (System.nanoTime() < end) {
          Duration took = probe.commitToVisible(Duration.ofSeconds(60));
          if (took.compareTo(Duration.ofSeconds(60)) > 0) {
            throw new IllegalStateException("probe not visible after 60 s");
          }
          micros.add(took.toNanos() / 1000);
          Thread.sleep(50);
        }
        double achieved = (load.total() - loadBefore) / (double) seconds;
        Collections.sort(micros);
        System.out.printf(
            Locale.ROOT,
            "latency   commit-to-visible under %,.0f changes/s (target %,d/s), %d probes: p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
            achieved,
            rate,
            micros.size(),
            pct(micros, 50) / 1000.0,
            pct(micros, 99) / 1000.0,
            micros.get(micros.size() - 1) / 1000.0);
      }
    }
  }

  /**
   * Commits a new customer in the monolith (a copy of an existing one under a new {@code cust_no})
   * and waits until the customers service's table shows it: the whole path (capture, transform,
   * sink) of one change. A new row each time, because the load generator soft-deletes customers it
   * knows, and a probe of a deleted customer would never show.
   */
  private static final class Probe implements AutoCloseable {
    private final Connection src;
    private final Connection dst;
    private final PreparedStatement insert;
    private final PreparedStatement read;
    private final String template;
    private int sent;

    /** Waits until the pipeline has synced its initial load, then opens the probe. */
    static Probe whenSynced(EmbeddedPipeline p) throws Exception {
      awaitSynced(p, Duration.ofMinutes(20));
      return new Probe(p);
    }

    private Probe(EmbeddedPipeline p) throws Exception {
      this.src = p.postgres().connect(EmbeddedPipeline.MONOLITH_DB);
      this.dst = p.postgres().connect("customers");
      try (ResultSet rs =
          src.createStatement()
              .executeQuery("SELECT min(cust_no) FROM customers WHERE deleted_flag = 'N'")) {
        rs.next();
        this.template = rs.getString(1);
      }
      this.insert =
          src.prepareStatement(
              "INSERT INTO customers (cust_no, full_name, email, phone, vip_flag, status,"
                  + " created_on, deleted_flag, notes, updated_at) SELECT ?, full_name, ?, phone,"
                  + " vip_flag, status, created_on, 'N', NULL, now() FROM customers"
                  + " WHERE cust_no = ?");
      this.read = dst.prepareStatement("SELECT email FROM customer WHERE customer_id = ?");
    }

    /** The time to visible; longer than {@code limit} when it was not visible by then. */
    Duration commitToVisible(Duration limit) throws Exception {
      String custNo = String.format(Locale.ROOT, "PROBE%07d", sent++);
      String token = custNo.toLowerCase(Locale.ROOT) + "@bench.example";
      insert.setString(1, custNo);
      insert.setString(2, token);
      insert.setString(3, template);
      if (insert.executeUpdate() != 1) {
        throw new IllegalStateException("template customer " + template + " is gone");
      }
      long committed = System.nanoTime();
      read.setLong(1, dev.carve.transform.api.LegacyKeys.allocate("customer", custNo));
      while (true) {
        try (ResultSet rs = read.executeQuery()) {
          if (rs.next() && token.equals(rs.getString(1))) {
            return Duration.ofNanos(System.nanoTime() - committed);
          }
        }
        if (System.nanoTime() - committed > limit.toNanos()) {
          return limit.plusMillis(1);
        }
        Thread.sleep(1);
      }
    }

    @Override
    public void close() throws Exception {
      try (src;
          dst) {
        insert.close();
        read.close();
      }
    }
  }

  private static PipelineStatus awaitSynced(EmbeddedPipeline p, Duration timeout) throws Exception {
    SyncCheck check = new SyncCheck(p);
    long start = System.nanoTime();
    while (System.nanoTime() - start < timeout.toNanos()) {
      if (p.failure().isPresent()) {
        throw new IllegalStateException(p.failure().get());
      }
      PipelineStatus status = PipelineStatus.of(p, Duration.ofNanos(System.nanoTime() - start));
      if (check.check(status).synced()) {
        return status;
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("not synced within " + timeout);
  }

  private static long totalLag(EmbeddedPipeline p) throws InterruptedException {
    return PipelineStatus.of(p, Duration.ZERO).services().stream()
        .mapToLong(s -> s.transformLag() + s.sinkLag())
        .sum();
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static long pct(List<Long> sorted, int p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }

  private static long peakRssMb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    return -1;
  }

  private static EmbeddedPipeline.Options options(
      Path state, DataGenerator.Sizes sizes, double load, boolean fresh) throws IOException {
    Options ports = Options.free();
    return new EmbeddedPipeline.Options(
        state, HOME, ports.kafka, ports.pg, ports.registry, sizes, 42, load, fresh);
  }

  private static int intArg(String[] args, String name, int dflt) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return dflt;
  }

  private record Options(int kafka, int pg, int registry) {
    static Options free() throws IOException {
      for (int attempt = 0; attempt < 50; attempt++) {
        int k = port();
        try (java.net.ServerSocket next = new java.net.ServerSocket(k + 1)) {
          return new Options(k, port(), port());
        } catch (IOException taken) {
          // try another pair
        }
      }
      throw new IOException("no two adjacent free ports");
    }

    private static int port() throws IOException {
      try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
        return s.getLocalPort();
      }
    }
  }
}
