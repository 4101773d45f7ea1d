package dev.carve.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.sink.Orders;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/**
 * Every case of {@link GuardedWriteIT} with the writer COPYing the keys not yet in a table (from
 * one row on, instead of {@link BatchWriter#COPY_MIN_ROWS}), plus what only that path has: CSV
 * encoding, and the split of a batch into new and existing keys.
 */
class GuardedWriteCopyIT extends GuardedWriteIT {
  @Override
  BatchWriter writer(TargetTables tables) {
    return new BatchWriter(tables, 1);
  }

  @Test
  void textThatCsvMustQuoteIsWrittenExactlyAndNullStaysNull() throws SQLException {
    List<String> texts =
        Arrays.asList(
            "a,b", "say \"hi\"", "two\nlines", "cr\rhere", "back\\slash", "\\.", "", " ", null);
    List<ChangeRecord> records = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      GenericRecord value = Orders.order(i + 1, "NEW", 100);
      value.put("ship_name", texts.get(i));
      records.add(record(i + 1, value, 100, 100 + i, false));
    }

    BatchWriter.Outcome o = write(records.toArray(ChangeRecord[]::new));

    assertThat(o.failures()).isEmpty();
    assertThat(o.counts().get("order").upserted()).isEqualTo(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      assertThat(shipName(i + 1)).as("ship_name of order %d", i + 1).isEqualTo(texts.get(i));
    }
  }

  @Test
  void aBatchOfNewAndExistingKeysInsertsTheNewAndGuardsTheExisting() throws SQLException {
    List<ChangeRecord> first = new ArrayList<>();
    for (long id = 1; id <= 100; id++) {
      first.add(upsert(id, "NEW", 100, 100 + id, false));
    }
    write(first.toArray(ChangeRecord[]::new));
    List<ChangeRecord> second = new ArrayList<>();
    for (long id = 51; id <= 150; id++) {
      // 51..75 newer than stored, 76..100 older than stored, 101..150 new keys.
      long change = id <= 75 ? 500 + id : id <= 100 ? 10 : 600 + id;
      second.add(upsert(id, "PAID", id <= 100 ? (id <= 75 ? 200 : 50) : 200, change, false));
    }

    BatchWriter.Outcome o = write(second.toArray(ChangeRecord[]::new));

    assertThat(o.failures()).isEmpty();
    assertThat(o.counts().get("order")).isEqualTo(new BatchWriter.Counts(75, 0, 25));
    assertThat(status(60)).isEqualTo("PAID");
    assertThat(status(90)).isEqualTo("NEW");
    assertThat(status(120)).isEqualTo("PAID");
    assertThat(count("SELECT count(*) FROM \"" + schema + "\".\"order\"")).isEqualTo(150);
  }

  private String shipName(long id) throws SQLException {
    try (var s = conn.createStatement();
        var rs =
            s.executeQuery(
                "SELECT ship_name FROM \"" + schema + "\".\"order\" WHERE order_id = " + id)) {
      rs.next();
      String v = rs.getString(1);
      conn.commit();
      return v;
    }
  }
}
