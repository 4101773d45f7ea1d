package dev.carve.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.error.OnError;
import dev.carve.sink.DdlMode;
import dev.carve.sink.Orders;
import dev.carve.sink.TestAvro;
import dev.carve.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ordering guard of {@link BatchWriter} on a real PostgreSQL. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GuardedWriteIT {
  private static final String DB = "sink_guarded_write_it";
  private static final String TOPIC = "orders.order";
  static Connection conn;
  private final AtomicLong offsets = new AtomicLong();
  String schema;
  private BatchWriter writer;
  private int schemaNo;

  @BeforeAll
  static void database() throws SQLException {
    TestPostgres.createDatabase(DB);
    conn = TestPostgres.connect(DB);
    conn.setAutoCommit(false);
  }

  @AfterAll
  static void close() throws SQLException {
    conn.close();
  }

  @BeforeEach
  void freshSchema() throws SQLException {
    schema = "s" + System.nanoTime();
    writer = writer(new TargetTables(schema, DdlMode.CREATE));
    writer.tables().prepare(conn);
    conn.commit();
  }

  /** The writer under test; {@link GuardedWriteCopyIT} runs every case on the COPY path. */
  BatchWriter writer(TargetTables tables) {
    return new BatchWriter(tables);
  }

  ChangeRecord upsert(long id, String status, long commit, long change, boolean repair) {
    return record(id, Orders.order(id, status, 1250), commit, change, repair);
  }

  ChangeRecord delete(long id, long commit, long change) {
    return record(id, null, commit, change, false);
  }

  ChangeRecord record(long id, GenericRecord value, long commit, long change, boolean repair) {
    ConsumerRecord<byte[], byte[]> source =
        Orders.consumed(TOPIC, offsets.getAndIncrement(), id, value, commit, change, repair);
    return new ChangeRecord(
        source,
        "order",
        Orders.key(id),
        value,
        new dev.carve.core.SourcePosition(commit, change),
        repair);
  }

  BatchWriter.Outcome write(ChangeRecord... records) throws SQLException {
    BatchWriter.Outcome o = writer.write(conn, List.of(records));
    conn.commit();
    return o;
  }

  String status(long id) throws SQLException {
    try (Statement s = conn.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT status FROM \"" + schema + "\".\"order\" WHERE order_id = " + id)) {
      String v = rs.next() ? rs.getString(1) : null;
      conn.commit();
      return v;
    }
  }

  long count(String sql) throws SQLException {
    try (Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      long v = rs.getLong(1);
      conn.commit();
      return v;
    }
  }

  @Test
  void replayedOlderUpsertDoesNotOverwriteNewerRow() throws SQLException {
    write(upsert(1, "PAID", 100, 110, false));
    BatchWriter.Outcome o = write(upsert(1, "NEW", 90, 95, false));

    assertThat(status(1)).isEqualTo("PAID");
    assertThat(o.counts().get("order")).isEqualTo(new BatchWriter.Counts(0, 0, 1));
  }

  @Test
  void newerUpsertOverwritesAndDuplicateIsANoOp() throws SQLException {
    write(upsert(1, "NEW", 100, 110, false));
    write(upsert(1, "SHIPPED", 200, 210, false));
    BatchWriter.Outcome dup = write(upsert(1, "SHIPPED", 200, 210, false));

    assertThat(status(1)).isEqualTo("SHIPPED");
    assertThat(dup.counts().get("order").skipped()).isEqualTo(1);
  }

  @Test
  void withinOneBatchTheNewestChangeOfAKeyWinsWhateverTheOrder() throws SQLException {
    write(
        upsert(1, "SHIPPED", 300, 310, false),
        upsert(1, "NEW", 100, 110, false),
        upsert(2, "NEW", 100, 120, false),
        delete(2, 200, 205),
        upsert(2, "PAID", 150, 155, false));

    assertThat(status(1)).isEqualTo("SHIPPED");
    assertThat(status(2)).isNull();
  }

  @Test
  void deleteThenOlderUpsertDoesNotResurrectTheRow() throws SQLException {
    write(upsert(1, "NEW", 100, 110, false));
    write(delete(1, 200, 210));
    BatchWriter.Outcome late = write(upsert(1, "PAID", 150, 160, false));

    assertThat(status(1)).isNull();
    assertThat(late.counts().get("order").skipped()).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM \"" + schema + "\".carve_tombstones")).isEqualTo(1);
  }

  @Test
  void upsertNewerThanTheTombstoneRecreatesTheRowAndRemovesTheTombstone() throws SQLException {
    write(upsert(1, "NEW", 100, 110, false));
    write(delete(1, 200, 210));
    write(upsert(1, "PAID", 300, 310, false));

    assertThat(status(1)).isEqualTo("PAID");
    assertThat(count("SELECT count(*) FROM \"" + schema + "\".carve_tombstones")).isZero();
  }

  @Test
  void tombstonesOlderThanTheRetentionAreCollected() throws Exception {
    write(delete(1, 200, 210), delete(2, 300, 310));
    try (Statement s = conn.createStatement()) {
      s.executeUpdate(
          "UPDATE \""
              + schema
              + "\".carve_tombstones SET deleted_at = now() - interval '8 days'"
              + " WHERE key = '{\"order_id\": 1}'");
    }
    conn.commit();
    try (SinkEngine engine =
        new SinkEngine(
            new SinkEngine.Settings(
                "orders", OnError.DEAD_LETTER, 0, Duration.ofMillis(10), Duration.ofMillis(10)),
            new RecordDecoder(
                Map.of(TOPIC, "order"), TestAvro.deserializer(), TestAvro.deserializer()),
            new JdbcTarget(TestPostgres.jdbcUrl(DB), TestPostgres.USER, TestPostgres.PASSWORD),
            new TargetTables(schema, DdlMode.CREATE),
            null,
            () -> false,
            new SinkCounters())) {
      assertThat(engine.collectGarbage(List.of("order"), Duration.ofDays(7), Duration.ofDays(30)))
          .isEqualTo(1);
    }

    assertThat(count("SELECT count(*) FROM \"" + schema + "\".carve_tombstones")).isEqualTo(1);
  }

  @Test
  void staleDeleteLeavesANewerRowAlone() throws SQLException {
    write(upsert(1, "PAID", 300, 310, false));
    BatchWriter.Outcome o = write(delete(1, 200, 210));

    assertThat(status(1)).isEqualTo("PAID");
    assertThat(o.counts().get("order")).isEqualTo(new BatchWriter.Counts(0, 0, 1));
  }

  @Test
  void deleteArrivingBeforeTheTableExistsStillBlocksAnOlderUpsert() throws SQLException {
    write(delete(1, 200, 210));
    write(upsert(1, "NEW", 100, 110, false));

    assertThat(status(1)).isNull();
  }

  /**
   * Regression: an invoice built from its order's snapshot row and then from its payments' snapshot
   * rows kept the first, incomplete version, because all snapshot rows share position (0, 0).
   */
  @Test
  void betweenSnapshotPositionsTheLaterRecordWinsButNeverOverAStreamedRow() throws SQLException {
    write(upsert(1, "NEW", 0, 0, false));
    write(upsert(1, "PAID", 0, 0, false));
    assertThat(status(1)).isEqualTo("PAID");

    write(upsert(1, "SHIPPED", 100, 110, false));
    write(upsert(1, "CANCELLED", 0, 0, false));
    assertThat(status(1)).isEqualTo("SHIPPED");
  }

  @Test
  void repairWinsATieButAnOrdinaryRecordDoesNot() throws SQLException {
    write(upsert(1, "PAID", 100, 110, false));
    write(upsert(1, "NEW", 100, 110, false));
    assertThat(status(1)).isEqualTo("PAID");

    write(upsert(1, "SHIPPED", 100, 110, true));
    assertThat(status(1)).isEqualTo("SHIPPED");
  }

  /**
   * Regression: at an equal position the later record won within a batch but the earlier one across
   * batches (a tombstone blocked an upsert at its own position), so a delete and a re-insert at one
   * position ended differently depending on where the poll cut the batch. At one position Debezium
   * emits a delete and then a create (a primary-key change): where both map to one domain key, the
   * row must stay, in one batch or two, in either order of arrival.
   */
  @Test
  void aDeleteAndAReinsertAtOnePositionLeaveTheRowInOneBatchAndAcrossTwo() throws SQLException {
    write(
        upsert(1, "NEW", 100, 110, false),
        upsert(2, "NEW", 100, 120, false),
        upsert(3, "NEW", 100, 130, false),
        upsert(4, "NEW", 100, 140, false));

    // One batch: delete then re-insert (key 1), insert then delete (key 2), at one position each.
    write(
        delete(1, 200, 210),
        upsert(1, "PAID", 200, 210, false),
        upsert(2, "PAID", 200, 220, false),
        delete(2, 200, 220));
    // The same split across two batches (keys 3 and 4).
    write(delete(3, 200, 230), upsert(4, "PAID", 200, 240, false));
    write(upsert(3, "PAID", 200, 230, false), delete(4, 200, 240));

    assertThat(status(1)).isEqualTo("PAID");
    assertThat(status(2)).isEqualTo("PAID");
    assertThat(status(3)).isEqualTo("PAID");
    assertThat(status(4)).isEqualTo("PAID");
    String tombstones =
        "SELECT count(*) FROM \"" + schema + "\".carve_tombstones WHERE key->>'order_id' = '";
    for (int key = 1; key <= 4; key++) {
      assertThat(count(tombstones + key + "'")).as("tombstone of key " + key).isZero();
    }

    // A newer delete still wins, and an older upsert after it is still refused.
    write(delete(1, 300, 310));
    write(upsert(1, "SHIPPED", 200, 210, false));
    assertThat(status(1)).isNull();
  }

  @Test
  void withinOneBatchARepairWinsATieAndTheLaterOfTwoRepairsWins() throws SQLException {
    write(
        upsert(1, "PAID", 100, 110, true),
        upsert(1, "NEW", 100, 110, false),
        upsert(2, "NEW", 100, 120, true),
        upsert(2, "SHIPPED", 100, 120, true),
        upsert(3, "NEW", 0, 0, false),
        upsert(3, "PAID", 0, 0, false));

    assertThat(status(1)).isEqualTo("PAID");
    assertThat(status(2)).isEqualTo("SHIPPED");
    assertThat(status(3)).isEqualTo("PAID");
  }

  @Test
  void valuesAreWrittenWithTheirSqlTypes() throws SQLException {
    write(upsert(42, "PAID", 100, 110, false));
    try (Statement s = conn.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT total, ordered_at AT TIME ZONE 'UTC', ship_name, ship_city,"
                    + " carve_commit_lsn, carve_change_lsn, pg_typeof(total)::text"
                    + " FROM \""
                    + schema
                    + "\".\"order\"")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getBigDecimal(1)).isEqualByComparingTo("12.50");
      assertThat(rs.getString(2)).isEqualTo("2023-11-14 22:13:20.123456");
      assertThat(rs.getString(3)).isEqualTo("Ann O'Neil; \"quoted\"");
      assertThat(rs.getString(4)).isNull();
      assertThat(rs.getLong(5)).isEqualTo(100);
      assertThat(rs.getLong(6)).isEqualTo(110);
      assertThat(rs.getString(7)).isEqualTo("numeric");
    }
    conn.commit();
  }

  @Test
  void aRowThatCannotBeWrittenIsIsolatedAndTheRestOfTheBatchLands() throws SQLException {
    GenericRecord bad = Orders.order(2, "NEW", 100);
    bad.put("currency", "nul\u0000byte");
    BatchWriter.Outcome o =
        write(
            upsert(1, "NEW", 100, 110, false),
            record(2, bad, 100, 120, false),
            upsert(3, "NEW", 100, 130, false));

    assertThat(o.failures()).hasSize(1);
    assertThat(o.failures().get(0).record().key().get("order_id")).isEqualTo(2L);
    assertThat(status(1)).isEqualTo("NEW");
    assertThat(status(3)).isEqualTo("NEW");
    assertThat(o.counts().get("order").upserted()).isEqualTo(2);
  }

  @Test
  void aNewOptionalFieldAddsAColumn() throws SQLException {
    write(upsert(1, "NEW", 100, 110, false));
    Schema evolved =
        withExtraField(
            Orders.VALUE,
            SchemaBuilder.builder().unionOf().nullType().and().stringType().endUnion());
    GenericRecord v = copy(Orders.order(2, "PAID", 100), evolved);
    v.put("gift_note", "happy birthday");
    write(record(2, v, 200, 210, false));

    assertThat(
            count(
                "SELECT count(*) FROM \""
                    + schema
                    + "\".\"order\" WHERE gift_note = 'happy birthday'"))
        .isEqualTo(1);
  }

  /**
   * Regression: a field removed from the value schema kept its column's last value in the live row,
   * where a replay of the compacted topic (the latest record only) writes NULL.
   */
  @Test
  void aFieldRemovedFromTheSchemaIsClearedByTheNextUpsertButAColumnAddedByHandIsNot()
      throws SQLException {
    Schema withNote =
        withExtraField(
            Orders.VALUE,
            SchemaBuilder.builder().unionOf().nullType().and().stringType().endUnion());
    GenericRecord v1 = copy(Orders.order(1, "NEW", 100), withNote);
    v1.put("gift_note", "happy birthday");
    write(record(1, v1, 100, 110, false));
    try (Statement s = conn.createStatement()) {
      s.execute("ALTER TABLE \"" + schema + "\".\"order\" ADD COLUMN team_note text");
      s.execute("UPDATE \"" + schema + "\".\"order\" SET team_note = 'kept'");
    }
    conn.commit();

    write(upsert(1, "PAID", 200, 210, false)); // the schema without gift_note

    String table = "\"" + schema + "\".\"order\"";
    assertThat(count("SELECT count(*) FROM " + table + " WHERE gift_note IS NULL")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM " + table + " WHERE team_note = 'kept'")).isEqualTo(1);
    assertThat(status(1)).isEqualTo("PAID");

    write(record(1, v1, 100, 110, false)); // the older record again: the guard keeps the newer row
    assertThat(count("SELECT count(*) FROM " + table + " WHERE gift_note IS NULL")).isEqualTo(1);
  }

  @Test
  void anIncompatibleTypeChangeStopsWithTableAndColumn() throws SQLException {
    write(upsert(1, "NEW", 100, 110, false));
    Schema changed = withExtraField(Orders.VALUE, SchemaBuilder.builder().intType());
    Schema renamedType = replaceFieldType(changed, "currency", SchemaBuilder.builder().longType());
    GenericRecord v = copy(Orders.order(2, "PAID", 100), renamedType);
    v.put("currency", 978L);
    v.put("gift_note", 1);

    assertThatThrownBy(() -> writer.write(conn, List.of(record(2, v, 200, 210, false))))
        .isInstanceOf(UnsupportedSchemaException.class)
        .hasMessageContaining("\"order\"")
        .hasMessageContaining("column 'currency'")
        .hasMessageContaining("bigint");
    conn.rollback();
  }

  @Test
  void validateModeFailsNamingTheMissingTable() throws SQLException {
    TargetTables validating = new TargetTables(schema, DdlMode.VALIDATE);
    assertThatThrownBy(() -> validating.validateExist(conn, List.of("order")))
        .isInstanceOf(UnsupportedSchemaException.class)
        .hasMessageContaining("\"order\"")
        .hasMessageContaining("does not exist");
    conn.rollback();
  }

  @Test
  void hostileIdentifiersAreQuotedNotInjected() throws SQLException {
    String hostileSchema = "we\"ird; DROP TABLE x; --" + (schemaNo++);
    String hostileTable = "order lines\"; DELETE FROM pg_class; --";
    BatchWriter hostile = writer(new TargetTables(hostileSchema, DdlMode.CREATE));
    hostile.tables().prepare(conn);
    ConsumerRecord<byte[], byte[]> source =
        Orders.consumed(TOPIC, 1, 1, Orders.order(1, "NEW", 10), 100, 110, false);
    hostile.write(
        conn,
        List.of(
            new ChangeRecord(
                source,
                hostileTable,
                Orders.key(1),
                Orders.order(1, "NEW", 10),
                new dev.carve.core.SourcePosition(100, 110),
                false)));
    TableSpec weirdColumns =
        new TableSpec(
            hostileSchema,
            "t; --",
            List.of(new Column("id\"); DROP SCHEMA public; --", "bigint", false)),
            List.of(new Column("a b", "text", true)));
    try (Statement s = conn.createStatement()) {
      s.execute(PostgresDialect.createTable(weirdColumns));
    }
    conn.commit();

    assertThat(
            count("SELECT count(*) FROM " + PostgresDialect.qualified(hostileSchema, hostileTable)))
        .isEqualTo(1);
    List<String> columns = new ArrayList<>();
    try (Statement s = conn.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 't; --'"
                    + " ORDER BY ordinal_position")) {
      while (rs.next()) {
        columns.add(rs.getString(1));
      }
    }
    conn.commit();
    assertThat(columns).startsWith("id\"); DROP SCHEMA public; --", "a b");
    assertThat(count("SELECT count(*) FROM pg_namespace WHERE nspname = 'public'")).isEqualTo(1);
  }

  private static Schema withExtraField(Schema base, Schema fieldType) {
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : base.getFields()) {
      fields.add(new Schema.Field(f, f.schema()));
    }
    Object dflt = fieldType.getType() == Schema.Type.UNION ? Schema.Field.NULL_DEFAULT_VALUE : null;
    fields.add(new Schema.Field("gift_note", fieldType, null, dflt));
    return Schema.createRecord(base.getName(), null, base.getNamespace(), false, fields);
  }

  private static Schema replaceFieldType(Schema base, String name, Schema type) {
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : base.getFields()) {
      fields.add(
          f.name().equals(name)
              ? new Schema.Field(f.name(), type, null, (Object) null)
              : new Schema.Field(f, f.schema()));
    }
    return Schema.createRecord(base.getName(), null, base.getNamespace(), false, fields);
  }

  private static GenericRecord copy(GenericRecord from, Schema to) {
    GenericRecord r = new GenericData.Record(to);
    for (Schema.Field f : from.getSchema().getFields()) {
      if (to.getField(f.name()) != null) {
        r.put(f.name(), from.get(f.name()));
      }
    }
    return r;
  }
}
