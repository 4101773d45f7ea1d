package dev.carve.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class SourcePositionTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void streamedChangeTakesCommitLsnFromSequence() throws Exception {
    var source =
        JSON.readTree(
            "{\"snapshot\":\"false\",\"lsn\":500,\"sequence\":\"[\\\"400\\\",\\\"500\\\"]\"}");
    assertThat(SourcePosition.fromDebeziumSource(source)).isEqualTo(new SourcePosition(400, 500));
  }

  @Test
  void sequenceIsReadInEveryFormJsonAllows() throws Exception {
    for (String sequence :
        new String[] {
          "\"[\\\"400\\\", \\\"500\\\"]\"", // text with a space
          "\" [\\\"400\\\",\\\"500\\\"] \"", // text with spaces around
          "[\"400\",\"500\"]", // an array, not text
          "[400,500]" // numbers
        }) {
      var source = JSON.readTree("{\"lsn\":500,\"sequence\":" + sequence + "}");
      assertThat(SourcePosition.fromDebeziumSource(source))
          .as(sequence)
          .isEqualTo(new SourcePosition(400, 500));
    }
    var noCommit = JSON.readTree("{\"lsn\":50,\"sequence\":\"[null,\\\"50\\\"]\"}");
    assertThat(SourcePosition.fromDebeziumSource(noCommit)).isEqualTo(new SourcePosition(50, 50));
    var notNumbers = JSON.readTree("{\"lsn\":50,\"sequence\":\"[\\\"x\\\",\\\"50\\\"]\"}");
    assertThatThrownBy(() -> SourcePosition.fromDebeziumSource(notNumbers))
        .isInstanceOf(NumberFormatException.class);
  }

  @Test
  void laterTransactionIsNewerEvenWhenItsChangeLsnIsSmaller() throws Exception {
    // T1 commits at 800; T2 wrote its change at 300 but committed after T1.
    var t1 =
        SourcePosition.fromDebeziumSource(
            JSON.readTree("{\"lsn\":700,\"sequence\":\"[\\\"100\\\",\\\"700\\\"]\"}"));
    var t2 =
        SourcePosition.fromDebeziumSource(
            JSON.readTree("{\"lsn\":300,\"sequence\":\"[\\\"800\\\",\\\"300\\\"]\"}"));
    assertThat(t2.isNewerThan(t1)).isTrue();
  }

  @Test
  void initialSnapshotRowsAreOlderThanAnyStreamedChange() throws Exception {
    var snap =
        SourcePosition.fromDebeziumSource(
            JSON.readTree(
                "{\"snapshot\":\"true\",\"lsn\":900,\"sequence\":\"[null,\\\"900\\\"]\"}"));
    var last =
        SourcePosition.fromDebeziumSource(JSON.readTree("{\"snapshot\":\"last\",\"lsn\":900}"));
    var streamed =
        SourcePosition.fromDebeziumSource(
            JSON.readTree(
                "{\"snapshot\":\"false\",\"lsn\":50,\"sequence\":\"[null,\\\"50\\\"]\"}"));
    assertThat(snap).isEqualTo(SourcePosition.SNAPSHOT);
    assertThat(last).isEqualTo(SourcePosition.SNAPSHOT);
    assertThat(streamed.isNewerThan(snap)).isTrue();
  }

  @Test
  void incrementalSnapshotRowsKeepTheirStreamingPosition() throws Exception {
    var inc =
        SourcePosition.fromDebeziumSource(
            JSON.readTree(
                "{\"snapshot\":\"incremental\",\"lsn\":900,\"sequence\":\"[\\\"880\\\",\\\"900\\\"]\"}"));
    assertThat(inc).isEqualTo(new SourcePosition(880, 900));
  }

  /** Regression: incremental snapshot rows (repairs) carry "lsn": null and were dead-lettered. */
  @Test
  void incrementalSnapshotRowWithNullLsnTakesItsPositionFromSequence() throws Exception {
    var inc =
        SourcePosition.fromDebeziumSource(
            JSON.readTree(
                "{\"snapshot\":\"incremental\",\"lsn\":null,\"sequence\":\"[\\\"40573360\\\",\\\"40573368\\\"]\"}"));
    assertThat(inc).isEqualTo(new SourcePosition(40573360, 40573368));
  }

  @Test
  void streamedChangeWithNullLsnIsStillAnError() throws Exception {
    assertThatThrownBy(
            () ->
                SourcePosition.fromDebeziumSource(
                    JSON.readTree(
                        "{\"snapshot\":\"false\",\"lsn\":null,\"sequence\":\"[\\\"1\\\",\\\"2\\\"]\"}")))
        .hasMessageContaining("no numeric 'lsn'");
  }

  @Test
  void missingLsnIsAnErrorShowingTheBlock() throws Exception {
    assertThatThrownBy(
            () -> SourcePosition.fromDebeziumSource(JSON.readTree("{\"table\":\"orders\"}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no numeric 'lsn'")
        .hasMessageContaining("orders");
  }

  @Test
  void roundTripsThroughHeaders() {
    var headers = new RecordHeaders();
    new SourcePosition(1, 2).writeTo(headers);
    new SourcePosition(3, 4).writeTo(headers);
    assertThat(SourcePosition.readFrom(headers)).isEqualTo(new SourcePosition(3, 4));
    assertThat(SourcePosition.readFrom(new RecordHeaders())).isNull();
  }

  @Test
  void formatsAndParsesPostgresLsnText() {
    long lsn = SourcePosition.parseLsn("16/B374D848");
    assertThat(lsn).isEqualTo((0x16L << 32) | 0xB374D848L);
    assertThat(SourcePosition.formatLsn(lsn)).isEqualTo("16/B374D848");
  }
}
