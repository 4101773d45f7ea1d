package dev.carve.transform.testing;

import dev.carve.core.error.OnError;
import dev.carve.transform.TransformerMetrics;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.api.SerdeFactory;
import dev.carve.transform.internal.DefaultTopologyContext;
import dev.carve.transform.mapping.MappingLoader;
import dev.carve.transform.mapping.SchemaResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/** Runs a {@link DomainTopology} in a {@link TopologyTestDriver} fed with raw Debezium JSON. */
public final class Harness implements AutoCloseable {
  private final DefaultTopologyContext ctx;
  private final Topology topology;
  private final TopologyTestDriver driver;
  private final Map<String, org.apache.kafka.streams.TestInputTopic<String, String>> inputs =
      new HashMap<>();

  /** Starts the driver for {@code domainTopology}. */
  public Harness(DomainTopology domainTopology, OnError onError) {
    this(domainTopology, onError, TestAvroSerdes.factory());
  }

  /**
   * Starts the driver for {@code domainTopology} with other serdes (a real registry); {@link #read}
   * reads with the {@code mock://} registry, so use {@link #driver} or {@link #readDeadLetters}.
   */
  public Harness(DomainTopology domainTopology, OnError onError, SerdeFactory serdes) {
    ctx = new DefaultTopologyContext(domainTopology.service(), "legacy", onError, serdes);
    topology = domainTopology.build(ctx);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "carve-" + domainTopology.service());
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    try {
      props.put(
          StreamsConfig.STATE_DIR_CONFIG,
          Files.createTempDirectory("carve-ttd").toAbsolutePath().toString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    driver = new TopologyTestDriver(topology, props);
  }

  /** The topology under test. */
  public Topology topology() {
    return topology;
  }

  /** The counters. */
  public TransformerMetrics metrics() {
    return ctx.metrics();
  }

  /** The driver, for stores. */
  public TopologyTestDriver driver() {
    return driver;
  }

  /** Pipes a raw record (null value = Debezium tombstone) into the raw topic of {@code table}. */
  public void send(String table, String key, String value) {
    inputs
        .computeIfAbsent(
            table,
            t ->
                driver.createInputTopic(
                    ctx.rawTopic(t), new StringSerializer(), new StringSerializer()))
        .pipeInput(key, value);
  }

  /** Pipes a raw record with headers (name, value, name, value, ...) into {@code table}'s topic. */
  public void send(String table, String key, String value, String... headers) {
    org.apache.kafka.common.header.internals.RecordHeaders h =
        new org.apache.kafka.common.header.internals.RecordHeaders();
    for (int i = 0; i < headers.length; i += 2) {
      h.add(headers[i], headers[i + 1].getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    inputs
        .computeIfAbsent(
            table,
            t ->
                driver.createInputTopic(
                    ctx.rawTopic(t), new StringSerializer(), new StringSerializer()))
        .pipeInput(new TestRecord<>(key, value, h));
  }

  /** Every record written to {@code <service>.<entity>} since the last call. */
  public List<TestRecord<GenericRecord, GenericRecord>> read(String entity) {
    return driver
        .createOutputTopic(
            ctx.domainTopic(entity).name(),
            TestAvroSerdes.serde().deserializer(),
            TestAvroSerdes.serde().deserializer())
        .readRecordsToList();
  }

  /** Every dead letter since the last call. */
  public List<TestRecord<byte[], byte[]>> readDeadLetters() {
    return driver
        .createOutputTopic(
            ctx.deadLetterTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer())
        .readRecordsToList();
  }

  /** Every record written to the key registry topic since the last call (key → new key). */
  public List<TestRecord<String, String>> readKeyRegistry() {
    return driver
        .createOutputTopic(
            ctx.keyRegistryTopic(),
            new org.apache.kafka.common.serialization.StringDeserializer(),
            new org.apache.kafka.common.serialization.StringDeserializer())
        .readRecordsToList();
  }

  /**
   * Records {@code key} as a transformer's claim for a legacy value in the key registry topic, as
   * another service would; null forgets it.
   */
  public void recordKey(String namespace, String legacyValue, Long key) {
    pipeKeyRegistry(dev.carve.transform.keys.KeyRegistry.recordKey(namespace, legacyValue), key);
  }

  /** Sets {@code key} for a legacy value as {@code carve keys set} does; null forgets it. */
  public void setKey(String namespace, String legacyValue, Long key) {
    pipeKeyRegistry(dev.carve.transform.keys.KeyRegistry.setRecordKey(namespace, legacyValue), key);
  }

  private void pipeKeyRegistry(String recordKey, Long key) {
    driver
        .createInputTopic(ctx.keyRegistryTopic(), new StringSerializer(), new StringSerializer())
        .pipeInput(recordKey, key == null ? null : key.toString());
  }

  /** A header value as text, or null. */
  public static String header(TestRecord<?, ?> record, String name) {
    var h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Loads a mapping of {@code stream-transformer/topologies}. */
  public static Path topologyFile(String service) {
    return Path.of("topologies", service + ".yaml");
  }

  /**
   * orders.yaml with its join on {@code strategy: ktable} (Kafka Streams' KTable join, no wait or
   * catch-up wait).
   */
  public static DomainTopology ordersWithKTableJoin() {
    Path file = topologyFile("orders");
    try {
      String yaml = Files.readString(file);
      String join = "as: customer}";
      if (!yaml.contains(join)) {
        throw new IllegalStateException(file + " no longer joins 'as: customer}'");
      }
      return MappingLoader.parse(
          yaml.replace(join, "as: customer, strategy: ktable}")
              .replaceAll("(catch-up-)?wait: [^,}]+,\\s*", ""),
          file + " with strategy: ktable",
          SchemaResolver.forMappingFile(file));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    driver.close();
  }
}
