package dev.carve.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.core.SourcePosition;
import dev.carve.sink.DdlMode;
import dev.carve.sink.Orders;
import dev.carve.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * With foreign keys between target tables (the service's own DDL), a batch writes upserts parents
 * first and deletes children first, whatever order the records arrived in.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ForeignKeyOrderIT {
  private static final String DB = "sink_foreign_key_order_it";
  private static final Schema LINE_KEY =
      SchemaBuilder.record("OrderLineKey")
          .namespace("fk")
          .fields()
          .requiredLong("order_id")
          .requiredInt("line_no")
          .endRecord();
  private static final Schema LINE =
      SchemaBuilder.record("OrderLine")
          .namespace("fk")
          .fields()
          .requiredLong("order_id")
          .requiredInt("line_no")
          .requiredString("sku")
          .endRecord();
  private static Connection conn;
  private final AtomicLong offsets = new AtomicLong();

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

  @Test
  void childBeforeParentInABatchIsWrittenParentFirstAndDeletedChildFirst() throws SQLException {
    String schema = "fk" + System.nanoTime();
    BatchWriter creating = new BatchWriter(new TargetTables(schema, DdlMode.CREATE));
    creating.tables().prepare(conn);
    write(creating, order(1, 10, 1), line(1, 1, 10, 2));
    execute(
        "ALTER TABLE \""
            + schema
            + "\".\"order_line\" ADD FOREIGN KEY (order_id) REFERENCES \""
            + schema
            + "\".\"order\" (order_id)");
    // A sink started on the service's DDL, foreign key included.
    BatchWriter writer = new BatchWriter(new TargetTables(schema, DdlMode.VALIDATE));

    BatchWriter.Outcome upserts = write(writer, line(2, 1, 20, 2), order(2, 20, 1));

    assertThat(upserts.failures()).isEmpty();
    assertThat(count(schema, "order_line", 2)).isEqualTo(1);
    assertThat(count(schema, "order", 2)).isEqualTo(1);

    BatchWriter.Outcome deletes =
        write(writer, deleteOrder(2, 30, 1), deleteLine(2, 1, 30, 2), line(1, 2, 30, 3));

    assertThat(deletes.failures()).isEmpty();
    assertThat(count(schema, "order", 2)).isZero();
    assertThat(count(schema, "order_line", 2)).isZero();
    assertThat(count(schema, "order_line", 1)).isEqualTo(2);
  }

  @Test
  void parentsFirstFollowsForeignKeysThroughTablesNotInTheBatch() throws SQLException {
    String schema = "fkchain" + System.nanoTime();
    execute("CREATE SCHEMA \"" + schema + "\"");
    execute("CREATE TABLE \"" + schema + "\".a (id int PRIMARY KEY)");
    execute(
        "CREATE TABLE \"" + schema + "\".b (id int PRIMARY KEY REFERENCES \"" + schema + "\".a)");
    execute(
        "CREATE TABLE \"" + schema + "\".c (id int PRIMARY KEY REFERENCES \"" + schema + "\".b)");
    execute("CREATE TABLE \"" + schema + "\".d (id int PRIMARY KEY)");
    TargetTables tables = new TargetTables(schema, DdlMode.VALIDATE);

    assertThat(tables.parentsFirst(conn, List.of("c", "d", "a"))).containsExactly("a", "c", "d");
    assertThat(tables.parentsFirst(conn, List.of("d", "c", "b", "a")))
        .containsExactly("d", "a", "b", "c");
    conn.commit();
  }

  private BatchWriter.Outcome write(BatchWriter writer, ChangeRecord... records)
      throws SQLException {
    BatchWriter.Outcome outcome = writer.write(conn, List.of(records));
    conn.commit();
    return outcome;
  }

  private ChangeRecord order(long id, long commit, long change) {
    return record("order", Orders.key(id), Orders.order(id, "NEW", 100), commit, change);
  }

  private ChangeRecord deleteOrder(long id, long commit, long change) {
    return record("order", Orders.key(id), null, commit, change);
  }

  private ChangeRecord line(long orderId, int lineNo, long commit, long change) {
    GenericRecord value = new GenericData.Record(LINE);
    value.put("order_id", orderId);
    value.put("line_no", lineNo);
    value.put("sku", "SKU-" + lineNo);
    return record("order_line", lineKey(orderId, lineNo), value, commit, change);
  }

  private ChangeRecord deleteLine(long orderId, int lineNo, long commit, long change) {
    return record("order_line", lineKey(orderId, lineNo), null, commit, change);
  }

  private static GenericRecord lineKey(long orderId, int lineNo) {
    GenericRecord key = new GenericData.Record(LINE_KEY);
    key.put("order_id", orderId);
    key.put("line_no", lineNo);
    return key;
  }

  private ChangeRecord record(
      String table, GenericRecord key, GenericRecord value, long commit, long change) {
    return new ChangeRecord(
        Orders.consumed("fk." + table, offsets.getAndIncrement(), 0, null, commit, change, false),
        table,
        key,
        value,
        new SourcePosition(commit, change),
        false);
  }

  private static void execute(String sql) throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.execute(sql);
    }
    conn.commit();
  }

  private static long count(String schema, String table, long orderId) throws SQLException {
    try (Statement s = conn.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM \""
                    + schema
                    + "\".\""
                    + table
                    + "\" WHERE order_id = "
                    + orderId)) {
      rs.next();
      long n = rs.getLong(1);
      conn.commit();
      return n;
    }
  }
}
