package dev.carve.cli;

import dev.carve.cli.config.CarveConfig;
import dev.carve.core.config.Substitution;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The {@code --config} option shared by every command that reads {@code carve.yaml}. */
public final class ConfigMixin {
  @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
  CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description = "The configuration file (default: carve.yaml in the Carve home).")
  Path file;

  /**
   * Loads and validates the configuration.
   *
   * @throws CommandLine.ParameterException when the file does not exist
   * @throws dev.carve.core.config.ConfigException listing every problem
   */
  public CarveConfig load() {
    Path path = path();
    if (!Files.isRegularFile(path)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--config: no such file '" + path + "'");
    }
    return CarveConfig.load(path, Substitution.fromEnvironment());
  }

  /** The configuration file this command reads. */
  public Path path() {
    return file == null ? Home.dir().resolve("carve.yaml") : file.toAbsolutePath();
  }
}
