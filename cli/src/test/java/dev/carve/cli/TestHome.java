package dev.carve.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The Carve checkout the tests run in: the nearest directory up from here holding carve.yaml. */
public final class TestHome {
  private TestHome() {}

  /** The checkout's root. */
  public static Path dir() {
    Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve("carve.yaml"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("No carve.yaml above " + System.getProperty("user.dir"));
    }
    return p;
  }
}
