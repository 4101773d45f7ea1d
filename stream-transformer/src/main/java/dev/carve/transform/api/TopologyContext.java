package dev.carve.transform.api;

import dev.carve.core.error.OnError;
import dev.carve.transform.internal.DefaultTopologyContext;
import java.util.Map;
import java.util.Set;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.StreamsBuilder;

/**
 * The topics and building blocks of one service's topology: raw change topics by table, typed
 * domain topics by entity, the dead-letter topic, and {@link #mapTable}, which reads a raw topic,
 * maps every change and writes the results with their source position, dead-lettering what fails.
 */
public interface TopologyContext {

  /**
   * Creates a context with RocksDB stores, e.g. for a {@code TopologyTestDriver} test.
   *
   * @param service the service name
   * @param rawTopicPrefix Debezium's {@code topic.prefix}, e.g. {@code legacy}
   * @param onError what to do with a change that cannot be mapped
   * @param serdes makes the Avro serdes of the domain topics
   */
  static TopologyContext create(
      String service, String rawTopicPrefix, OnError onError, SerdeFactory serdes) {
    return new DefaultTopologyContext(service, rawTopicPrefix, onError, serdes);
  }

  /**
   * Creates a context whose stores are of {@code storeType}.
   *
   * @see #create(String, String, OnError, SerdeFactory)
   */
  static TopologyContext create(
      String service,
      String rawTopicPrefix,
      OnError onError,
      SerdeFactory serdes,
      StoreType storeType) {
    return new DefaultTopologyContext(
        service,
        rawTopicPrefix,
        onError,
        serdes,
        new dev.carve.transform.TransformerMetrics(service),
        storeType);
  }

  /** The service name. */
  String service();

  /**
   * The kind of state store the topology's stores use, including those Kafka Streams creates itself
   * (a foreign-key join's subscription store); RocksDB unless configured otherwise.
   */
  default StoreType storeType() {
    return StoreType.ROCKSDB;
  }

  /** What happens to a change that cannot be mapped. */
  OnError onError();

  /** The name of a processor, store or repartition topic: {@code <service>-<step>}. */
  String name(String step);

  /**
   * The raw change topic of a legacy table: {@code <prefix>.public.<table>}, or {@code
   * <prefix>.<schema>.<table>} when {@code table} is written {@code schema.table}.
   */
  String rawTopic(String table);

  /**
   * The typed domain topic {@code <service>.<entity>} with the Avro serdes; the same instance on
   * every call. The runtime creates (compacted) every domain topic asked for before it starts.
   */
  Topic<GenericRecord, GenericRecord> domainTopic(String entity);

  /** The dead-letter topic {@code <service>.dlq}. */
  String deadLetterTopic();

  /**
   * Reads the raw change topic of {@code table} and maps each change with {@code mapper}: source
   * {@code <service>-source-<table>}, processor {@code <service>-map-<table>}, sink {@code
   * <service>-sink-<table>}, stores {@code <service>-<store>}. Debezium tombstones are skipped; a
   * change that fails to parse, map or serialize goes to the dead-letter topic with its original
   * bytes (or stops the service with {@code on-error: fail}).
   *
   * @param builder the builder passed to {@link DomainTopology#define}
   * @param table the legacy table (once per table and service)
   * @param mapper the mapping of its changes
   * @throws IllegalStateException when the table was already mapped in this context
   */
  void mapTable(StreamsBuilder builder, String table, TableMapper mapper);

  /**
   * Reads a primary table and joined tables in one mapping processor, each joined change re-keyed
   * by the primary-table row it belongs to (a foreign-key join), e.g. orders with their payments.
   * Names: sources {@code <service>-source-<table>}, re-key processors {@code
   * <service>-rekey-<table>} with stores {@code <service>-<table>-link}, repartition topics {@code
   * <service>-<table>-by-<step>}, processor {@code <service>-map-<step>}, sink {@code
   * <service>-sink-<step>}. The raw topics must have the same number of partitions (Debezium's
   * {@code topic.creation.default.partitions}). A joined change whose primary row changes (or
   * becomes null) is preceded by a delete of that joined row sent to the old primary row (its
   * envelope with op {@code d} and its key as {@code before}), so the mapper of the old primary row
   * lets go of it.
   *
   * @param builder the builder passed to {@link DomainTopology#define}
   * @param step the name of the join, e.g. {@code invoice}
   * @param primaryTable the table whose key partitions the join, e.g. {@code orders}
   * @param joinedTables each joined table with how its changes find their primary row
   * @param mapper the mapping of the changes of all these tables ({@link ChangeEvent#table()} says
   *     which); its outputs get strictly increasing positions per output topic and key (store
   *     {@code <service>-<step>-positions}): an output whose change is not newer than the last
   *     output for its key gets that output's position plus one change LSN, so the output that
   *     reflects more inputs wins at the sink's guard
   * @throws IllegalStateException when one of the tables was already mapped in this context
   */
  void joinTables(
      StreamsBuilder builder,
      String step,
      String primaryTable,
      Map<String, PartitionKey> joinedTables,
      TableMapper mapper);

  /**
   * Reads a table (the left table, e.g. {@code orders}) enriched with the row of another captured
   * table it references by a foreign key that is not its own key ({@link ForeignKeyJoin}, e.g. the
   * customer's billing address by {@code cust_no}), run as {@link ForeignKeyJoin#strategy} says:
   * the right rows broadcast to every partition of the left table (default), or Kafka Streams'
   * KTable foreign-key join. The mapper sees changes of the left table only, each with the
   * referenced row as {@link ChangeEvent#joined(String)} (null when absent: a left join); a change
   * of a right row re-maps every left row that references it. The position of a change is the newer
   * of the left change's and the right row's; outputs get strictly increasing positions per left
   * row (broadcast) or per key (KTable join, as in {@link #joinTables}). A left delete is mapped as
   * a delete; a right row deleted, filtered out by {@link ForeignKeyJoin#where} or with a null join
   * column re-maps its left rows with a null joined row.
   *
   * <p>Names, both ways: sources {@code <service>-source-<table>}, right parser {@code
   * <service>-parse-<right>} with dead-letter sink {@code <service>-dlq-<right>}, store {@code
   * <service>-<step>-right} (right rows by source key), repartition topic {@code
   * <service>-<right>-by-<step>} (right rows by reference) with store {@code
   * <service>-<step>-lookup}, processor {@code <service>-map-<step>}, sink {@code
   * <service>-sink-<step>}. Broadcast: repartition topic {@code <service>-<step>-broadcast},
   * processor {@code <service>-rejoin-<step>}, stores {@code <service>-<step>-rows}, {@code -index}
   * and {@code -replica}. KTable join: left parser and dead-letter sink, with {@link
   * ForeignKeyJoin#toast} the store {@code <service>-<step>-left-toast}, store {@code
   * <service>-<step>-left}, the join's subscription topics and store {@code
   * <service>-<step>-fk-...}, result store {@code <service>-<step>-joined}, store {@code
   * <service>-<step>-positions}. Both raw topics must have the same number of partitions (checked
   * before the runtime starts).
   *
   * @param builder the builder passed to {@link DomainTopology#define}
   * @param step the name of the join, e.g. {@code orders}
   * @param leftTable the table whose changes are mapped, e.g. {@code orders}
   * @param join the referenced table, the join columns and the alias
   * @param mapper the mapping of the left table's changes
   * @throws IllegalStateException when one of the two tables was already mapped in this context
   */
  void joinForeignKey(
      StreamsBuilder builder,
      String step,
      String leftTable,
      ForeignKeyJoin join,
      TableMapper mapper);

  /** The domain topics asked for so far, in order. */
  Set<String> domainTopics();

  /** The raw topics read so far, in order. */
  Set<String> rawTopics();
}
