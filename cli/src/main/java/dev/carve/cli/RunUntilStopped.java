package dev.carve.cli;

import dev.carve.cli.metrics.MetricsServer;
import dev.carve.cli.metrics.PartStatus;
import dev.carve.cli.runtime.Part;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs parts until SIGTERM or Ctrl-C (then stops them cleanly, in reverse order) or until one fails
 * on its own (then stops the others and reports it). An interrupt of the calling thread stops them
 * too. When a metrics endpoint is given, it reports the parts ({@code carve_part_up}, {@code
 * /health}) and is closed at the end.
 */
final class RunUntilStopped {
  private RunUntilStopped() {}

  static int run(List<Part> parts, PrintWriter out) throws InterruptedException {
    return run(parts, out, Optional.empty());
  }

  /**
   * Starts the parts in order and waits.
   *
   * @param metrics the running endpoint, already holding the parts' sources; closed at the end
   */
  static int run(List<Part> parts, PrintWriter out, Optional<MetricsServer> metrics)
      throws InterruptedException {
    Set<Part> started = ConcurrentHashMap.newKeySet();
    Set<Part> stopped = ConcurrentHashMap.newKeySet();
    metrics.ifPresent(
        m -> {
          m.parts(() -> status(parts, started, stopped));
          out.println("metrics on " + m.url() + "/metrics, health on " + m.url() + "/health");
          out.flush();
        });
    CountDownLatch done = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              out.println("stopping " + parts.stream().map(Part::name).toList() + " ...");
              out.flush();
              stopAll(parts, stopped);
              done.countDown();
            },
            "carve-shutdown");
    boolean hookAdded = false;
    try {
      for (Part p : parts) {
        p.start();
        started.add(p);
        out.println(p.name() + " running");
        out.flush();
      }
      Runtime.getRuntime().addShutdownHook(hook);
      hookAdded = true;
      while (!done.await(1, TimeUnit.SECONDS)) {
        for (Part p : parts) {
          if (p.failure().isPresent()) {
            throw new IllegalStateException(
                p.name() + " failed: " + p.failure().get().getMessage(), p.failure().get());
          }
        }
      }
      return 0;
    } finally {
      if (done.getCount() > 0) {
        // Not stopped by the hook: a part failed, failed to start, or this thread was interrupted.
        removeHook(hook, hookAdded);
        stopAll(parts, stopped);
      }
      metrics.ifPresent(MetricsServer::close);
    }
  }

  private static List<PartStatus> status(List<Part> parts, Set<Part> started, Set<Part> stopped) {
    List<PartStatus> out = new ArrayList<>();
    for (Part p : parts) {
      if (p.failure().isPresent()) {
        out.add(PartStatus.down(p.name(), "failed: " + p.failure().get().getMessage()));
      } else if (stopped.contains(p)) {
        out.add(PartStatus.down(p.name(), "stopped"));
      } else if (started.contains(p)) {
        out.add(PartStatus.up(p.name()));
      } else {
        out.add(PartStatus.down(p.name(), "starting"));
      }
    }
    return out;
  }

  private static void removeHook(Thread hook, boolean added) {
    if (!added) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down: the hook stops the parts.
    }
  }

  private static void stopAll(List<Part> parts, Set<Part> stopped) {
    for (int i = parts.size() - 1; i >= 0; i--) {
      Part p = parts.get(i);
      if (stopped.add(p)) {
        p.stop(Duration.ofSeconds(30));
      }
    }
  }
}
