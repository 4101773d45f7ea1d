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
}
