package dev.carve.cli.runtime;

import dev.carve.capture.ConnectorConfig;
import dev.carve.cli.config.CarveConfig;
import dev.carve.core.config.Substitution;
import dev.carve.transform.TransformerOptions;
import dev.carve.transform.TransformerRuntime;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.api.TableMapper;
import dev.carve.transform.keys.KeyRegistryTopic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's Kafka Streams application, as the CLI runs and observes it, plus the service's
 * mapping as plain functions per monolith table for reconciliation.
 */
final class Transformer {
  private static final Logger LOG = LoggerFactory.getLogger(Transformer.class);

  private final TransformerRuntime runtime;
  private final DomainTopology topology;
  private final TransformerOptions options;
  private final List<String> sourceTopics;
  private final String registryUrl;
  private final Map<String, Object> registryConfig;

  private Transformer(
      TransformerRuntime runtime,
      DomainTopology topology,
      TransformerOptions options,
      Map<String, Object> registryConfig) {
    this.runtime = runtime;
    this.registryConfig = registryConfig;
    this.registryUrl = String.valueOf(registryConfig.get("schema.registry.url"));
    this.topology = topology;
    this.options = options;
    this.sourceTopics =
        runtime.topology().describe().subtopologies().stream()
            .flatMap(s -> s.nodes().stream())
            .filter(n -> n instanceof org.apache.kafka.streams.TopologyDescription.Source)
            .flatMap(
                n -> {
                  Set<String> topics =
                      ((org.apache.kafka.streams.TopologyDescription.Source) n).topicSet();
                  return topics == null ? java.util.stream.Stream.<String>empty() : topics.stream();
                })
            .filter(t -> t.startsWith(options.rawTopicPrefix() + "."))
            .distinct()
            .sorted()
            .toList();
  }

  static Transformer create(
      CarveConfig.ServiceSettings service,
      CarveConfig config,
      String bootstrapServers,
      String registryUrl,
      Path streamsDir) {
    String topologyRef = service.topology();
    if (topologyRef.endsWith(".yaml") || topologyRef.endsWith(".yml")) {
      topologyRef = config.resolve(topologyRef).toString();
    }
    DomainTopology topology = TransformerRuntime.loadTopology(topologyRef);
    if (!topology.service().equals(service.name())) {
      throw new IllegalArgumentException(
          "services."
              + service.name()
              + ".topology defines service '"
              + topology.service()
              + "', not '"
              + service.name()
              + "'");
    }
    TransformerOptions options =
        options(service, config, bootstrapServers, registryUrl).withStateDir(streamsDir);
    // The raw topics are <topic.prefix>.<schema>.<table> of the connector this pipeline runs.
    Path connector = config.capture() == null ? null : config.capture().connector();
    if (connector != null && Files.exists(connector)) {
      options =
          options.withRawTopicPrefix(
              ConnectorConfig.topicPrefix(connector, Substitution.fromEnvironment()));
    } else {
      LOG.warn(
          "No connector config at {} (carve.yaml capture.connector): service '{}' reads the raw"
              + " topics {}.<schema>.<table>",
          connector,
          service.name(),
          options.rawTopicPrefix());
    }
    // The same registry settings (URL and basic auth) for the runtime's serdes and the check.
    Map<String, Object> registryConfig = config.registryClientConfig(registryUrl);
    return new Transformer(
        TransformerRuntime.create(
            topology,
            options,
            isKey -> dev.carve.schemas.serde.AvroSerdes.generic(registryConfig, isKey)),
        topology,
        options,
        registryConfig);
  }

  /**
   * A service's transformer options as carve.yaml gives them, without the state directory and the
   * raw topic prefix (which need the connector config): what a command that only talks to Kafka
   * needs, e.g. the key registry.
   */
  static TransformerOptions options(
      CarveConfig.ServiceSettings service,
      CarveConfig config,
      String bootstrapServers,
      String registryUrl) {
    return TransformerOptions.of(bootstrapServers, registryUrl)
        .withKafkaProperties(config.kafka().properties())
        .withKeyRegistryTopic(config.kafka().keyRegistryTopic())
        .withOnError(service.onError());
  }

  /** The key registry this transformer reads and records new keys in. */
  KeyRegistryTopic keyRegistry() {
    return KeyRegistryTopic.of(options);
  }

  Part part() {
    return new Part() {
      @Override
      public String name() {
        return "transform " + runtime.service();
      }

      @Override
      public void start() {
        checkSchemas();
        runtime.start();
        try {
          if (!runtime.awaitRunning(Duration.ofSeconds(120))) {
            throw new IllegalStateException(
                "The Kafka Streams application "
                    + runtime.applicationId()
                    + " did not reach RUNNING within 120 s"
                    + (runtime.failure() == null ? "" : ": " + runtime.failure().getMessage()));
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(
              "Interrupted while starting " + runtime.applicationId(), e);
        }
      }

      @Override
      public boolean stop(Duration timeout) {
        runtime.close(timeout);
        return runtime.state() != TransformerRuntime.State.RUNNING;
      }

      @Override
      public Optional<Throwable> failure() {
        return runtime.state() == TransformerRuntime.State.FAILED
            ? Optional.ofNullable(runtime.failure())
            : Optional.empty();
      }
    };
  }

  /**
   * Refuses to start when the service's output schemas are incompatible with those registered, with
   * the same report as {@code carve schemas check}.
   */
  private void checkSchemas() {
    try (dev.carve.schemas.registry.SchemaRegistryClient client =
        dev.carve.schemas.registry.SchemaRegistryClient.create(registryConfig)) {
      dev.carve.schemas.tools.SchemaCheckReport report =
          new dev.carve.schemas.tools.SchemaCheck(
                  dev.carve.schemas.SchemaCatalog.fromClasspath(), client)
              .check(runtime.service());
      if (!report.ok()) {
        throw new dev.carve.cli.UserFacingException(
            "The transformer of service '"
                + runtime.service()
                + "' refuses to start: its output schemas are incompatible with the registry at "
                + registryUrl
                + System.lineSeparator()
                + report.render());
      }
    } catch (dev.carve.cli.UserFacingException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(
          "Could not check the schemas of service '"
              + runtime.service()
              + "' against "
              + registryUrl
              + ": "
              + e.getMessage(),
          e);
    }
  }

  List<String> sourceTopics() {
    return sourceTopics;
  }

  TransformerRuntime runtime() {
    return runtime;
  }

  String applicationId() {
    return runtime.applicationId();
  }

  long deadLettered() {
    return runtime.metrics().deadLettered();
  }

  dev.carve.transform.TransformerMetrics metrics() {
    return runtime.metrics();
  }

  Map<org.apache.kafka.common.MetricName, ? extends org.apache.kafka.common.Metric> kafkaMetrics() {
    return runtime.kafkaMetrics();
  }

  /** The mapping per monolith table, for reconciliation (see {@link MappingFunctions}). */
  Map<String, TableMapper> tableMappers(String registryUrl) {
    return MappingFunctions.of(topology, options.rawTopicPrefix(), options.onError(), registryUrl);
  }
}
