package dev.carve.examples;

import dev.carve.examples.internal.ShopChanges;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a realistic, deterministic mix of changes to a loaded legacy-shop database at a given
 * rate, on its own thread: inserts, updates of non-key columns, updates of the TOASTed customers
 * table that leave the TOASTed {@code notes} untouched, primary-key changes of an {@code
 * order_ref}, soft deletes and hard deletes. Referential sanity is kept: a payment or shipment
 * always has its order, and an order's children move with it when its key changes or go with it
 * when it is deleted.
 *
 * <p>The mix, per 100 changes: 8 new customers with a billing address, 22 new orders (with their
 * payment in the same transaction when {@link Options#multiTableTransactions}), 10 payments of new
 * orders (payment insert plus status update), 10 shipments of paid orders (status update plus
 * shipment insert), 10 product price changes (only {@code price}), 10 deliveries (only {@code
 * status}), 15 contact changes of customers with TOASTed notes, 3 order key changes, 7 soft deletes
 * and 5 hard deletes of an order with its payments and shipments. Each change is one transaction.
 *
 * <p>The same seed applied to the same data gives the same changes.
 */
public final class LoadGenerator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LoadGenerator.class);
  private static final long MAX_LAG_NANOS = Duration.ofSeconds(1).toNanos();

  /** The kinds of change counted by {@link #counts()}. */
  public enum Kind {
    /** Rows inserted: customers, orders, payments (counted with the change they belong to). */
    INSERT,
    /** Updates of non-key columns (price, order status, shipping). */
    UPDATE,
    /** Updates of a customer with TOASTed notes that leave {@code notes} unchanged. */
    TOASTED_TABLE_UPDATE,
    /** A change of an order's primary key {@code order_ref}, its children following. */
    KEY_CHANGE,
    /** {@code deleted_flag = 'Y'} on an order or a customer. */
    SOFT_DELETE,
    /** {@code DELETE} of an order with its payments and shipments. */
    HARD_DELETE,
    /** Orders inserted by a large transaction ({@link Options#bulkRows} at a time). */
    BULK_INSERT
  }

  /** The lifecycle of a generator. */
  public enum State {
    /** Created, not started. */
    CREATED,
    /** Applying changes on its thread. */
    RUNNING,
    /** Stopped by {@link #stop} or {@link #close}. */
    STOPPED,
    /** Stopped by an error; see {@link #failure()}. */
    FAILED
  }

  /** Opens a connection to the legacy-shop database. */
  @FunctionalInterface
  public interface ConnectionFactory {
    /** Opens a new connection; the generator closes it. */
    Connection open() throws SQLException;
  }

  /**
   * How the generator runs.
   *
   * @param changesPerSecond the target rate, greater than 0 (e.g. 200)
   * @param seed the random seed; the same seed on the same data gives the same changes
   * @param multiTableTransactions whether some new orders are written with their payment in one
   *     transaction
   * @param bulkEvery after how many changes one large transaction is applied; 0 for none
   * @param bulkRows how many orders a large transaction inserts (e.g. 10,000)
   */
  public record Options(
      double changesPerSecond,
      long seed,
      boolean multiTableTransactions,
      int bulkEvery,
      int bulkRows) {
    /** Checks the rate and the large transactions. */
    public Options {
      if (!(changesPerSecond > 0) || Double.isInfinite(changesPerSecond)) {
        throw new IllegalArgumentException(
            "changesPerSecond must be a positive number, was " + changesPerSecond);
      }
      if (bulkEvery < 0 || bulkRows < 0 || (bulkEvery > 0 && bulkRows == 0)) {
        throw new IllegalArgumentException(
            "bulkEvery and bulkRows must not be negative, and bulkRows must be positive when"
                + " bulkEvery is; were "
                + bulkEvery
                + " and "
                + bulkRows);
      }
    }

    /** Options with the given rate and seed, with multi-table transactions, no large ones. */
    public static Options of(double changesPerSecond, long seed) {
      return new Options(changesPerSecond, seed, true, 0, 0);
    }

    /**
     * These options plus one transaction inserting {@code rows} orders after every {@code every}
     * changes.
     */
    public Options withBulk(int every, int rows) {
      return new Options(changesPerSecond, seed, multiTableTransactions, every, rows);
    }
  }

  private final ConnectionFactory connections;
  private final Options options;
  private final AtomicLongArray counts = new AtomicLongArray(Kind.values().length);
  private final Object lock = new Object();
  private State state = State.CREATED;
  private Thread thread;
  private volatile boolean stopRequested;
  private volatile Throwable failure;

  private LoadGenerator(ConnectionFactory connections, Options options) {
    this.connections = Objects.requireNonNull(connections, "connections");
    this.options = Objects.requireNonNull(options, "options");
  }

  /**
   * A generator; nothing happens until {@link #start()} or {@link #applyChanges(int)}.
   *
   * @param connections opens connections to a database loaded by {@link DataGenerator}; never null
   * @param options rate, seed and mix options; never null
   */
  public static LoadGenerator create(ConnectionFactory connections, Options options) {
    return new LoadGenerator(connections, options);
  }

  /**
   * Starts applying changes at the configured rate on a thread of its own.
   *
   * @throws IllegalStateException when already started; create a new generator to run again
   */
  public void start() {
    synchronized (lock) {
      if (state != State.CREATED) {
        throw new IllegalStateException(
            "Cannot start a load generator that is " + state + "; create a new one to run again");
      }
      state = State.RUNNING;
      thread = new Thread(this::run, "carve-load-generator");
      thread.setDaemon(true);
      thread.start();
    }
    LOG.info(
        "Load generator started at {} changes/s (seed {})",
        options.changesPerSecond(),
        options.seed());
  }

  /**
   * Applies {@code count} changes on the caller's thread as fast as possible, for tests and
   * scripted demos; the counters include them.
   *
   * @throws IllegalStateException when the generator is running on its thread
   * @throws SQLException when a change fails (that change is rolled back)
   */
  public void applyChanges(int count) throws SQLException {
    synchronized (lock) {
      if (state == State.RUNNING) {
        throw new IllegalStateException(
            "Cannot apply changes synchronously while the generator runs; stop it first");
      }
    }
    try (Connection c = connections.open()) {
      ShopChanges changes = ShopChanges.load(c, options.seed(), options.multiTableTransactions());
      for (int i = 0; i < count; i++) {
        count(changes.applyNext());
      }
    }
  }

  private void run() {
    long period = (long) (1_000_000_000L / options.changesPerSecond());
    try (Connection c = connections.open()) {
      ShopChanges changes = ShopChanges.load(c, options.seed(), options.multiTableTransactions());
      long next = System.nanoTime();
      int sinceBulk = 0;
      while (!stopRequested) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
          continue;
        }
        if (-wait > MAX_LAG_NANOS) {
          next = System.nanoTime();
        }
        count(changes.applyNext());
        next += period;
        if (options.bulkEvery() > 0 && ++sinceBulk >= options.bulkEvery()) {
          sinceBulk = 0;
          counts.addAndGet(Kind.BULK_INSERT.ordinal(), changes.applyBulk(options.bulkRows()));
          // A large transaction takes its own time; do not try to catch up with a burst after it.
          next = System.nanoTime() + period;
        }
      }
      synchronized (lock) {
        state = State.STOPPED;
      }
    } catch (SQLException | RuntimeException e) {
      failure = e;
      synchronized (lock) {
        state = State.FAILED;
      }
      LOG.error("Load generator failed after {} changes: {}", total(), e.toString(), e);
    }
  }

  private void count(Kind kind) {
    counts.incrementAndGet(kind.ordinal());
  }

  /**
   * Stops the generator and waits for its thread; the change in flight is finished first. Does
   * nothing when not running.
   *
   * @param timeout how long to wait for the thread
   * @return true when the thread ended within the timeout (or was never started)
   */
  public boolean stop(Duration timeout) {
    Thread t;
    synchronized (lock) {
      t = thread;
      if (state == State.CREATED) {
        state = State.STOPPED;
      }
    }
    stopRequested = true;
    if (t == null) {
      return true;
    }
    try {
      t.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    if (!t.isAlive()) {
      LOG.info("Load generator stopped after {} changes: {}", total(), counts());
    }
    return !t.isAlive();
  }

  /** Stops the generator, waiting up to 10 seconds. */
  @Override
  public void close() {
    stop(Duration.ofSeconds(10));
  }

  /** Changes applied so far, per kind (every kind present, zero when none). */
  public Map<Kind, Long> counts() {
    Map<Kind, Long> out = new EnumMap<>(Kind.class);
    for (Kind k : Kind.values()) {
      out.put(k, counts.get(k.ordinal()));
    }
    return Collections.unmodifiableMap(out);
  }

  /** Changes applied so far, of all kinds. */
  public long total() {
    long sum = 0;
    for (int i = 0; i < counts.length(); i++) {
      sum += counts.get(i);
    }
    return sum;
  }

  /** The current state. */
  public State state() {
    synchronized (lock) {
      return state;
    }
  }

  /** The error that stopped the generator; empty unless the state is {@link State#FAILED}. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }
}
