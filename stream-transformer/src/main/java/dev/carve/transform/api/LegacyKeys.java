package dev.carve.transform.api;

import dev.carve.transform.keys.KeyRegistry;
import java.util.Objects;

/**
 * Maps a legacy key to the new numeric key of a namespace ({@code customer}, {@code order}).
 *
 * <p>Inside a running topology the key comes from the {@link KeyRegistry key registry}, a compacted
 * topic every service reads: a legacy value's key is allocated once, recorded there in the same
 * transaction as the first output using it, and read from there ever after, so it stays the same in
 * every service, on every replay and after every restart. A legacy value the registry does not hold
 * yet gets its {@link KeyRegistry#proposal proposal} (SHA-256 of the namespace and the value), so
 * two services seeing it at once record the same key; a proposal already recorded for another
 * legacy value is refused with {@link KeyRegistry.KeyCollisionException} (the row is
 * dead-lettered). The registry is bound only while a {@link TableMapper} given to the {@link
 * TopologyContext} maps a change: a call from other code on a Kafka Streams thread (a processor of
 * the team's own) throws {@link IllegalStateException}. Outside a topology (a plain unit test) no
 * registry is bound and the proposal is the key.
 */
public final class LegacyKeys {
  private static final ThreadLocal<Allocator> ALLOCATOR = ThreadLocal.withInitial(Allocator::new);

  private LegacyKeys() {}

  /**
   * The new key of a legacy value.
   *
   * @param namespace the key space, e.g. {@code customer}; never null
   * @param legacyValue the legacy key as text, e.g. {@code C00000042}; never null
   * @return a positive number (at least 1)
   * @throws KeyRegistry.KeyCollisionException when the value's proposal is recorded for another
   *     legacy value of the namespace
   */
  public static long allocate(String namespace, String legacyValue) {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(legacyValue, "legacyValue");
    return ALLOCATOR.get().allocate(namespace, legacyValue);
  }

  /** Is told of every key {@link #allocate} gives on the thread that {@link #observe observes}. */
  @FunctionalInterface
  public interface Observer {
    /**
     * A key was given (again, for a legacy value asked before).
     *
     * @param namespace the key space
     * @param legacyValue the legacy key as text
     * @param key the new key
     */
    void allocated(String namespace, String legacyValue, long key);
  }

  /** The observation of one thread's allocations; closing it ends the observation. */
  public interface Observation extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Tells {@code observer} of every key given on this thread until the returned observation is
   * closed, e.g. for {@code carve verify} to prove that no two legacy values of a namespace got the
   * same key. One observer per thread at a time.
   *
   * @throws IllegalStateException when this thread is observed already
   */
  public static Observation observe(Observer observer) {
    Objects.requireNonNull(observer, "observer");
    Allocator allocator = ALLOCATOR.get();
    if (allocator.observer != null) {
      throw new IllegalStateException("the allocations of this thread are observed already");
    }
    allocator.observer = observer;
    return () -> allocator.observer = null;
  }

  /** The binding of an allocation to one thread; closing it ends the binding. */
  public interface Binding extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Makes {@link #allocate} on this thread allocate in {@code allocation} until the returned
   * binding is closed. Carve's processors bind their registry allocation around each change they
   * map; {@code carve verify} binds a copy of the registry it read.
   *
   * @throws IllegalStateException when an allocation is bound to this thread already
   */
  public static Binding bind(KeyRegistry.Allocation allocation) {
    Objects.requireNonNull(allocation, "allocation");
    Allocator allocator = ALLOCATOR.get();
    if (allocator.bound != null) {
      throw new IllegalStateException("a key registry allocation is bound to this thread already");
    }
    allocator.bound = allocation;
    return () -> allocator.bound = null;
  }

  /**
   * One thread's bound allocation, its observer, and the last proposals it gave when none is bound:
   * the entities of one change ask for the same key several times (an order and each of its lines),
   * so most asks are answered without hashing.
   */
  private static final class Allocator {
    private static final int REMEMBERED = 4;
    private final String[] namespaces = new String[REMEMBERED];
    private final String[] values = new String[REMEMBERED];
    private final long[] ids = new long[REMEMBERED];
    private int next;
    private Observer observer;
    private KeyRegistry.Allocation bound;

    long allocate(String namespace, String legacyValue) {
      if (bound == null
          && Thread.currentThread()
              instanceof org.apache.kafka.streams.processor.internals.StreamThread) {
        // The registry may hold another key for this value (one an operator set): the proposal
        // would be a silently wrong key, and nothing would be recorded.
        throw new IllegalStateException(
            "LegacyKeys.allocate(\""
                + namespace
                + "\", ...) was called on stream thread "
                + Thread.currentThread().getName()
                + " outside a mapping step of the topology context (a TableMapper given to"
                + " TopologyContext.mapTable, joinTables or joinForeignKey), where the key"
                + " registry is not bound; allocate new keys in the TableMapper");
      }
      long id =
          bound != null ? bound.allocate(namespace, legacyValue) : idOf(namespace, legacyValue);
      if (observer != null) {
        observer.allocated(namespace, legacyValue, id);
      }
      return id;
    }

    private long idOf(String namespace, String legacyValue) {
      for (int i = 0; i < REMEMBERED; i++) {
        if (legacyValue.equals(values[i]) && namespace.equals(namespaces[i])) {
          return ids[i];
        }
      }
      long id = KeyRegistry.proposal(namespace, legacyValue);
      namespaces[next] = namespace;
      values[next] = legacyValue;
      ids[next] = id;
      next = (next + 1) % REMEMBERED;
      return id;
    }
  }
}
