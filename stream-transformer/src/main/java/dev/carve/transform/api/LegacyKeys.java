package dev.carve.transform.api;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * Maps a legacy key to the new numeric key of a namespace ({@code customer}, {@code order}).
 *
 * <p>The allocation is deterministic: the first 63 bits of SHA-256 over {@code namespace}, a zero
 * byte and the legacy value (UTF-8). The same legacy value therefore gets the same number in every
 * service, on every replay and after every restart, without a shared allocator to coordinate or to
 * lose (see the module README for why, and for the collision odds).
 */
public final class LegacyKeys {
  private static final ThreadLocal<Allocator> ALLOCATOR = ThreadLocal.withInitial(Allocator::new);

  private LegacyKeys() {}

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /**
   * The new key of a legacy value.
   *
   * @param namespace the key space, e.g. {@code customer}; never null
   * @param legacyValue the legacy key as text, e.g. {@code C00000042}; never null
   * @return a positive number (at least 1)
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

  /**
   * One thread's digest, its observer, and the last keys it gave: the entities of one change ask
   * for the same key several times (an order and each of its lines), so most asks are answered
   * without hashing.
   */
  private static final class Allocator {
    private static final int REMEMBERED = 4;
    private final MessageDigest sha = newDigest();
    private final String[] namespaces = new String[REMEMBERED];
    private final String[] values = new String[REMEMBERED];
    private final long[] ids = new long[REMEMBERED];
    private int next;
    private Observer observer;

    long allocate(String namespace, String legacyValue) {
      long id = idOf(namespace, legacyValue);
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
      sha.reset();
      sha.update(namespace.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(legacyValue.getBytes(StandardCharsets.UTF_8));
      long id = ByteBuffer.wrap(sha.digest()).getLong() & Long.MAX_VALUE;
      id = id == 0 ? 1 : id;
      namespaces[next] = namespace;
      values[next] = legacyValue;
      ids[next] = id;
      next = (next + 1) % REMEMBERED;
      return id;
    }
  }
}
