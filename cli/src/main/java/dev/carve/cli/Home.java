package dev.carve.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Carve checkout the command runs from: {@code -Dcarve.home} (set by {@code ./carve}), else the
 * nearest directory from the working directory up that holds {@code carve.yaml}, else the working
 * directory.
 */
public final class Home {
  private Home() {}

  /** The home directory. */
  public static Path dir() {
    String home = System.getProperty("carve.home");
    if (home != null) {
      return Path.of(home).toAbsolutePath().normalize();
    }
    Path cwd = Path.of("").toAbsolutePath().normalize();
    for (Path p = cwd; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("carve.yaml"))) {
        return p;
      }
    }
    return cwd;
  }
}
