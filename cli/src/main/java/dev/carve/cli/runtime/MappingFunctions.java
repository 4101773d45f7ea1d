package dev.carve.cli.runtime;

import dev.carve.core.error.OnError;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.api.PartitionKey;
import dev.carve.transform.api.TableMapper;
import dev.carve.transform.api.Topic;
import dev.carve.transform.api.TopologyContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.StreamsBuilder;

/**
 * A service's mapping as plain functions per monolith table, taken from the same topology its Kafka
 * Streams application runs: the topology is defined on a context that records each {@link
 * TopologyContext#mapTable} and {@link TopologyContext#joinTables} call instead of wiring streams.
 * Tables a Java topology wires by hand (without them) are not included.
 */
public final class MappingFunctions {
  private MappingFunctions() {}

  /** The table mappers of {@code topology}, by table, in definition order. */
  public static Map<String, TableMapper> of(
      DomainTopology topology, String rawTopicPrefix, OnError onError, String registryUrl) {
    Map<String, Object> serdeConfig = Map.of("schema.registry.url", registryUrl);
    TopologyContext real =
        TopologyContext.create(
            topology.service(),
            rawTopicPrefix,
            onError,
            isKey -> AvroSerdes.generic(serdeConfig, isKey));
    Map<String, TableMapper> mappers = new LinkedHashMap<>();
    topology.define(new StreamsBuilder(), new RecordingContext(real, mappers));
    return mappers;
  }

  /** Delegates to a real context but records table mappers instead of wiring streams. */
  private record RecordingContext(TopologyContext delegate, Map<String, TableMapper> mappers)
      implements TopologyContext {
    @Override
    public String service() {
      return delegate.service();
    }

    @Override
    public OnError onError() {
      return delegate.onError();
    }

    @Override
    public String name(String step) {
      return delegate.name(step);
    }

    @Override
    public String rawTopic(String table) {
      return delegate.rawTopic(table);
    }

    @Override
    public Topic<GenericRecord, GenericRecord> domainTopic(String entity) {
      return delegate.domainTopic(entity);
    }

    @Override
    public String deadLetterTopic() {
      return delegate.deadLetterTopic();
    }

    @Override
    public void mapTable(StreamsBuilder builder, String table, TableMapper mapper) {
      record(table, mapper);
    }

    /**
     * A join is reconciled like Kafka Streams runs it: one mapper sees the primary table's rows,
     * then each joined table's rows, sharing its state.
     */
    @Override
    public void joinTables(
        StreamsBuilder builder,
        String step,
        String primaryTable,
        Map<String, PartitionKey> joinedTables,
        TableMapper mapper) {
      record(primaryTable, mapper);
      joinedTables.keySet().forEach(t -> record(t, mapper));
    }

    private void record(String table, TableMapper mapper) {
      TableMapper previous = mappers.putIfAbsent(table, mapper);
      if (previous != null) {
        throw new IllegalStateException(
            "Topology of service '" + service() + "' maps table '" + table + "' twice");
      }
    }

    @Override
    public Set<String> domainTopics() {
      return delegate.domainTopics();
    }

    @Override
    public Set<String> rawTopics() {
      return delegate.rawTopics();
    }
  }
}
