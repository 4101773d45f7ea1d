package dev.carve.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.core.SourcePosition;
import dev.carve.sink.DdlMode;
import dev.carve.sink.Orders;
import dev.carve.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two writers of one service's table at once (a zombie sink instance whose partitions moved on, or
 * {@code carve dlq retry} racing the live sink), interleaved deterministically on a real
 * PostgreSQL: the second writer is let go only once PostgreSQL reports it waiting for a lock.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConcurrentWritersIT {
  private static final String DB = "sink_concurrent_writers_it";
  private static final String TOPIC = "orders.order";
  private static Connection zombie;
  private static Connection owner;
  private final AtomicLong offsets = new AtomicLong();

  @BeforeAll
  static void database() throws SQLException {
    TestPostgres.createDatabase(DB);
    zombie = TestPostgres.connect(DB);
    zombie.setAutoCommit(false);
    owner = TestPostgres.connect(DB);
    owner.setAutoCommit(false);
  }

  @AfterAll
  static void close() throws SQLException {
    zombie.close();
    owner.close();
  }

  private ChangeRecord record(long id, GenericRecord value, long commit, long change) {
    ConsumerRecord<byte[], byte[]> source =
        Orders.consumed(TOPIC, offsets.getAndIncrement(), id, value, commit, change, false);
    return new ChangeRecord(
        source, "order", Orders.key(id), value, new SourcePosition(commit, change), false);
  }

  /**
   * Regression: the tombstone fast path was decided once per batch, before the batch's statements;
   * under READ COMMITTED a delete committed by another writer after that check was not seen, and an
   * older upsert brought the deleted row back.
   */
  @Test
  void anOlderUpsertRacingANewerDeleteOfAnotherWriterDoesNotResurrectTheRow() throws Exception {
    String schema = "s" + System.nanoTime();
    BatchWriter zombieWriter = new BatchWriter(new TargetTables(schema, DdlMode.CREATE));
    BatchWriter ownerWriter = new BatchWriter(new TargetTables(schema, DdlMode.CREATE));
    zombieWriter.tables().prepare(zombie);
    zombie.commit();
    zombieWriter.write(zombie, List.of(record(1, Orders.order(1, "NEW", 100), 50, 50)));
    zombie.commit();

    // The new owner deletes key 1 at P2 and holds its transaction open.
    ownerWriter.write(owner, List.of(record(1, null, 200, 200)));

    // The zombie upserts key 1 at the older P1 meanwhile; it must wait for the owner.
    long zombiePid = pid(zombie);
    CompletableFuture<Void> zombieWrite =
        CompletableFuture.runAsync(
            () -> {
              try {
                zombieWriter.write(
                    zombie, List.of(record(1, Orders.order(1, "PAID", 200), 100, 100)));
                zombie.commit();
              } catch (SQLException e) {
                throw new IllegalStateException(e);
              }
            });
    awaitWaitingForALock(zombiePid, zombieWrite);
    owner.commit();
    zombieWrite.get(60, TimeUnit.SECONDS);

    assertThat(count("SELECT count(*) FROM \"" + schema + "\".\"order\"")).isZero();
    assertThat(count("SELECT count(*) FROM \"" + schema + "\".carve_tombstones")).isEqualTo(1);
  }

  /** The writers of one table serialize on an advisory lock keyed by the schema and table. */
  @Test
  void aWriterWaitsWhileAnotherHoldsTheTablesLock() throws Exception {
    String schema = "s" + System.nanoTime();
    BatchWriter writer = new BatchWriter(new TargetTables(schema, DdlMode.CREATE));
    writer.tables().prepare(zombie);
    zombie.commit();
    try (PreparedStatement ps = owner.prepareStatement(PostgresDialect.lockTable())) {
      ps.setLong(1, PostgresDialect.tableLockKey(schema, "order"));
      ps.execute();
    }
    long zombiePid = pid(zombie);
    CompletableFuture<Void> write =
        CompletableFuture.runAsync(
            () -> {
              try {
                writer.write(zombie, List.of(record(2, Orders.order(2, "NEW", 100), 10, 10)));
                zombie.commit();
              } catch (SQLException e) {
                throw new IllegalStateException(e);
              }
            });
    awaitWaitingForALock(zombiePid, write);
    assertThat(write).isNotDone();
    owner.rollback();
    write.get(60, TimeUnit.SECONDS);

    assertThat(count("SELECT count(*) FROM \"" + schema + "\".\"order\"")).isEqualTo(1);
  }

  /**
   * Regression: two sinks preparing one new schema at once (two services on one schema started
   * together by {@code carve up}, or two instances of one service) ran {@code CREATE ... IF NOT
   * EXISTS} unserialized; the second failed on a unique violation of the catalog (23505), a fatal
   * error, and its sink stopped at start.
   */
  @Test
  void twoSinksPreparingOneNewSchemaTakeTurnsInsteadOfFailing() throws Exception {
    String schema = "s" + System.nanoTime();
    new TargetTables(schema, DdlMode.CREATE).prepare(zombie);

    long ownerPid = pid(owner);
    CompletableFuture<Void> second =
        CompletableFuture.runAsync(
            () -> {
              try {
                new TargetTables(schema, DdlMode.CREATE).prepare(owner);
                owner.commit();
              } catch (SQLException e) {
                rollback(owner);
                throw new IllegalStateException(e);
              }
            });
    awaitWaitingForALock(ownerPid, second);
    assertThat(second).isNotDone();
    zombie.commit();
    second.get(60, TimeUnit.SECONDS);

    assertThat(
            count(
                "SELECT count(*) FROM pg_tables WHERE schemaname = '"
                    + schema
                    + "' AND tablename IN ('carve_tombstones', 'carve_failures')"))
        .isEqualTo(2);
  }

  /** Leaves the shared connection usable for the next test after a failed one. */
  private static void rollback(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long pid(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      long pid = rs.getLong(1);
      c.commit();
      return pid;
    }
  }

  /** Waits until the backend is blocked on a heavyweight lock (or the write ended early). */
  private static void awaitWaitingForALock(long pid, CompletableFuture<Void> write)
      throws SQLException, InterruptedException {
    try (Connection probe = TestPostgres.connect(DB);
        PreparedStatement ps =
            probe.prepareStatement(
                "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = ?")) {
      ps.setLong(1, pid);
      while (!write.isDone()) {
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next() && rs.getBoolean(1)) {
            return;
          }
        }
        Thread.sleep(20);
      }
    }
  }

  private static long count(String sql) throws SQLException {
    try (Connection c = TestPostgres.connect(DB);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
