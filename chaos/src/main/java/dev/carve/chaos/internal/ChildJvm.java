package dev.carve.chaos.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Java process started from this JVM's classpath, with its output appended to a log file, that
 * can be stopped (SIGTERM), killed (SIGKILL), paused (SIGSTOP) and resumed (SIGCONT).
 */
public final class ChildJvm {
  private final String name;
  private final Process process;
  private final Path log;

  private ChildJvm(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code mainClass} in a new JVM.
   *
   * @param name what the process is, for messages
   * @param jvmArgs JVM options (heap, system properties)
   * @param env variables added to this process's environment
   * @param log file the process's stdout and stderr are appended to
   */
  public static ChildJvm start(
      String name,
      String mainClass,
      List<String> jvmArgs,
      List<String> args,
      Map<String, String> env,
      Path log)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(args);
    Files.createDirectories(log.getParent());
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    return new ChildJvm(name, builder.start(), log);
  }

  /** What the process is. */
  public String name() {
    return name;
  }

  /** The operating system's process id. */
  public long pid() {
    return process.pid();
  }

  /** Whether the process runs (a paused process runs). */
  public boolean alive() {
    return process.isAlive();
  }

  /** The exit code; only when the process has ended. */
  public int exitCode() {
    return process.exitValue();
  }

  /** The log file. */
  public Path log() {
    return log;
  }

  /** SIGKILL, then waits for the process to be gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /**
   * SIGTERM, waits up to {@code timeout} for a clean exit, then SIGKILL.
   *
   * @return true when the process exited on its own within the timeout
   */
  public boolean stop(Duration timeout) throws InterruptedException {
    process.destroy();
    if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      return true;
    }
    kill();
    return false;
  }

  /** SIGSTOP: the process keeps its sockets but does nothing, like a stalled network. */
  public void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** SIGCONT after {@link #pause()}. */
  public void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String signal) throws IOException, InterruptedException {
    Process kill =
        new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid()))
            .redirectErrorStream(true)
            .start();
    String output = new String(kill.getInputStream().readAllBytes());
    if (kill.waitFor() != 0) {
      throw new IOException(
          "kill -" + signal + " of " + name + " (pid " + pid() + ") failed: " + output.strip());
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }
}
