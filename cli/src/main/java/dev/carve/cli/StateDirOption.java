package dev.carve.cli;

import java.nio.file.Path;
import picocli.CommandLine;

/** The {@code --state-dir} option of the commands that run Kafka Streams applications. */
public final class StateDirOption {
  @CommandLine.Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description = "Where Kafka Streams keeps its state (default: <carve home>/.carve).")
  Path stateDir;

  /** The state directory: the option's value, or {@code .carve} in the Carve home. */
  public Path resolve() {
    return stateDir == null ? Home.dir().resolve(".carve") : stateDir.toAbsolutePath();
  }
}
