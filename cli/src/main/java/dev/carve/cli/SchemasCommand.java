package dev.carve.cli;

import dev.carve.cli.config.CarveConfig;
import dev.carve.schemas.SchemaCatalog;
import dev.carve.schemas.registry.SchemaRegistryClient;
import dev.carve.schemas.tools.SchemaCheck;
import dev.carve.schemas.tools.SchemaCheckReport;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code carve schemas check|register}: the Avro contracts of {@code schemas/} against the
 * registry.
 */
@Command(
    name = "schemas",
    mixinStandardHelpOptions = true,
    header = "Checks the Avro contracts against the registry, or registers them.",
    description = "Compares the Avro contracts with the schema registry, or registers them.",
    subcommands = {SchemasCommand.Check.class, SchemasCommand.Register.class})
public final class SchemasCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /** Options shared by the subcommands. */
  static final class SchemaOptions {
    @CommandLine.Mixin ConfigMixin config;

    @Option(
        names = "--dir",
        paramLabel = "DIR",
        description = "The contracts directory (default: schemas/ of the Carve home).")
    Path dir;

    @Option(names = "--service", paramLabel = "SERVICE", description = "Only this service.")
    String service;

    SchemaCheck check() {
      CarveConfig c = config.load();
      Map<String, Object> registry = c.registryClientConfig(c.registryUrl());
      SchemaCatalog catalog =
          SchemaCatalog.load(dir != null ? dir.toAbsolutePath() : Home.dir().resolve("schemas"));
      return new SchemaCheck(catalog, SchemaRegistryClient.create(registry));
    }
  }

  /** Lists every subject as new, unchanged, compatible or incompatible, with each broken rule. */
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description =
          "List every incompatible change, naming the subject, the field and the rule broken.")
  static final class Check implements Callable<Integer> {
    @CommandLine.Mixin SchemaOptions o;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      SchemaCheck check = o.check();
      SchemaCheckReport report = o.service == null ? check.check() : check.check(o.service);
      spec.commandLine().getOut().print(report.render());
      spec.commandLine().getOut().flush();
      return report.ok() ? 0 : Carve.EXIT_FAILURE;
    }
  }

  /** Registers every new or compatible schema; registers nothing when one is incompatible. */
  @Command(
      name = "register",
      mixinStandardHelpOptions = true,
      description = "Register the contracts (nothing is registered when one is incompatible).")
  static final class Register implements Callable<Integer> {
    @CommandLine.Mixin SchemaOptions o;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      SchemaCheck check = o.check();
      SchemaCheckReport report = o.service == null ? check.register() : check.register(o.service);
      spec.commandLine().getOut().print(report.render());
      spec.commandLine().getOut().flush();
      return report.ok() ? 0 : Carve.EXIT_FAILURE;
    }
  }
}
