package dev.carve.transform.keys;

import dev.carve.transform.api.MappingException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The registry of legacy keys: which new numeric key each legacy value of a namespace ({@code
 * customer}, {@code order}) was given. It is a compacted Kafka topic ({@link #DEFAULT_TOPIC}) that
 * every service reads into a global state store and appends to; a key, once recorded, is the key of
 * that legacy value in every service, on every replay and after every restart.
 *
 * <p>Record format (readable with any console consumer): key {@code <namespace>/<legacy value>}
 * (UTF-8 text) for a transformer's claim, {@code =<namespace>/<legacy value>} for a key an operator
 * set ({@code carve keys set}, an import), which wins over a claim of the same legacy value; value
 * the new key as decimal text; a null value (tombstone) forgets the entry. A value that is no
 * positive whole number counts as a tombstone (as compaction keeps only the last record of a key, a
 * running service must see what a restarted one will). Never add partitions to the topic: a legacy
 * value's later records would go to another partition than its earlier ones.
 *
 * <p>A legacy value not yet recorded is given its {@link #proposal}: the first 63 bits of SHA-256
 * over the namespace, a zero byte and the legacy value. Two services seeing the same new legacy
 * value at once therefore record the same key, so no allocator has to be asked first and no race
 * can give one legacy value two keys. A proposal already recorded for another legacy value of the
 * namespace (a collision, about n²/2⁶⁴ for n keys) is refused: the row goes to the dead-letter
 * topic saying so, and an operator records another key for it ({@code carve keys set}).
 */
public final class KeyRegistry {
  /**
   * The registry topic unless {@code key-registry-topic} ({@code kafka.key-registry-topic} in
   * carve.yaml) names another.
   */
  public static final String DEFAULT_TOPIC = "carve.legacy-keys";

  private KeyRegistry() {}

  /**
   * The prefix of the record key of a key an operator set ({@code carve keys set}, an import): such
   * a record wins over a transformer's claim of the same legacy value, whichever comes later in the
   * topic, and compaction keeps both (their record keys differ).
   */
  public static final String SET_PREFIX = "=";

  /**
   * The record key of a transformer's claim for a legacy value: {@code <namespace>/<legacy value>}.
   *
   * @throws IllegalArgumentException when the namespace is empty, holds a {@code /} or starts with
   *     {@code =}
   */
  public static String recordKey(String namespace, String legacyValue) {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(legacyValue, "legacyValue");
    if (namespace.isEmpty() || namespace.indexOf('/') >= 0 || namespace.startsWith(SET_PREFIX)) {
      throw new IllegalArgumentException(
          "Key namespace '"
              + namespace
              + "' must be non-empty, must not contain '/' and must not start with '='");
    }
    return namespace + "/" + legacyValue;
  }

  /**
   * The record key of a key an operator set for a legacy value: {@code =<namespace>/<legacy
   * value>}.
   *
   * @throws IllegalArgumentException like {@link #recordKey}
   */
  public static String setRecordKey(String namespace, String legacyValue) {
    return SET_PREFIX + recordKey(namespace, legacyValue);
  }

  /**
   * A parsed record key.
   *
   * @param namespace the key namespace
   * @param legacyValue the legacy value
   * @param set true for a key an operator set ({@link #setRecordKey}), false for a claim
   */
  public record RecordKey(String namespace, String legacyValue, boolean set) {
    /** The claim's record key of the same legacy value ({@code <namespace>/<legacy value>}). */
    public String claimKey() {
      return namespace + "/" + legacyValue;
    }

    /**
     * Parses a record key of either kind; null when it is neither {@code <namespace>/<legacy
     * value>} nor {@code =<namespace>/<legacy value>}.
     */
    public static RecordKey parse(String recordKey) {
      if (recordKey == null) {
        return null;
      }
      boolean set = recordKey.startsWith(SET_PREFIX);
      String rest = set ? recordKey.substring(SET_PREFIX.length()) : recordKey;
      int slash = rest.indexOf('/');
      if (slash <= 0 || rest.startsWith(SET_PREFIX)) {
        return null;
      }
      return new RecordKey(rest.substring(0, slash), rest.substring(slash + 1), set);
    }
  }

  /**
   * The namespace and legacy value of a claim's record key, or null when it is not of the form
   * {@code <namespace>/<legacy value>} (also for a {@link #setRecordKey set key}).
   */
  public static String[] parseRecordKey(String recordKey) {
    RecordKey parsed = RecordKey.parse(recordKey);
    return parsed == null || parsed.set()
        ? null
        : new String[] {parsed.namespace(), parsed.legacyValue()};
  }

  /**
   * The new key a registry record's value holds: a positive whole number as decimal text; null for
   * null (a tombstone) or for anything else (a record that is not an allocation).
   */
  public static Long parseKey(String value) {
    if (value == null) {
      return null;
    }
    try {
      long key = Long.parseLong(value);
      return key > 0 ? key : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * The key a legacy value gets when the registry holds none for it: positive (at least 1), the
   * same on every machine.
   */
  public static long proposal(String namespace, String legacyValue) {
    MessageDigest sha = DIGEST.get();
    sha.reset();
    sha.update(namespace.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(legacyValue.getBytes(StandardCharsets.UTF_8));
    long id = ByteBuffer.wrap(sha.digest()).getLong() & Long.MAX_VALUE;
    return id == 0 ? 1 : id;
  }

  private static final ThreadLocal<MessageDigest> DIGEST =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("SHA-256 is required by every Java platform", e);
            }
          });

  /** What the registry has recorded so far (a global store, or a copy read from the topic). */
  public interface Recorded {
    /** The key recorded for a legacy value; null when none is. */
    Long keyOf(String namespace, String legacyValue);

    /** The legacy value a key of the namespace is recorded for; null when none. */
    String legacyValueOf(String namespace, long key);
  }

  /** A registry of nothing recorded: every legacy value gets its proposal. */
  public static final Recorded NOTHING =
      new Recorded() {
        @Override
        public Long keyOf(String namespace, String legacyValue) {
          return null;
        }

        @Override
        public String legacyValueOf(String namespace, long key) {
          return null;
        }
      };

  /** A refused allocation: the proposal of a legacy value is recorded for another one. */
  public static final class KeyCollisionException extends MappingException {
    private static final long serialVersionUID = 1L;

    KeyCollisionException(String namespace, String legacyValue, long key, String owner) {
      super(
          "KEY COLLISION in key namespace '"
              + namespace
              + "': legacy value '"
              + legacyValue
              + "' would get key "
              + key
              + ", which the key registry already gives to '"
              + owner
              + "'. Set another key for it (carve keys set <service> "
              + namespace
              + " '"
              + legacyValue
              + "' <key>), then carve verify <service> --repair re-emits its row");
    }
  }

  /**
   * The allocations of one processor (one task): looks a legacy value up in what is recorded,
   * otherwise gives its proposal and collects it as a claim, which the caller records in the same
   * Kafka transaction as the outputs using it ({@link #takeClaims}) and then confirms ({@link
   * #recorded}). Not thread-safe: one per processor, used on its stream thread.
   */
  public static final class Allocation {
    private static final int PENDING = 2_000;
    private final Recorded recorded;
    // Keys given in the current change (an order and each of its lines ask for the same one).
    private final Map<String, Long> current = new HashMap<>();
    private final Map<String, Long> claims = new LinkedHashMap<>();
    private final Map<String, String> claimOwners = new HashMap<>();
    // Claims sent with a committed change that the registry may not have read back yet.
    private final Map<String, Long> pending = lru();
    private final Map<String, String> pendingOwners = lru();

    /** Allocates against {@code recorded}. */
    public Allocation(Recorded recorded) {
      this.recorded = Objects.requireNonNull(recorded, "recorded");
    }

    private static <V> Map<String, V> lru() {
      return new LinkedHashMap<>(1024, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
          return size() > PENDING;
        }
      };
    }

    /**
     * The key of a legacy value: the recorded one, else its proposal (then a claim).
     *
     * @throws KeyCollisionException when the proposal, or the key recorded for the value, is
     *     recorded for another legacy value
     */
    public long allocate(String namespace, String legacyValue) {
      String recordKey = recordKey(namespace, legacyValue);
      Long key = current.get(recordKey);
      if (key != null) {
        return key;
      }
      key = recorded.keyOf(namespace, legacyValue);
      if (key != null) {
        // A recorded key given to two values (a set key over another's claim, a key set by hand)
        // would make their rows one row in the targets: the value the key was recorded for first
        // keeps it, the other is refused until one of them gets another key.
        String holder = recorded.legacyValueOf(namespace, key);
        if (holder != null && !holder.equals(legacyValue)) {
          throw new KeyCollisionException(namespace, legacyValue, key, holder);
        }
        Long claimed = pending.remove(recordKey);
        if (claimed != null) {
          pendingOwners.remove(namespace + "/" + claimed);
        }
      } else {
        key = pending.get(recordKey);
      }
      if (key == null) {
        key = claim(namespace, legacyValue, recordKey);
      }
      current.put(recordKey, key);
      return key;
    }

    private long claim(String namespace, String legacyValue, String recordKey) {
      long proposal = proposal(namespace, legacyValue);
      String ownerKey = namespace + "/" + proposal;
      String owner = claimOwners.get(ownerKey);
      if (owner == null) {
        owner = recorded.legacyValueOf(namespace, proposal);
      }
      if (owner == null) {
        owner = pendingOwners.get(ownerKey);
      }
      if (owner != null && !owner.equals(legacyValue)) {
        throw new KeyCollisionException(namespace, legacyValue, proposal, owner);
      }
      claims.put(recordKey, proposal);
      claimOwners.put(ownerKey, legacyValue);
      return proposal;
    }

    /**
     * The keys given since the last call that the registry has not recorded (record key → key), in
     * the order given, and the end of the change; the caller records them, then calls {@link
     * #recorded}.
     */
    public Map<String, Long> takeClaims() {
      current.clear();
      if (claims.isEmpty()) {
        return Map.of();
      }
      Map<String, Long> taken = new LinkedHashMap<>(claims);
      claims.clear();
      claimOwners.clear();
      return taken;
    }

    /** Drops the claims of a change that failed: nothing was recorded. */
    public void discardClaims() {
      current.clear();
      claims.clear();
      claimOwners.clear();
    }

    /** Remembers claims sent to the registry until the registry is read back. */
    public void recorded(Map<String, Long> sent) {
      sent.forEach(
          (recordKey, key) -> {
            pending.put(recordKey, key);
            String[] parts = parseRecordKey(recordKey);
            pendingOwners.put(parts[0] + "/" + key, parts[1]);
          });
    }
  }
}
