package dev.carve.transform.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.transform.internal.ForeignKeyJoinTopology.LeftValue;
import org.junit.jupiter.api.Test;

/** The text the foreign-key join keeps in its stores and passes from the joiner to the mapping. */
class ForeignKeyJoinTopologyTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String KEY = "{\"order_ref\":\"ORD-1\"}";
  // A raw value may be pretty-printed JSON: its newlines must not be read as the format's.
  private static final String VALUE =
      "{\n  \"op\": \"u\",\n  \"after\": {\"note\": \"line1\\nline2\", \"cust_no\": \"C1\"}\n}";

  @Test
  void rightRowIsReadInOnePassWithTheValuesOfATree() throws Exception {
    String json =
        "{\"id\":\"{\\\"addr_id\\\":7}\",\"key\":{\"addr_id\":7},"
            + "\"row\":{\"addr_id\":7,\"big\":123456789012345678901234567890,\"amount\":12.50,"
            + "\"flag\":true,\"none\":null,\"text\":\"a\\\"b\\nc\",\"tags\":[1,\"x\"],"
            + "\"nested\":{\"k\":[true]}},\"pos\":[4200,4242],\"ref\":\"{\\\"cust_no\\\":\\\"C1\\\"}\"}";
    var tree = JSON.readTree(json);

    ForeignKeyJoinTopology.RightRow read = ForeignKeyJoinTopology.RightRow.read(json);

    assertThat(read.row()).isEqualTo(ChangeParser.toRow(tree.get("row"), "row"));
    assertThat(read.row().get("big"))
        .isEqualTo(new java.math.BigInteger("123456789012345678901234567890"));
    assertThat(read.row().get("amount")).isEqualTo(new java.math.BigDecimal("12.5"));
    assertThat(read.row().get("tags")).isEqualTo("[1,\"x\"]");
    assertThat(read.position()).isEqualTo(new dev.carve.core.SourcePosition(4200, 4242));
    assertThat(ForeignKeyJoinTopology.RightRow.read("{\"row\":null,\"pos\":[1,2]}").row()).isNull();
    assertThatThrownBy(() -> ForeignKeyJoinTopology.RightRow.read("{\"row\":\"x\",\"pos\":[1,2]}"))
        .hasMessageContaining("'row' is not a JSON object");
    assertThatThrownBy(() -> ForeignKeyJoinTopology.RightRow.read("{\"row\":{}}"))
        .hasMessageContaining("no 'pos'");
  }

  @Test
  void leftValueKeepsTheChangesBytesAndReadsItsReferenceFromTheFirstLine() {
    LeftValue written =
        new LeftValue("{\"cust_no\":\"C1\"}", "legacy.public.orders", 2, 41L, KEY, VALUE);
    String text = written.write();

    assertThat(text).startsWith("L1\n{\"cust_no\":\"C1\"}\n");
    assertThat(ForeignKeyJoinTopology.referenceOf(text)).isEqualTo("{\"cust_no\":\"C1\"}");
    assertThat(LeftValue.read(text)).isEqualTo(written);
  }

  @Test
  void leftValueWithoutReferenceOrKeyRoundTrips() {
    LeftValue key = new LeftValue(null, "t", 0, 0L, "k\nwith newline", VALUE);
    LeftValue noKey = new LeftValue(null, "t", 0, 7L, null, "");

    assertThat(ForeignKeyJoinTopology.referenceOf(key.write())).isNull();
    assertThat(LeftValue.read(key.write())).isEqualTo(key);
    assertThat(LeftValue.read(noKey.write())).isEqualTo(noKey);
  }

  @Test
  void leftValueWrittenAsJsonByEarlierVersionsIsStillRead() {
    ObjectNode old = JSON.createObjectNode();
    old.put("key", KEY);
    old.put("value", VALUE);
    old.put("topic", "legacy.public.orders");
    old.put("partition", 2);
    old.put("offset", 41L);
    old.put("ref", "{\"cust_no\":\"C1\"}");
    ObjectNode oldDelete = old.deepCopy();
    oldDelete.putNull("ref");

    assertThat(ForeignKeyJoinTopology.referenceOf(old.toString()))
        .isEqualTo("{\"cust_no\":\"C1\"}");
    assertThat(ForeignKeyJoinTopology.referenceOf(oldDelete.toString())).isNull();
    assertThat(LeftValue.read(old.toString()))
        .isEqualTo(
            new LeftValue("{\"cust_no\":\"C1\"}", "legacy.public.orders", 2, 41L, KEY, VALUE));
  }

  @Test
  void truncatedLeftValueIsReportedAsTheJoinsOwnState() {
    assertThatThrownBy(() -> LeftValue.read("L1\n{\"cust_no\":\"C1\"}\nlegacy.public.orders"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("join's own state");
  }

  @Test
  void joinerPutsTheRowWithTheSmallestKeyBeforeTheUnchangedLeftValue() {
    String left = new LeftValue("{\"cust_no\":\"C1\"}", "t", 0, 1L, KEY, VALUE).write();
    String aggregate =
        "{\"{\\\"addr_id\\\":7}\":{\"key\":{\"addr_id\":7},\"row\":{\"country_code\":\"AT\"},"
            + "\"pos\":[5,5]},"
            + "\"{\\\"addr_id\\\":3}\":{\"key\":{\"addr_id\":3},\"row\":{\"country_code\":\"DE\"},"
            + "\"pos\":[4,4]}}";

    String joined = ForeignKeyJoinTopology.joined(left, aggregate);
    int newline = joined.indexOf('\n');

    assertThat(joined.substring(0, newline)).contains("\"addr_id\":3", "DE").doesNotContain("AT");
    assertThat(joined.substring(newline + 1)).isEqualTo(left);
    assertThat(ForeignKeyJoinTopology.joined(left, null)).isEqualTo("\n" + left);
    assertThat(ForeignKeyJoinTopology.joined(left, "{}")).isEqualTo("\n" + left);
  }
}
