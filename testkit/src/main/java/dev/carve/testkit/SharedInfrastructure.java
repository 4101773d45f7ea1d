package dev.carve.testkit;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Stops the shared test broker and PostgreSQL when the JUnit session ends, on an ordinary thread
 * before the test JVM exits. Stopping them from a JVM shutdown hook instead lets Kafka's own exit
 * calls race the JVM's shutdown, and the forked test JVM then ends with a non-zero status after
 * every test passed (failsafe reports "Error occurred in starting fork", exit 254).
 */
public final class SharedInfrastructure implements LauncherSessionListener {
  @Override
  public void launcherSessionClosed(LauncherSession session) {
    TestKafka.stop();
    TestPostgres.stop();
  }
}
