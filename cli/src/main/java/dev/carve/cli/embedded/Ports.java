package dev.carve.cli.embedded;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Checks that the ports the embedded runtime needs are free, before anything starts. */
public final class Ports {
  private Ports() {}

  /**
   * Fails when {@code port} cannot be bound on the loopback interface.
   *
   * @param what what needs the port ("Kafka broker"), for the message
   * @param option the command-line option that changes it ("--kafka-port"), for the message
   * @throws EmbeddedStartException naming the port, who wants it and the fix
   */
  public static void requireFree(int port, String what, String option) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    } catch (IOException e) {
      throw new EmbeddedStartException(
          "Port "
              + port
              + " for the "
              + what
              + " is already in use (another 'carve up' still running?). Stop whatever listens"
              + " on it, or choose another port with "
              + option
              + ".");
    }
  }
}
