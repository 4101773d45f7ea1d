package dev.carve.cli;

import dev.carve.cli.runtime.Part;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Runs parts until SIGTERM or Ctrl-C (then stops them cleanly, in reverse order) or until one fails
 * on its own (then stops the others and reports it).
 */
final class RunUntilStopped {
  private RunUntilStopped() {}

  static int run(List<Part> parts, PrintWriter out) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              out.println("stopping " + parts.stream().map(Part::name).toList() + " ...");
              out.flush();
              stopAll(parts);
              done.countDown();
            },
            "carve-shutdown");
    for (Part p : parts) {
      p.start();
      out.println(p.name() + " running");
      out.flush();
    }
    Runtime.getRuntime().addShutdownHook(hook);
    while (!done.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
      for (Part p : parts) {
        if (p.failure().isPresent()) {
          Runtime.getRuntime().removeShutdownHook(hook);
          stopAll(parts);
          throw new IllegalStateException(
              p.name() + " failed: " + p.failure().get().getMessage(), p.failure().get());
        }
      }
    }
    return 0;
  }

  private static void stopAll(List<Part> parts) {
    for (int i = parts.size() - 1; i >= 0; i--) {
      parts.get(i).stop(Duration.ofSeconds(30));
    }
  }
}
