package dev.carve.cli;

import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.runtime.ServiceRuntime;
import dev.carve.schemas.SchemaCatalog;
import dev.carve.sink.SinkOptions;
import picocli.CommandLine;
import picocli.CommandLine.Parameters;

/** The {@code SERVICE} argument and {@code --config} of the per-service commands. */
public final class ServiceArgs {
  @CommandLine.Mixin ConfigMixin config;

  @Parameters(
      index = "0",
      paramLabel = "SERVICE",
      description = "The service, as named in carve.yaml.")
  String service;

  private CarveConfig loaded;

  /** The validated configuration. */
  CarveConfig config() {
    if (loaded == null) {
      loaded = config.load();
    }
    return loaded;
  }

  /** The service's settings; an unknown service is an error listing the known ones. */
  CarveConfig.ServiceSettings settings() {
    return config().service(service);
  }

  /** The service's sink options on the configured Kafka and registry. */
  SinkOptions sinkOptions() {
    CarveConfig c = config();
    return ServiceRuntime.sinkOptions(
        settings(),
        c,
        c.kafka().bootstrapServers(),
        c.registryUrl(),
        SchemaCatalog.fromClasspath().entities(service));
  }
}
