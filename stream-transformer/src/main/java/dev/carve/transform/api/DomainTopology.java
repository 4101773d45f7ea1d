package dev.carve.transform.api;

import java.util.Properties;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;

/**
 * The transformation topology of one service: a pure function from a builder and the service's
 * typed topics to a Kafka Streams {@link Topology}, so {@code TopologyTestDriver} can test it
 * alone.
 *
 * <p>Implement it in Java against {@link TopologyContext}, or write a YAML mapping that {@code
 * dev.carve.transform.mapping.MappingLoader} compiles into one. An implementation class needs a
 * public no-argument constructor so the CLI can load it by name.
 */
public interface DomainTopology {

  /** The service name, e.g. {@code orders}: lower case letters, digits, '_' and '-'. */
  String service();

  /**
   * Adds the service's processors to {@code builder}. Every processor, repartition topic and state
   * store must be named {@code <service>-<step>} ({@link TopologyContext#name}).
   *
   * @param builder the builder; never null
   * @param ctx the service's topics and helpers; never null
   */
  void define(StreamsBuilder builder, TopologyContext ctx);

  /**
   * Builds the topology. The builder rejects any internal topic or store left without an explicit
   * name.
   *
   * @param ctx the context of this service
   * @return the topology
   * @throws IllegalArgumentException when {@code ctx} belongs to another service
   */
  default Topology build(TopologyContext ctx) {
    if (!ctx.service().equals(service())) {
      throw new IllegalArgumentException(
          "Topology of service '"
              + service()
              + "' cannot be built with the context of service '"
              + ctx.service()
              + "'");
    }
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "carve-" + service());
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    props.putAll(ctx.storeType().streamsConfig());
    StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(props)));
    define(builder, ctx);
    return builder.build();
  }
}
