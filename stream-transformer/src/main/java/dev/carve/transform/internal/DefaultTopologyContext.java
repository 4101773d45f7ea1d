package dev.carve.transform.internal;

import dev.carve.core.Topics;
import dev.carve.core.error.OnError;
import dev.carve.transform.TransformerMetrics;
import dev.carve.transform.api.ForeignKeyJoin;
import dev.carve.transform.api.PartitionKey;
import dev.carve.transform.api.SerdeFactory;
import dev.carve.transform.api.StoreType;
import dev.carve.transform.api.TableMapper;
import dev.carve.transform.api.Topic;
import dev.carve.transform.api.TopologyContext;
import dev.carve.transform.keys.KeyRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.TableJoined;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorSupplier;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/** The {@link TopologyContext} of one service. */
public final class DefaultTopologyContext implements TopologyContext {
  private final String service;
  private final String rawTopicPrefix;
  private final OnError onError;
  private final SerdeFactory serdes;
  private final TransformerMetrics metrics;
  private final StoreType storeType;
  private final Map<String, Topic<GenericRecord, GenericRecord>> domainTopics =
      new LinkedHashMap<>();
  private final Set<String> rawTopics = new LinkedHashSet<>();
  private final List<Set<String>> copartitioned = new ArrayList<>();
  private final Set<String> joinStores = new LinkedHashSet<>();
  private final KeyRegistryStore.Ref keyRegistry;
  private final Set<StreamsBuilder> withKeyRegistry =
      Collections.newSetFromMap(new IdentityHashMap<>());

  /** Creates the context with fresh metrics. */
  public DefaultTopologyContext(
      String service, String rawTopicPrefix, OnError onError, SerdeFactory serdes) {
    this(
        service,
        rawTopicPrefix,
        onError,
        serdes,
        new TransformerMetrics(service),
        StoreType.ROCKSDB);
  }

  /**
   * Creates the context updating {@code metrics}, with stores of {@code storeType} and the key
   * registry on {@link KeyRegistry#DEFAULT_TOPIC}.
   */
  public DefaultTopologyContext(
      String service,
      String rawTopicPrefix,
      OnError onError,
      SerdeFactory serdes,
      TransformerMetrics metrics,
      StoreType storeType) {
    this(service, rawTopicPrefix, onError, serdes, metrics, storeType, KeyRegistry.DEFAULT_TOPIC);
  }

  /**
   * Creates the context updating {@code metrics}, with stores of {@code storeType}, whose mappings
   * allocate new keys in the key registry on {@code keyRegistryTopic}.
   */
  public DefaultTopologyContext(
      String service,
      String rawTopicPrefix,
      OnError onError,
      SerdeFactory serdes,
      TransformerMetrics metrics,
      StoreType storeType,
      String keyRegistryTopic) {
    this.service = Topics.checkName("service", service);
    this.keyRegistry =
        new KeyRegistryStore.Ref(
            KeyRegistryStore.storeName(this.service), checkTopic(keyRegistryTopic));
    this.rawTopicPrefix = Objects.requireNonNull(rawTopicPrefix, "rawTopicPrefix");
    this.onError = Objects.requireNonNull(onError, "onError");
    this.serdes = Objects.requireNonNull(serdes, "serdes");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.storeType = Objects.requireNonNull(storeType, "storeType");
  }

  /** The counters the topology updates. */
  public TransformerMetrics metrics() {
    return metrics;
  }

  @Override
  public String service() {
    return service;
  }

  @Override
  public StoreType storeType() {
    return storeType;
  }

  @Override
  public OnError onError() {
    return onError;
  }

  @Override
  public String name(String step) {
    return service + "-" + step;
  }

  @Override
  public String rawTopic(String table) {
    return table.contains(".") ? rawTopicPrefix + "." + table : rawTopicPrefix + ".public." + table;
  }

  @Override
  public synchronized Topic<GenericRecord, GenericRecord> domainTopic(String entity) {
    return domainTopics.computeIfAbsent(
        entity,
        e -> Topic.of(Topics.domain(service, e), serdes.create(true), serdes.create(false)));
  }

  @Override
  public String deadLetterTopic() {
    return Topics.deadLetter(service);
  }

  @Override
  public synchronized void mapTable(StreamsBuilder builder, String table, TableMapper mapper) {
    String topic = claim(table);
    String step = stepOf(table);
    addStores(builder, mapper);
    builder.stream(
            topic,
            Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(name("source-" + step)))
        .process(
            () ->
                new MapTableProcessor(
                    service,
                    Map.of(topic, table),
                    deadLetterTopic(),
                    onError,
                    mapper,
                    metrics,
                    keyRegistry),
            Named.as(name("map-" + step)),
            storeNames(mapper))
        .to(
            (key, value, recordContext) -> value.topic(),
            Produced.with(Serdes.ByteArray(), new Routed.RoutedSerde())
                .withName(name("sink-" + step)));
  }

  @Override
  public synchronized void joinTables(
      StreamsBuilder builder,
      String step,
      String primaryTable,
      Map<String, PartitionKey> joinedTables,
      TableMapper mapper) {
    Map<String, String> tableByTopic = new LinkedHashMap<>();
    tableByTopic.put(claim(primaryTable), primaryTable);
    joinedTables.keySet().forEach(t -> tableByTopic.put(claim(t), t));
    copartitioned.add(new LinkedHashSet<>(tableByTopic.keySet()));
    addStores(builder, mapper);
    String positionsStep = addPositionsStore(builder, step, mapper);
    KStream<byte[], byte[]> merged =
        builder.stream(
            rawTopic(primaryTable),
            Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                .withName(name("source-" + stepOf(primaryTable))));
    for (Map.Entry<String, PartitionKey> joined : joinedTables.entrySet()) {
      String table = joined.getKey();
      String tableStep = stepOf(table);
      String linkStore = name(tableStep + "-link");
      joinStores.add(linkStore);
      builder.addStateStore(
          Stores.keyValueStoreBuilder(supplier(linkStore), Serdes.String(), Serdes.String()));
      KStream<byte[], byte[]> rekeyed =
          builder.stream(
                  rawTopic(table),
                  Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                      .withName(name("source-" + tableStep)))
              .process(
                  () -> new RekeyProcessor(service, table, linkStore, joined.getValue()),
                  Named.as(name("rekey-" + tableStep)),
                  linkStore)
              .repartition(
                  Repartitioned.with(Serdes.ByteArray(), Serdes.ByteArray())
                      .withName(service + "-" + tableStep + "-by-" + step));
      merged = merged.merge(rekeyed, Named.as(name("merge-" + step + "-" + tableStep)));
    }
    merged
        .process(
            () ->
                new MapTableProcessor(
                    service,
                    tableByTopic,
                    deadLetterTopic(),
                    onError,
                    mapper,
                    metrics,
                    keyRegistry,
                    positionsStep,
                    null),
            Named.as(name("map-" + step)),
            storeNames(mapper, positionsStep))
        .to(
            (key, value, recordContext) -> value.topic(),
            Produced.with(Serdes.ByteArray(), new Routed.RoutedSerde())
                .withName(name("sink-" + step)));
  }

  @Override
  public synchronized void joinForeignKey(
      StreamsBuilder builder,
      String step,
      String leftTable,
      ForeignKeyJoin join,
      TableMapper mapper) {
    Objects.requireNonNull(join, "join");
    copartitioned.add(new LinkedHashSet<>(List.of(rawTopic(leftTable), rawTopic(join.table()))));
    if (!join.catchUpWait().isZero()
        && (join.waitFor().isZero() || join.catchUpWait().compareTo(join.waitFor()) < 0)) {
      throw new IllegalArgumentException(
          "join '"
              + step
              + "' of service '"
              + service
              + "': catchUpWait ("
              + join.catchUpWait().toMillis()
              + " ms) is the longest a row waits in all: it needs a waitFor and cannot be shorter"
              + " than it (waitFor "
              + join.waitFor().toMillis()
              + " ms)");
    }
    if (join.strategy() == ForeignKeyJoin.Strategy.KTABLE) {
      if (!join.waitFor().isZero() || !join.catchUpWait().isZero()) {
        throw new IllegalArgumentException(
            "join '"
                + step
                + "' of service '"
                + service
                + "': waitFor and catchUpWait apply to the broadcast strategy only (the KTable"
                + " join answers a left row when its subscription is answered, with or without a"
                + " right row)");
      }
      ktableJoin(builder, step, leftTable, join, mapper);
    } else {
      broadcastJoin(builder, step, leftTable, join, mapper);
    }
  }

  /**
   * The right rows of a foreign-key join, filtered and chosen per reference: the right table by raw
   * key (store {@code <service>-<step>-right}), re-keyed by reference (repartition topic {@code
   * <service>-<right>-by-<step>}) into the lookup (store {@code <service>-<step>-lookup}).
   */
  private KTable<String, String> lookup(
      StreamsBuilder builder,
      String step,
      String rightTopic,
      ForeignKeyJoin join,
      DeadLetters deadLetters) {
    String rightTable = join.table();
    String rightStep = stepOf(rightTable);
    return rows(
            builder,
            rightTopic,
            rightStep,
            step + "-right",
            () ->
                new ForeignKeyJoinTopology.RightParser(
                    service, rightTable, rightTopic, join, deadLetters, metrics),
            new String[0])
        .groupBy(
            (key, value) -> KeyValue.pair(ForeignKeyJoinTopology.referenceOfRight(value), value),
            Grouped.with(
                service + "-" + rightStep + "-by-" + step, Serdes.String(), Serdes.String()))
        .aggregate(
            () -> "{}",
            (reference, value, aggregate) -> ForeignKeyJoinTopology.add(aggregate, value),
            (reference, value, aggregate) -> ForeignKeyJoinTopology.remove(aggregate, value),
            Named.as(name(step + "-lookup")),
            materialized(name(step + "-lookup"), Serdes.String()));
  }

  /** {@link ForeignKeyJoin.Strategy#BROADCAST}: see {@link BroadcastJoin}. */
  private void broadcastJoin(
      StreamsBuilder builder,
      String step,
      String leftTable,
      ForeignKeyJoin join,
      TableMapper mapper) {
    String leftTopic = claim(leftTable);
    String rightTopic = claim(join.table());
    String leftStep = stepOf(leftTable);
    addStores(builder, mapper);
    DeadLetters deadLetters = new DeadLetters(service, deadLetterTopic(), onError, metrics);
    String rowsStep = addJoinStore(builder, step, step + "-rows", mapper);
    String indexStep = addJoinStore(builder, step, step + "-index", mapper);
    String replicaStep = addJoinStore(builder, step, step + "-replica", mapper);
    // Rows waiting for their joined row (ForeignKeyJoin#waitFor). Kept with or without a wait, so
    // changing the wait never changes the topology and rows left waiting by an earlier, longer wait
    // still go out; and not a join-state store a resumed application must find: when new, nothing
    // waits yet.
    String waitingStep = addOwnStore(builder, step, step + "-waiting", mapper);
    joinStores.addAll(List.of(name(step + "-right"), name(step + "-lookup")));
    String[] storeNames = storeNames(mapper, rowsStep, indexStep, replicaStep, waitingStep);
    BroadcastJoin.Stores own =
        new BroadcastJoin.Stores(
            name(rowsStep),
            name(indexStep),
            name(replicaStep),
            name(waitingStep),
            join.waitFor().toMillis(),
            join.catchUpWait().toMillis(),
            keyRegistry);
    // What the right side delivered to each left task, for the catch-up wait (in memory).
    BroadcastJoin.Progress progress = new BroadcastJoin.Progress();

    KStream<byte[], Routed> rejoined =
        lookup(builder, step, rightTopic, join, deadLetters)
            .toStream(Named.as(name(step + "-lookup-changes")))
            .mapValues(ForeignKeyJoinTopology::chosen, Named.as(name(step + "-chosen")))
            .repartition(
                Repartitioned.with(Serdes.String(), Serdes.String())
                    .withName(name(step + "-broadcast"))
                    .withStreamPartitioner(new BroadcastJoin.AllPartitions<>()))
            .process(
                () ->
                    new BroadcastJoin.RightProcessor(
                        service, leftTable, join, deadLetters, metrics, mapper, own, progress),
                Named.as(name("rejoin-" + step)),
                storeNames);
    builder.stream(
            leftTopic,
            Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                .withName(name("source-" + leftStep)))
        .process(
            () ->
                new BroadcastJoin.LeftProcessor(
                    service,
                    leftTable,
                    leftTopic,
                    join,
                    deadLetters,
                    metrics,
                    mapper,
                    own,
                    progress),
            Named.as(name("map-" + step)),
            storeNames)
        .merge(rejoined, Named.as(name("merge-" + step)))
        .to(
            (key, value, recordContext) -> value.topic(),
            Produced.with(Serdes.ByteArray(), new Routed.RoutedSerde())
                .withName(name("sink-" + step)));
  }

  /** {@link ForeignKeyJoin.Strategy#KTABLE}: see {@link ForeignKeyJoinTopology}. */
  private void ktableJoin(
      StreamsBuilder builder,
      String step,
      String leftTable,
      ForeignKeyJoin join,
      TableMapper mapper) {
    String leftTopic = claim(leftTable);
    String rightTopic = claim(join.table());
    String leftStep = stepOf(leftTable);
    addStores(builder, mapper);
    String positionsStep = addPositionsStore(builder, step, mapper);
    DeadLetters deadLetters = new DeadLetters(service, deadLetterTopic(), onError, metrics);

    // Unchanged-TOAST placeholders of the left table are filled before the join, which may
    // collapse consecutive changes of one row: store <service>-<step>-left-toast.
    String leftToastStore =
        join.toastColumns().isEmpty()
            ? null
            : name(addJoinStore(builder, step, step + "-left-toast", mapper));
    KTable<byte[], String> left =
        rows(
            builder,
            leftTopic,
            leftStep,
            step + "-left",
            () ->
                new ForeignKeyJoinTopology.LeftParser(
                    service, leftTable, leftTopic, join, deadLetters, metrics, leftToastStore),
            leftToastStore == null ? new String[0] : new String[] {leftToastStore});
    KTable<String, String> right = lookup(builder, step, rightTopic, join, deadLetters);
    joinStores.addAll(
        List.of(
            name(step + "-left"),
            name(step + "-right"),
            name(step + "-lookup"),
            name(step + "-fk-subscription-store")));

    left.leftJoin(
            right,
            ForeignKeyJoinTopology::referenceOf,
            ForeignKeyJoinTopology::joined,
            TableJoined.as(name(step + "-fk")),
            // Kafka Streams always stores a foreign-key join's result; it is never read back
            // (the result goes straight to the mapping), so it needs no changelog.
            materialized(name(step + "-joined"), Serdes.ByteArray()).withLoggingDisabled())
        .toStream(Named.as(name(step + "-changes")))
        .process(ForeignKeyJoinTopology.Unpacker::new, Named.as(name("unpack-" + step)))
        .process(
            () ->
                new MapTableProcessor(
                    service,
                    Map.of(leftTopic, leftTable),
                    deadLetterTopic(),
                    onError,
                    mapper,
                    metrics,
                    keyRegistry,
                    positionsStep,
                    join),
            Named.as(name("map-" + step)),
            storeNames(mapper, positionsStep))
        .to(
            (key, value, recordContext) -> value.topic(),
            Produced.with(Serdes.ByteArray(), new Routed.RoutedSerde())
                .withName(name("sink-" + step)));
  }

  /**
   * The rows of one side of a foreign-key join as a KTable by raw key (store {@code
   * <service>-<storeStep>}); changes that cannot be parsed go to the dead-letter topic through the
   * sink {@code <service>-dlq-<tableStep>}.
   */
  private KTable<byte[], String> rows(
      StreamsBuilder builder,
      String topic,
      String tableStep,
      String storeStep,
      FixedKeyProcessorSupplier<byte[], byte[], ForeignKeyJoinTopology.Parsed> parser,
      String[] parserStores) {
    Map<String, KStream<byte[], ForeignKeyJoinTopology.Parsed>> branches =
        builder.stream(
                topic,
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                    .withName(name("source-" + tableStep)))
            .processValues(parser, Named.as(name("parse-" + tableStep)), parserStores)
            .split(Named.as(name("route-" + tableStep + "-")))
            .branch((key, parsed) -> parsed.rejected(), Branched.as("dlq"))
            .defaultBranch(Branched.as("rows"));
    branches
        .get(name("route-" + tableStep + "-dlq"))
        .mapValues(ForeignKeyJoinTopology.Parsed::deadLetter, Named.as(name("dead-" + tableStep)))
        .to(
            deadLetterTopic(),
            Produced.with(Serdes.ByteArray(), new Routed.RoutedSerde())
                .withName(name("dlq-" + tableStep)));
    return branches
        .get(name("route-" + tableStep + "-rows"))
        .mapValues(ForeignKeyJoinTopology.Parsed::json, Named.as(name("value-" + tableStep)))
        .toTable(
            Named.as(name("table-" + tableStep)),
            materialized(name(storeStep), Serdes.ByteArray()));
  }

  private <K> Materialized<K, String, KeyValueStore<Bytes, byte[]>> materialized(
      String store, Serde<K> keySerde) {
    return Materialized.<K, String>as(supplier(store))
        .withKeySerde(keySerde)
        .withValueSerde(Serdes.String());
  }

  private String claim(String table) {
    String topic = rawTopic(table);
    if (!rawTopics.add(topic)) {
      throw new IllegalStateException(
          "Table '"
              + table
              + "' of service '"
              + service
              + "' is already mapped; map all entities of one table in one TableMapper");
    }
    return topic;
  }

  private KeyValueBytesStoreSupplier supplier(String name) {
    return storeType == StoreType.IN_MEMORY
        ? Stores.inMemoryKeyValueStore(name)
        : Stores.persistentKeyValueStore(name);
  }

  private static String stepOf(String table) {
    return table.replace('.', '_');
  }

  private String[] storeNames(TableMapper mapper, String... extraSteps) {
    Set<String> names = new LinkedHashSet<>();
    mapper.stores().forEach(s -> names.add(name(s)));
    for (String step : extraSteps) {
      names.add(name(step));
    }
    return names.toArray(String[]::new);
  }

  /**
   * Adds the store {@code <service>-<step>-positions} of a join's mapping processor: the last
   * position emitted per output topic and key, so every output of a join is strictly newer than the
   * previous one for its key (see {@code MapTableProcessor}).
   */
  private String addPositionsStore(StreamsBuilder builder, String step, TableMapper mapper) {
    return addJoinStore(builder, step, step + "-positions", mapper);
  }

  /**
   * Adds the store {@code <service>-<storeStep>} a join keeps itself (text keys and values), one of
   * {@link #joinStateStores()}.
   *
   * @return {@code storeStep}
   * @throws IllegalStateException when the mapper declares a store of that name
   */
  private String addJoinStore(
      StreamsBuilder builder, String step, String storeStep, TableMapper mapper) {
    addOwnStore(builder, step, storeStep, mapper);
    joinStores.add(name(storeStep));
    return storeStep;
  }

  /**
   * Adds the store {@code <service>-<storeStep>} a join keeps itself, but that may start empty
   * under committed offsets (not one of {@link #joinStateStores()}).
   *
   * @return {@code storeStep}
   * @throws IllegalStateException when the mapper declares a store of that name
   */
  private String addOwnStore(
      StreamsBuilder builder, String step, String storeStep, TableMapper mapper) {
    if (mapper.stores().contains(storeStep)) {
      throw new IllegalStateException(
          "Store '"
              + name(storeStep)
              + "' of service '"
              + service
              + "' is kept by the join '"
              + step
              + "' itself; give the mapper's store another name");
    }
    builder.addStateStore(
        Stores.keyValueStoreBuilder(supplier(name(storeStep)), Serdes.String(), Serdes.String()));
    return storeStep;
  }

  private void addStores(StreamsBuilder builder, TableMapper mapper) {
    // Every mapping may allocate new keys: the registry is read once per builder, into a global
    // store all of its mapping processors share.
    if (withKeyRegistry.add(builder)) {
      KeyRegistryStore.add(builder, service, keyRegistry.topic(), supplier(keyRegistry.store()));
    }
    for (String store : storeNames(mapper)) {
      builder.addStateStore(
          Stores.keyValueStoreBuilder(supplier(store), Serdes.String(), Serdes.String()));
    }
  }

  private static String checkTopic(String topic) {
    Objects.requireNonNull(topic, "keyRegistryTopic");
    try {
      org.apache.kafka.common.internals.Topic.validate(topic);
    } catch (org.apache.kafka.common.errors.InvalidTopicException e) {
      throw new IllegalArgumentException("Invalid key registry topic: " + e.getMessage(), e);
    }
    return topic;
  }

  /** The key registry topic the mappings read and record new keys in. */
  public String keyRegistryTopic() {
    return keyRegistry.topic();
  }

  @Override
  public synchronized Set<String> domainTopics() {
    Set<String> names = new LinkedHashSet<>();
    domainTopics.values().forEach(t -> names.add(t.name()));
    return Collections.unmodifiableSet(names);
  }

  /**
   * The stores holding the state of this topology's joins (all with changelogs): started empty
   * under offsets committed before, they would leave the rows mapped before without what they
   * should hold, so the runtime refuses that (see {@code TransformerRuntime#start}).
   */
  public synchronized Set<String> joinStateStores() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(joinStores));
  }

  /**
   * The raw topics each join reads together, partition i of each in one task: each set needs one
   * partition count (checked by the runtime before it starts).
   */
  public synchronized List<Set<String>> copartitionedRawTopics() {
    return copartitioned.stream().map(Collections::unmodifiableSet).toList();
  }

  @Override
  public synchronized Set<String> rawTopics() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(rawTopics));
  }
}
