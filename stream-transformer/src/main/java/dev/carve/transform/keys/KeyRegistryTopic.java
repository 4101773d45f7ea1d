package dev.carve.transform.keys;

import dev.carve.transform.TransformerOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The {@link KeyRegistry key registry} topic read and written from outside a topology: by {@code
 * carve verify} (a {@link #read snapshot} bound while it maps the monolith) and by {@code carve
 * keys} ({@link #lookup}, {@link #set}, {@link #unset}).
 *
 * <p>Reading takes the whole topic to the end offsets taken when it starts, on every partition, as
 * a consumer without group (assign and seek to the beginning, nothing committed) with {@code
 * isolation.level=read_committed}: the registry records written in a transformer's transaction
 * count only once that transaction committed, as they do for the transformers. The records are
 * taken as the transformers' global store ({@code KeyRegistryStore}) takes them: the last record of
 * a record key wins; a legacy value's key is the one an operator set ({@code =<namespace>/<legacy
 * value>}), whichever comes later in the topic, else the one a transformer claimed ({@code
 * <namespace>/<legacy value>}); a null value, and a value that is no positive whole number, is a
 * tombstone of its record key (a tombstoned set key falls back to the claim); a record whose key is
 * of neither form is skipped.
 *
 * <p>A topic that does not exist is a registry of nothing recorded ({@link Snapshot#topicExists()}
 * false): no transformer has started yet, so every legacy value will get its proposal. Kafka not
 * answering within the timeout is an error naming the topic and the bootstrap servers, never an
 * empty registry.
 *
 * <p>Instances are immutable and open a client per call; not meant for a hot path.
 */
public final class KeyRegistryTopic {
  /** How long a read or write waits for Kafka unless {@link #withTimeout} says otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private static final Duration POLL = Duration.ofMillis(200);

  private final String topic;
  private final String bootstrapServers;
  private final Map<String, Object> kafkaProperties;
  private final int partitions;
  private final int replicationFactor;
  private final Duration timeout;

  private KeyRegistryTopic(
      String topic,
      String bootstrapServers,
      Map<String, ?> kafkaProperties,
      int partitions,
      int replicationFactor,
      Duration timeout) {
    this.topic = Objects.requireNonNull(topic, "topic");
    this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    this.kafkaProperties = Map.copyOf(Objects.requireNonNull(kafkaProperties, "kafkaProperties"));
    this.partitions = partitions;
    this.replicationFactor = replicationFactor;
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
  }

  /**
   * The registry of a service's transformer: its {@code key-registry-topic}, bootstrap servers and
   * Kafka properties (security); a topic {@link #set} creates gets its partitions and replication.
   */
  public static KeyRegistryTopic of(TransformerOptions options) {
    return new KeyRegistryTopic(
        options.keyRegistryTopic(),
        options.bootstrapServers(),
        options.kafkaProperties(),
        options.partitions(),
        options.replicationFactor(),
        DEFAULT_TIMEOUT);
  }

  /**
   * A registry topic on a cluster; a topic {@link #set} creates gets the broker's default
   * partitions and replication.
   *
   * @param topic the registry topic, e.g. {@link KeyRegistry#DEFAULT_TOPIC}; never null
   * @param bootstrapServers Kafka bootstrap servers; never null
   * @param kafkaProperties extra client properties (security.protocol, sasl.*, ssl.*); never null
   */
  public static KeyRegistryTopic of(
      String topic, String bootstrapServers, Map<String, ?> kafkaProperties) {
    return new KeyRegistryTopic(topic, bootstrapServers, kafkaProperties, -1, -1, DEFAULT_TIMEOUT);
  }

  /**
   * A copy waiting at most {@code timeout} for Kafka: for metadata, for a write, and for progress
   * while reading (a long read that keeps advancing is not cut off).
   */
  public KeyRegistryTopic withTimeout(Duration timeout) {
    return new KeyRegistryTopic(
        topic, bootstrapServers, kafkaProperties, partitions, replicationFactor, timeout);
  }

  /** The registry topic. */
  public String topic() {
    return topic;
  }

  /** The bootstrap servers. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Kafka did not answer, refused access, or failed while the registry was read or written. */
  public static final class UnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Everything recorded, read to the end of the topic: for {@code carve verify} to bind while it
   * maps the monolith ({@code LegacyKeys.bind(new KeyRegistry.Allocation(snapshot))}).
   *
   * <p>Memory: a claim whose key is its legacy value's {@link KeyRegistry#proposal proposal} (all
   * of them, unless a collision was resolved) is kept as that 8-byte number only, in an
   * open-addressing table filled to between a quarter and a half (16 to 32 bytes per claim); claims
   * with another key and every key an operator set are kept in full (about 150 bytes each). Ten
   * million claimed proposals thus need a table of 2²⁵ slots, 268 MB, and while it grows to that
   * size 134 MB more for the table it replaces: about 400 MB at the peak, not gigabytes. The cost:
   * {@link Snapshot#legacyValueOf} does not know the holder of a key that is its holder's proposal;
   * it answers null there, so two legacy values whose proposals are equal (a SHA-256 collision in
   * 63 bits) are not refused by this snapshot's allocation but given the same key, which {@code
   * carve verify}'s key check reports.
   *
   * @throws UnavailableException when Kafka does not answer within the timeout or refuses access
   */
  public Snapshot read() {
    Snapshot snapshot = new Snapshot(topic);
    snapshot.exists = scan(snapshot::apply);
    return snapshot;
  }

  /**
   * What the registry holds about one legacy value and a few keys of its namespace, read to the end
   * of the topic: for {@code carve keys get|set|unset}. Keys are compared as numbers ({@code 007}
   * is key 7), and who holds a key is decided by effective keys (the one an operator set, else the
   * claimed one), as in the transformers.
   *
   * <p>Memory: the few legacy values that ever had one of {@code keys} in full, and the legacy
   * values of the namespace with a key an operator set as an 8-byte number (their proposal) each,
   * so that a value holding one of {@code keys} by its claim but another by a set key is not taken
   * for a holder.
   *
   * @param namespace the key namespace, e.g. {@code customer}
   * @param legacyValue the legacy value
   * @param keys keys whose holders in {@code namespace} to find (e.g. the value's proposal, a key
   *     to set)
   * @throws UnavailableException when Kafka does not answer within the timeout or refuses access
   */
  public Lookup lookup(String namespace, String legacyValue, long... keys) {
    String claimKey = KeyRegistry.recordKey(namespace, legacyValue);
    LongSet wanted = new LongSet();
    for (long k : keys) {
      if (k > 0) {
        wanted.add(k);
      }
    }
    // The records of every legacy value of the namespace that had one of the keys at some point,
    // from that point on: only those may hold one at the end. A record before that point holds
    // no wanted key, so it does not matter which one was the last, except that a live set record
    // before it hides the claim: the proposals of the values with a live set record say that.
    Map<String, Candidate> candidates = new LinkedHashMap<>();
    LongSet liveSets = new LongSet();
    Long[] own = {null, null}; // claim, set
    boolean exists =
        scan(
            (key, value) -> {
              KeyRegistry.RecordKey parsed = KeyRegistry.RecordKey.parse(key);
              if (parsed == null || !parsed.namespace().equals(namespace)) {
                return; // not an allocation of the namespace: the transformers skip it too
              }
              Long k = KeyRegistry.parseKey(value); // a value that is no key is a tombstone
              int kind = parsed.set() ? 1 : 0;
              String of = parsed.claimKey();
              if (of.equals(claimKey)) {
                own[kind] = k;
              }
              if (parsed.set()) {
                long proposal = KeyRegistry.proposal(namespace, parsed.legacyValue());
                if (k == null) {
                  liveSets.remove(proposal);
                } else {
                  liveSets.add(proposal);
                }
              }
              Candidate candidate = candidates.get(of);
              if (candidate == null && k != null && wanted.contains(k)) {
                candidate = new Candidate();
                candidates.put(of, candidate);
              }
              if (candidate != null && parsed.set()) {
                candidate.set = k;
                candidate.setSeen = true;
              } else if (candidate != null) {
                candidate.claim = k;
              }
            });
    Map<Long, List<String>> holders = new LinkedHashMap<>();
    for (long k : keys) {
      holders.put(k, new ArrayList<>());
    }
    candidates.forEach(
        (of, c) -> {
          String value = of.substring(namespace.length() + 1);
          Long effective;
          if (c.setSeen) {
            effective = c.set != null ? c.set : c.claim;
          } else if (liveSets.contains(KeyRegistry.proposal(namespace, value))) {
            effective = null; // set before it had a wanted key, to a key not wanted
          } else {
            effective = c.claim;
          }
          if (effective != null && holders.containsKey(effective)) {
            holders.get(effective).add(value);
          }
        });
    holders.replaceAll((k, v) -> List.copyOf(v));
    Long set = own[1];
    Long claimed = own[0];
    return new Lookup(
        topic,
        exists,
        namespace,
        legacyValue,
        Optional.ofNullable(set != null ? set : claimed),
        Optional.ofNullable(set),
        Optional.ofNullable(claimed),
        Collections.unmodifiableMap(holders));
  }

  /** A legacy value's records from the one that gave it a key {@link #lookup} asked about on. */
  private static final class Candidate {
    Long claim;
    Long set;
    boolean setSeen;
  }

  /**
   * What the registry holds about one legacy value.
   *
   * @param topic the registry topic
   * @param topicExists false when the topic does not exist (nothing is recorded)
   * @param namespace the key namespace
   * @param legacyValue the legacy value
   * @param recorded the legacy value's effective key: the one an operator set, else the one a
   *     transformer claimed; empty when neither is recorded
   * @param set the key an operator set ({@code =<namespace>/<value>}); empty when none is
   * @param claimed the key a transformer claimed ({@code <namespace>/<value>}); empty when none is
   * @param holders for each key asked about, the legacy values of the namespace whose effective key
   *     it is (more than one only after a collision written by hand)
   */
  public record Lookup(
      String topic,
      boolean topicExists,
      String namespace,
      String legacyValue,
      Optional<Long> recorded,
      Optional<Long> set,
      Optional<Long> claimed,
      Map<Long, List<String>> holders) {
    /** The legacy values other than this lookup's whose effective key {@code key} is. */
    public List<String> otherHolders(long key) {
      return holders.getOrDefault(key, List.of()).stream()
          .filter(v -> !v.equals(legacyValue))
          .toList();
    }
  }

  /**
   * Sets {@code key} for a legacy value: one record {@code =<namespace>/<legacy value>} (see {@link
   * KeyRegistry#setRecordKey}), which wins over any claim of the value, written by an idempotent
   * producer with {@code acks=all} and flushed. Checks nothing: {@code carve keys set} looks the
   * registry up first. When the topic does not exist yet it is created compacted, as a transformer
   * would.
   *
   * @throws IllegalArgumentException when the key is not positive or the namespace is invalid
   * @throws UnavailableException when Kafka does not acknowledge the record within the timeout
   */
  public void set(String namespace, String legacyValue, long key) {
    if (key < 1) {
      throw new IllegalArgumentException(
          "A key of namespace '" + namespace + "' must be a positive whole number, was " + key);
    }
    String recordKey = KeyRegistry.setRecordKey(namespace, legacyValue);
    createIfMissing();
    write(recordKey, Long.toString(key));
  }

  /**
   * Forgets the key an operator set for a legacy value: a tombstone of {@code =<namespace>/<legacy
   * value>}, after which the value's key is its claim again, or, without one, the proposal it gets
   * on its next change. Checks nothing; the topic must exist.
   *
   * @throws IllegalArgumentException when the namespace is invalid
   * @throws UnavailableException when Kafka does not acknowledge the record within the timeout
   */
  public void unset(String namespace, String legacyValue) {
    write(KeyRegistry.setRecordKey(namespace, legacyValue), null);
  }

  private void write(String recordKey, String value) {
    Map<String, Object> props = clientProperties();
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.toMillis());
    int request = (int) Math.min(timeout.toMillis(), 30_000);
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, request);
    props.put(
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(timeout.toMillis(), request));
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    String what = "write '" + recordKey + "' = " + value + " to";
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      producer
          .send(new ProducerRecord<>(topic, recordKey, value))
          .get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
      producer.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable(what, e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException | KafkaException e) {
      throw unavailable(what, e.getCause() == null ? e : e.getCause());
    }
  }

  private void createIfMissing() {
    Map<String, Object> props = clientProperties();
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    props.put(
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 30_000));
    try (Admin admin = Admin.create(props)) {
      if (admin
          .listTopics()
          .names()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .contains(topic)) {
        return;
      }
      NewTopic created =
          new NewTopic(
                  topic,
                  partitions < 0 ? Optional.empty() : Optional.of(partitions),
                  replicationFactor < 0 ? Optional.empty() : Optional.of((short) replicationFactor))
              .configs(
                  Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
      try {
        admin.createTopics(List.of(created)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable("create (compacted)", e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException | KafkaException e) {
      throw unavailable("create (compacted)", e.getCause() == null ? e : e.getCause());
    }
  }

  /** Receives each record of the topic in order; a null value is a tombstone. */
  @FunctionalInterface
  private interface RecordSink {
    void accept(String key, String value);
  }

  /**
   * Reads every partition from the beginning to the end offsets (the last stable offsets, under
   * read_committed) taken at the start. Returns false when the topic does not exist.
   */
  private boolean scan(RecordSink sink) {
    Map<String, Object> props = clientProperties();
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    props.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 30_000));
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        return false;
      }
      List<TopicPartition> parts =
          infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(parts, timeout));
      long lastProgress = System.nanoTime();
      long position = -1;
      while (!end.isEmpty()) {
        for (ConsumerRecord<String, String> r : consumer.poll(POLL)) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          Long stop = end.get(tp);
          if (stop != null && r.offset() < stop && r.key() != null) {
            sink.accept(r.key(), r.value());
          }
        }
        long sum = 0;
        for (TopicPartition tp : List.copyOf(end.keySet())) {
          long p = consumer.position(tp, timeout);
          if (p >= end.get(tp)) {
            end.remove(tp);
            consumer.pause(List.of(tp));
          }
          sum += p;
        }
        if (sum != position) {
          position = sum;
          lastProgress = System.nanoTime();
        } else if (System.nanoTime() - lastProgress > timeout.toNanos()) {
          throw new UnavailableException(
              String.format(
                  Locale.ROOT,
                  "Key registry %s at %s: no progress reading %s for %d s (positions %s of end"
                      + " offsets %s)",
                  topic,
                  bootstrapServers,
                  end.keySet(),
                  timeout.toSeconds(),
                  position,
                  end),
              null);
        }
      }
      return true;
    } catch (org.apache.kafka.common.errors.InterruptException e) {
      Thread.currentThread().interrupt();
      throw unavailable("read", e);
    } catch (KafkaException e) {
      throw unavailable("read", e);
    }
  }

  private Map<String, Object> clientProperties() {
    Map<String, Object> props = new HashMap<>(kafkaProperties);
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "carve-key-registry-" + topic);
    return props;
  }

  private UnavailableException unavailable(String what, Throwable cause) {
    return new UnavailableException(
        "Could not "
            + what
            + " the key registry topic "
            + topic
            + " at "
            + bootstrapServers
            + " within "
            + timeout.toSeconds()
            + " s: "
            + cause.getMessage()
            + ". Is Kafka running, and do the kafka properties (security) allow it?",
        cause);
  }

  /**
   * The registry as read by {@link #read}: a {@link KeyRegistry.Recorded} for an allocation, and
   * how many keys are recorded. Not thread-safe; bind it to one thread.
   */
  public static final class Snapshot implements KeyRegistry.Recorded {
    private final String topic;
    // Claims whose key is not their proposal: claim record key -> key.
    private final Map<String, Long> claimedOther = new HashMap<>();
    // Claims whose key is their proposal, as that number only (it identifies the record key).
    private final LongSet claimedProposals = new LongSet();
    // Keys an operator set (few: resolved collisions, imports), in full: claim record key -> key.
    private final Map<String, Long> set = new HashMap<>();
    // namespace/key -> legacy value, for effective keys that are not their holder's proposal.
    private final Map<String, String> otherOwners = new HashMap<>();
    private long size;
    private long notProposals;
    private long skipped;
    private long noKeys;
    private boolean exists;

    private Snapshot(String topic) {
      this.topic = topic;
    }

    /** An empty snapshot: nothing recorded (e.g. {@code carve verify --no-key-registry}). */
    public static Snapshot empty(String topic) {
      return new Snapshot(topic);
    }

    // As KeyRegistryStore.Loader: the effective key of a legacy value is the one an operator set,
    // else the claimed one; a value that is no key is a tombstone of its record key.
    private void apply(String recordKey, String value) {
      KeyRegistry.RecordKey parsed = KeyRegistry.RecordKey.parse(recordKey);
      if (parsed == null) {
        skipped++;
        return;
      }
      Long key = KeyRegistry.parseKey(value);
      if (value != null && key == null) {
        noKeys++;
      }
      String claimKey = parsed.claimKey();
      String namespace = parsed.namespace();
      String legacyValue = parsed.legacyValue();
      long proposal = KeyRegistry.proposal(namespace, legacyValue);
      Long before = effective(claimKey, proposal);
      if (parsed.set()) {
        if (key == null) {
          set.remove(claimKey);
        } else {
          set.put(claimKey, key);
        }
      } else {
        if (claimedOther.remove(claimKey) == null) {
          claimedProposals.remove(proposal);
        }
        if (key != null && key == proposal) {
          claimedProposals.add(proposal);
        } else if (key != null) {
          claimedOther.put(claimKey, key);
        }
      }
      Long after = effective(claimKey, proposal);
      if (Objects.equals(before, after)) {
        return;
      }
      if (before != null) {
        size--;
        if (before != proposal) {
          notProposals--;
          otherOwners.remove(namespace + "/" + before, legacyValue);
        }
      }
      if (after != null) {
        size++;
        if (after != proposal) {
          notProposals++;
          otherOwners.putIfAbsent(namespace + "/" + after, legacyValue);
        }
      }
    }

    private Long effective(String claimKey, long proposal) {
      Long key = set.get(claimKey);
      if (key == null) {
        key = claimedOther.get(claimKey);
      }
      if (key == null && claimedProposals.contains(proposal)) {
        key = proposal;
      }
      return key;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The key an operator set for the legacy value, else the one a transformer claimed.
     */
    @Override
    public Long keyOf(String namespace, String legacyValue) {
      return effective(
          KeyRegistry.recordKey(namespace, legacyValue),
          KeyRegistry.proposal(namespace, legacyValue));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Null also when the key is its holder's proposal (see {@link KeyRegistryTopic#read}).
     */
    @Override
    public String legacyValueOf(String namespace, long key) {
      return otherOwners.get(namespace + "/" + key);
    }

    /** The registry topic read. */
    public String topic() {
      return topic;
    }

    /** False when the topic did not exist: nothing is recorded yet. */
    public boolean topicExists() {
      return exists;
    }

    /** How many legacy values have a key recorded (set by an operator or claimed). */
    public long size() {
      return size;
    }

    /** How many of them have a key other than their proposal (imported or set by hand). */
    public long notProposals() {
      return notProposals;
    }

    /** How many legacy values have a key an operator set ({@code carve keys set}, an import). */
    public long set() {
      return set.size();
    }

    /** Records skipped: a key that is neither {@code <namespace>/<value>} nor {@code =...}. */
    public long skipped() {
      return skipped;
    }

    /**
     * Records whose value is no positive whole number, each taken as a tombstone of its key (as the
     * transformers take it: compaction keeps only that last record).
     */
    public long noKeys() {
      return noKeys;
    }

    /** A line for a progress report: the topic and how many keys it records. */
    public String describe() {
      if (!exists) {
        return "key registry " + topic + ": topic does not exist yet, no keys recorded";
      }
      return String.format(
          Locale.ROOT,
          "key registry %s: %,d keys recorded (%,d other than their proposal, %,d set by an"
              + " operator)%s%s",
          topic,
          size(),
          notProposals(),
          set(),
          skipped == 0 ? "" : String.format(Locale.ROOT, ", %,d records skipped", skipped),
          noKeys == 0
              ? ""
              : String.format(
                  Locale.ROOT, ", %,d values that are no key taken as tombstones", noKeys));
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /**
   * A set of positive longs in one array (open addressing, linear probing, 0 = empty). The array
   * doubles when it would be more than half full, so it takes 16 to 32 bytes per element (and,
   * while it doubles, the old array besides), where a {@code HashSet<Long>} takes about 50.
   */
  static final class LongSet {
    private long[] slots = new long[1024];
    private int size;

    int size() {
      return size;
    }

    boolean contains(long v) {
      for (int i = index(v, slots.length); ; i = (i + 1) & (slots.length - 1)) {
        if (slots[i] == 0) {
          return false;
        }
        if (slots[i] == v) {
          return true;
        }
      }
    }

    void add(long v) {
      if (v <= 0) {
        throw new IllegalArgumentException("only positive numbers, not " + v);
      }
      if ((size + 1) * 2L > slots.length) {
        grow();
      }
      if (insert(slots, v)) {
        size++;
      }
    }

    void remove(long v) {
      int mask = slots.length - 1;
      int i = index(v, slots.length);
      while (slots[i] != v) {
        if (slots[i] == 0) {
          return;
        }
        i = (i + 1) & mask;
      }
      slots[i] = 0;
      size--;
      // Backward-shift: move up the entries of the run after i whose home is not between.
      for (int j = (i + 1) & mask; slots[j] != 0; j = (j + 1) & mask) {
        int home = index(slots[j], slots.length);
        boolean between = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!between) {
          slots[i] = slots[j];
          slots[j] = 0;
          i = j;
        }
      }
    }

    private void grow() {
      long[] bigger = new long[slots.length * 2];
      for (long v : slots) {
        if (v != 0) {
          insert(bigger, v);
        }
      }
      slots = bigger;
    }

    private static boolean insert(long[] table, long v) {
      int mask = table.length - 1;
      for (int i = index(v, table.length); ; i = (i + 1) & mask) {
        if (table[i] == v) {
          return false;
        }
        if (table[i] == 0) {
          table[i] = v;
          return true;
        }
      }
    }

    private static int index(long v, int length) {
      long h = v * 0x9E3779B97F4A7C15L;
      return (int) (h ^ (h >>> 32)) & (length - 1);
    }
  }
}
