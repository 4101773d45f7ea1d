package dev.carve.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.core.SourcePosition;
import dev.carve.sink.DdlMode;
import dev.carve.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.TimeZone;
import java.util.concurrent.TimeUnit;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tombstones of a table whose key has a timestamp (timestamptz) column, written by writers whose
 * JVMs run in different time zones (a sink in UTC, {@code carve dlq retry} on a laptop in
 * Europe/Berlin), on a real PostgreSQL through {@link JdbcTarget}, as the sink connects.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TimestampKeyTombstoneIT {
  private static final String DB = "sink_timestamp_key_tombstone_it";
  private static final String TOPIC = "events.event";
  private static final Schema TS =
      LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG));
  private static final Schema KEY =
      SchemaBuilder.record("EventKey")
          .fields()
          .requiredLong("id")
          .name("ts")
          .type(TS)
          .noDefault()
          .endRecord();
  private static final Schema VALUE =
      SchemaBuilder.record("Event")
          .fields()
          .requiredLong("id")
          .name("ts")
          .type(TS)
          .noDefault()
          .requiredString("status")
          .endRecord();
  // 2024-01-01T10:00:00.123Z
  private static final long AT = 1_704_103_200_123L;

  @BeforeAll
  static void database() {
    TestPostgres.createDatabase(DB);
  }

  /**
   * Regression: pgjdbc starts the session in the JVM's default time zone and PostgreSQL renders a
   * timestamptz into the tombstone's jsonb key in that zone, so a delete written in UTC and an
   * older upsert written in Europe/Berlin built different keys and the deleted row came back.
   */
  @Test
  void anOlderUpsertFromAnotherTimeZoneDoesNotResurrectADeletedRowWithATimestampKey()
      throws Exception {
    String schema = "s" + System.nanoTime();
    TimeZone before = TimeZone.getDefault();
    try {
      TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
      try (JdbcTarget sink = target()) {
        Connection c = sink.connection();
        BatchWriter writer = new BatchWriter(new TargetTables(schema, DdlMode.CREATE));
        writer.tables().prepare(c);
        writer.write(c, List.of(record(0, value("NEW"), 50, 50)));
        writer.write(c, List.of(record(1, null, 200, 210)));
        c.commit();
      }
      TimeZone.setDefault(TimeZone.getTimeZone("Europe/Berlin"));
      try (JdbcTarget laptop = target()) {
        Connection c = laptop.connection();
        BatchWriter writer = new BatchWriter(new TargetTables(schema, DdlMode.CREATE));
        writer.write(c, List.of(record(2, value("PAID"), 100, 110)));
        c.commit();
      }
    } finally {
      TimeZone.setDefault(before);
    }

    assertThat(count("SELECT count(*) FROM \"" + schema + "\".\"event\"")).isZero();
    assertThat(count("SELECT count(*) FROM \"" + schema + "\".carve_tombstones")).isEqualTo(1);
  }

  private static JdbcTarget target() {
    return new JdbcTarget(TestPostgres.jdbcUrl(DB), TestPostgres.USER, TestPostgres.PASSWORD);
  }

  private static GenericRecord value(String status) {
    GenericRecord v = new GenericData.Record(VALUE);
    v.put("id", 1L);
    v.put("ts", AT);
    v.put("status", status);
    return v;
  }

  private static ChangeRecord record(long offset, GenericRecord value, long commit, long change) {
    GenericRecord key = new GenericData.Record(KEY);
    key.put("id", 1L);
    key.put("ts", AT);
    ConsumerRecord<byte[], byte[]> source =
        new ConsumerRecord<>(TOPIC, 0, offset, new byte[0], new byte[0]);
    return new ChangeRecord(source, "event", key, value, new SourcePosition(commit, change), false);
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
