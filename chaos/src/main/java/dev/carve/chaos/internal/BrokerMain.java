package dev.carve.chaos.internal;

import dev.carve.cli.embedded.EmbeddedKafkaBroker;
import java.nio.file.Path;

/**
 * A KRaft broker in a process of its own, so the harness can restart it: {@code BrokerMain <dir>
 * <port> <controllerPort>}. SIGTERM shuts it down cleanly.
 */
public final class BrokerMain {
  private BrokerMain() {}

  /** Starts the broker and runs until the process is stopped. */
  public static void main(String[] args) throws InterruptedException {
    if (args.length != 3) {
      System.err.println("usage: BrokerMain <dir> <port> <controllerPort>");
      System.exit(2);
    }
    EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.start(
            Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
    Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "broker-shutdown"));
    System.out.println("broker ready on " + broker.bootstrapServers());
    System.out.flush();
    Thread.currentThread().join();
  }
}
