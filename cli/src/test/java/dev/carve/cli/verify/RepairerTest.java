package dev.carve.cli.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

class RepairerTest {
  @Test
  void filterQuotesEveryLiteralAndDoublesSingleQuotes() {
    assertThat(
            Repairer.filter(
                List.of("order_ref"),
                List.of(
                    Map.of("order_ref", "ORD-1"), Map.of("order_ref", "O'); DROP TABLE x; --"))))
        .isEqualTo("\"order_ref\" IN ('ORD-1','O''); DROP TABLE x; --')");
  }

  @Test
  void filterOfACompositeKeyComparesRowValues() {
    Map<String, Object> k = new LinkedHashMap<>();
    k.put("a", 1);
    k.put("b", "x");
    assertThat(Repairer.filter(List.of("a", "b"), List.of(k)))
        .isEqualTo("(\"a\",\"b\") IN (('1','x'))");
  }

  @Test
  void nullKeyValueIsRefused() {
    Map<String, Object> k = new LinkedHashMap<>();
    k.put("a", null);
    assertThatThrownBy(() -> Repairer.filter(List.of("a"), List.of(k)))
        .hasMessageContaining("Key column a is null");
  }

  @Test
  void signalDataIsDebeziumsIncrementalSnapshotWithAdditionalConditions() throws Exception {
    JsonNode data =
        new ObjectMapper()
            .readTree(
                Repairer.data(
                    "public.orders", List.of("order_ref"), List.of(Map.of("order_ref", "ORD-1"))));
    assertThat(data.get("type").asText()).isEqualTo("incremental");
    assertThat(data.get("data-collections").get(0).asText()).isEqualTo("public.orders");
    JsonNode condition = data.get("additional-conditions").get(0);
    assertThat(condition.get("data-collection").asText()).isEqualTo("public.orders");
    assertThat(condition.get("filter").asText()).isEqualTo("\"order_ref\" IN ('ORD-1')");
  }

  @Test
  void keyRecordIsRebuiltFromItsCanonicalText() {
    Schema key =
        SchemaBuilder.record("K")
            .fields()
            .requiredLong("order_id")
            .requiredInt("line_no")
            .endRecord();
    GenericRecord r = Repairer.keyRecord(key, "order_id=42\u001fline_no=3\u001f");
    assertThat(r.get("order_id")).isEqualTo(42L);
    assertThat(r.get("line_no")).isEqualTo(3);
  }

  @Test
  void progressLineShowsRateAndEta() {
    assertThat(ProgressBar.line("source orders", 500, 1000, 10))
        .contains("50%")
        .contains("500 rows")
        .contains("50 rows/s")
        .contains("ETA 0:10")
        .endsWith("source orders");
  }

  @Test
  void bucketsGrowWithRowsAndStayCapped() {
    assertThat(Reconciler.buckets(0)).isEqualTo(1);
    assertThat(Reconciler.buckets(Reconciler.ROWS_PER_BUCKET + 1)).isEqualTo(2);
    assertThat(Reconciler.buckets(Long.MAX_VALUE / 2)).isEqualTo(Reconciler.MAX_BUCKETS);
  }

  private static ReconcileReport.Mismatch orphan(String key, long commit) {
    return new ReconcileReport.Mismatch(
        ReconcileReport.Kind.EXTRA, key, List.of(), new long[] {commit, commit + 1});
  }

  private static ReconcileReport report(long unmappable, ReconcileReport.EntityResult... results) {
    return new ReconcileReport(
        "svc", List.of(results), false, List.of(), unmappable, ReconcileReport.Keys.NONE);
  }

  private static ReconcileReport.EntityResult result(
      String entity, long expected, ReconcileReport.Mismatch... extra) {
    return new ReconcileReport.EntityResult(
        entity,
        expected,
        expected + extra.length,
        List.of(),
        0,
        List.of(),
        extra.length,
        List.of(),
        0,
        List.of(extra));
  }

  /**
   * Regression: a row inserted into the monolith while verify read it reached the target through
   * the pipeline, showed as an extra key no source row maps to, and --repair deleted it.
   */
  @Test
  void onlyExtraKeysStillWithoutASourceAtTheSamePositionAreDeleted() {
    ReconcileReport first =
        report(
            0,
            result("order", 10, orphan("id=1", 100), orphan("id=2", 200), orphan("id=3", 300)),
            result("manual", 0, orphan("id=9", 900)));
    Repairer.Plan plan = Repairer.plan(first);
    assertThat(Repairer.orphanKeys(plan))
        .containsEntry("order", java.util.Set.of("id=1", "id=2", "id=3"));
    // Read later: id=2 has a source row now (inserted meanwhile), id=3's row changed.
    ReconcileReport confirm =
        report(0, result("order", 2, orphan("id=1", 100), orphan("id=3", 350)));

    Repairer.Confirmed confirmed = Repairer.confirmOrphans(plan, first, confirm);

    assertThat(confirmed.plan().orphans()).containsOnlyKeys("order");
    assertThat(confirmed.plan().orphans().get("order"))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.key()).isEqualTo("id=1");
              assertThat(m.targetPosition()).containsExactly(100, 101);
            });
    assertThat(confirmed.plan().keys())
        .as("the keys left alone are not awaited after the repair")
        .containsOnlyKeys("order")
        .containsEntry("order", java.util.Set.of("id=1"));
    assertThat(confirmed.kept())
        .containsExactlyInAnyOrder(
            "not deleting 1 extra key of manual: no source row was mapped to manual (a table the"
                + " topology wires by hand is not read by verify; carve replay rebuilds it)",
            "not deleting 2 extra keys of order: a source row maps to them now, or the target row"
                + " changed while verify ran (a change on its way through the pipeline)");
  }

  /** Regression: the target row of a source row the mapping now rejects was deleted. */
  @Test
  void noExtraKeyIsDeletedWhileSourceRowsCannotBeMapped() {
    ReconcileReport first = report(1, result("order", 10, orphan("id=1", 100)));
    Repairer.Confirmed confirmed = Repairer.confirmOrphans(Repairer.plan(first), first, null);
    assertThat(confirmed.plan().orphans()).isEmpty();
    assertThat(confirmed.plan().isEmpty()).isTrue();
    assertThat(confirmed.kept())
        .containsExactly(
            "not deleting 1 extra key: 1 source row cannot be mapped, and an extra key may be the"
                + " last mapping of one of them (fix those rows, then verify again)");
  }
}
