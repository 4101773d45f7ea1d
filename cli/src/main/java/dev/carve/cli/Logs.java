package dev.carve.cli;

import java.nio.file.Path;

/**
 * Where the CLI writes its log: {@code <carve.home>/.carve/logs/carve.log} unless told otherwise.
 */
public final class Logs {
  private Logs() {}

  /** Sets the log directory property the logback configuration reads, before the first logger. */
  public static void init() {
    if (System.getProperty("carve.log.dir") == null) {
      System.setProperty("carve.log.dir", Home.dir().resolve(".carve").resolve("logs").toString());
    }
  }

  /** The log file. */
  public static Path file() {
    String dir = System.getProperty("carve.log.dir");
    return dir == null ? Path.of("carve.log") : Path.of(dir, "carve.log");
  }
}
