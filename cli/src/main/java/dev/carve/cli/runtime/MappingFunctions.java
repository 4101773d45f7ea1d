package dev.carve.cli.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.core.error.OnError;
import dev.carve.schemas.serde.AvroSerdes;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.api.ForeignKeyJoin;
import dev.carve.transform.api.MappingScope;
import dev.carve.transform.api.Output;
import dev.carve.transform.api.PartitionKey;
import dev.carve.transform.api.TableMapper;
import dev.carve.transform.api.Topic;
import dev.carve.transform.api.TopologyContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.StreamsBuilder;

/**
 * A service's mapping as plain functions per monolith table, taken from the same topology its Kafka
 * Streams application runs: the topology is defined on a context that records each {@link
 * TopologyContext#mapTable}, {@link TopologyContext#joinTables} and {@link
 * TopologyContext#joinForeignKey} call instead of wiring streams. Tables a Java topology wires by
 * hand (without them) are not included.
 *
 * <p>A foreign-key join becomes two functions, the referenced table first: its rows are only
 * remembered (in the run's mapping scope, by the reference they answer to, keeping the smallest key
 * as {@link ForeignKeyJoin#compareKeys} says), then each row of the left table is mapped with the
 * row it references joined, exactly as the Streams application joins them.
 */
public final class MappingFunctions {
  private static final ObjectMapper JSON = new ObjectMapper();

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

    @Override
    public void joinForeignKey(
        StreamsBuilder builder,
        String step,
        String leftTable,
        ForeignKeyJoin join,
        TableMapper mapper) {
      String store = step + "-reconcile-" + join.table();
      record(join.table(), new Lookup(join, store));
      record(leftTable, new Joined(join, store, mapper));
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

  /** Remembers the rows of a joined (right) table by the reference they answer to. */
  private record Lookup(ForeignKeyJoin join, String store) implements TableMapper {
    @Override
    public List<Output<?, ?>> map(ChangeEvent change, MappingScope scope) throws Exception {
      if (change.isDelete()) {
        return List.of();
      }
      Map<String, Object> reference = join.referencedBy(change.row());
      if (reference == null) {
        return List.of();
      }
      String referenceText = JSON.writeValueAsString(reference);
      String stored = scope.get(store, referenceText);
      if (stored == null
          || ForeignKeyJoin.compareKeys(change.key(), readMap(JSON.readTree(stored).get("key")))
              < 0) {
        ObjectNode entry = JSON.createObjectNode();
        entry.set("key", JSON.valueToTree(change.key()));
        entry.set("row", JSON.valueToTree(change.row()));
        scope.put(store, referenceText, entry.toString());
      }
      return List.of();
    }
  }

  /** Maps a left table's rows with the remembered row each references. */
  private record Joined(ForeignKeyJoin join, String store, TableMapper mapper)
      implements TableMapper {
    @Override
    public List<Output<?, ?>> map(ChangeEvent change, MappingScope scope) throws Exception {
      Map<String, Object> right = null;
      if (!change.isDelete()) {
        Map<String, Object> reference = join.referenceOf(change.row(), change.table());
        String stored =
            reference == null ? null : scope.get(store, JSON.writeValueAsString(reference));
        if (stored != null) {
          right = readMap(JSON.readTree(stored).get("row"));
        }
      }
      return mapper.map(join.join(change, right, null), scope);
    }

    @Override
    public Set<String> stores() {
      return mapper.stores();
    }
  }

  /** A JSON object as a row, with values as Debezium's JSON converter gives them. */
  private static Map<String, Object> readMap(JsonNode node) {
    Map<String, Object> row = new LinkedHashMap<>();
    node.fields()
        .forEachRemaining(
            f -> {
              JsonNode v = f.getValue();
              Object value;
              if (v.isNull()) {
                value = null;
              } else if (v.isTextual()) {
                value = v.asText();
              } else if (v.isIntegralNumber()) {
                value = v.canConvertToLong() ? (Object) v.asLong() : v.bigIntegerValue();
              } else if (v.isNumber()) {
                value = v.decimalValue();
              } else if (v.isBoolean()) {
                value = v.asBoolean();
              } else {
                value = v.toString();
              }
              row.put(f.getKey(), value);
            });
    return row;
  }
}
