package dev.carve.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** Free local ports for the embedded infrastructure of a test. */
public final class TestPorts {
  private TestPorts() {}

  /** A port nothing listens on now. */
  public static int free() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A port P such that P and P + 1 are free now: the embedded broker listens on P and its
   * controller on P + 1 ({@code --kafka-port}).
   */
  public static int freePair() {
    for (int i = 0; i < 50; i++) {
      int p = free();
      try (ServerSocket next = new ServerSocket(p + 1)) {
        return p;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IllegalStateException("no two adjacent free ports");
  }
}
