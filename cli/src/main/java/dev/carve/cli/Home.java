package dev.carve.cli;

import java.nio.file.Path;

/** The Carve checkout the command runs from ({@code -Dcarve.home}, set by {@code ./carve}). */
public final class Home {
  private Home() {}

  /** The home directory: {@code carve.home}, else the working directory. */
  public static Path dir() {
    String home = System.getProperty("carve.home");
    return (home == null ? Path.of("") : Path.of(home)).toAbsolutePath().normalize();
  }
}
