package dev.carve.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** File-tree helpers for the state directories Carve owns. */
public final class FileTrees {
  private FileTrees() {}

  /**
   * Deletes a directory and everything below it; does nothing when it does not exist.
   *
   * @param dir the directory; never null
   * @param what what the directory holds, for the error message (e.g. "the chaos run's state")
   * @throws UncheckedIOException naming the directory when a file cannot be deleted
   */
  public static void deleteTree(Path dir, String what) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not delete " + what + " under " + dir, e);
    }
  }
}
