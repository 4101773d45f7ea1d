package dev.carve.transform.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.SourcePosition;
import dev.carve.transform.api.ChangeEvent.SourceOffset;
import dev.carve.transform.internal.BroadcastJoin.StoredRow;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The text the broadcast join keeps per left row, and its partitioner. */
class BroadcastJoinTest {
  private static final String KEY = "{\"order_ref\":\"ORD-1\"}";
  // A raw value may be pretty-printed JSON: its newlines must not be read as the format's.
  private static final String VALUE =
      "{\n  \"op\": \"u\",\n  \"after\": {\"note\": \"line1\\nline2\", \"cust_no\": \"C1\"}\n}";

  @Test
  void storedRowKeepsReferencePositionSourceAndTheChangesBytes() {
    StoredRow row =
        new StoredRow(
            "{\"cust_no\":\"C1\"}",
            new SourcePosition(4_000, 4_024),
            0,
            "legacy.public.orders",
            2,
            41L,
            KEY,
            VALUE);

    String text = row.write();
    assertThat(text).startsWith("R1\n{\"cust_no\":\"C1\"}\n4000:4024\n");
    assertThat(StoredRow.read(text)).isEqualTo(row);
    assertThat(StoredRow.read(row.withEmitted(new SourcePosition(5, 6)).write()).emitted())
        .isEqualTo(new SourcePosition(5, 6));
  }

  @Test
  void rowWithoutReferenceOrEmissionAndDeletedRowRoundTrip() {
    StoredRow unjoined = new StoredRow(null, null, 0, "t", 0, 0L, "k\nwith newline", VALUE);
    StoredRow deleted =
        StoredRow.deleted(
            new SourcePosition(9, 10), new SourceOffset("legacy.public.orders", 1, 7));

    assertThat(StoredRow.read(unjoined.write())).isEqualTo(unjoined);
    assertThat(StoredRow.read(deleted.write())).isEqualTo(deleted);
    assertThat(StoredRow.read(deleted.write()).isDeleted()).isTrue();
    assertThat(StoredRow.read(deleted.write()).emitted()).isEqualTo(new SourcePosition(9, 10));
    assertThat(StoredRow.read(null)).isNull();
  }

  @Test
  void waitingRowKeepsWhenItBeganToWaitAndStopsOnceMapped() {
    StoredRow waiting =
        new StoredRow(
            "{\"cust_no\":\"C1\"}",
            null,
            1_700_000_002_000L,
            "legacy.public.orders",
            0,
            5L,
            KEY,
            VALUE);

    String text = waiting.write();
    assertThat(text)
        .startsWith("R2\n{\"cust_no\":\"C1\"}\n\n1700000002000\nlegacy.public.orders\n");
    assertThat(StoredRow.read(text)).isEqualTo(waiting);
    assertThat(StoredRow.read(text).isWaiting()).isTrue();
    StoredRow mapped = StoredRow.read(waiting.withEmitted(new SourcePosition(5, 6)).write());
    assertThat(mapped.isWaiting()).isFalse();
    assertThat(mapped.emitted()).isEqualTo(new SourcePosition(5, 6));
    assertThat(mapped.value()).isEqualTo(VALUE);
  }

  @Test
  void waitingKeysSortByTheTimeTheRowsBeganToWait() {
    assertThat(BroadcastJoin.LeftProcessor.waitingKey(999, "{\"k\":2}"))
        .isEqualTo("0000000000999\n{\"k\":2}")
        .isLessThan(BroadcastJoin.LeftProcessor.waitingKey(1_000, "{\"k\":1}"));
  }

  @Test
  void unreadableStateIsAnErrorShowingIt() {
    assertThatThrownBy(() -> StoredRow.read("{\"not\":\"a row\"}"))
        .hasMessageContaining("not a stored row")
        .hasMessageContaining("a row");
    assertThatThrownBy(() -> StoredRow.read("R1\nref\n")).hasMessageContaining("a line is missing");
  }

  @Test
  void rightRowsGoToEveryPartition() {
    assertThat(new BroadcastJoin.AllPartitions<String, String>().partitions("t", "k", "v", 3))
        .hasValue(Set.of(0, 1, 2));
  }
}
