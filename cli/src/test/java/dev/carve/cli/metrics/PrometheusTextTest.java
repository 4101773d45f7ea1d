package dev.carve.cli.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The text exposition format 0.0.4 as Prometheus parses it. */
class PrometheusTextTest {

  @Test
  void writesHelpAndTypeOncePerFamilyEvenWhenSeveralSourcesAddToIt() {
    Scrape scrape = new Scrape();
    scrape.counter("carve_sink_rows_upserted_total", "Rows.").add(3, "service", "orders");
    scrape.gauge("carve_part_up", "Up.").add(1, "part", "sink orders");
    scrape.counter("carve_sink_rows_upserted_total", "Rows.").add(5, "service", "customers");

    String text = PrometheusText.write(scrape);

    assertThat(text)
        .isEqualTo(
            """
            # HELP carve_sink_rows_upserted_total Rows.
            # TYPE carve_sink_rows_upserted_total counter
            carve_sink_rows_upserted_total{service="orders"} 3
            carve_sink_rows_upserted_total{service="customers"} 5
            # HELP carve_part_up Up.
            # TYPE carve_part_up gauge
            carve_part_up{part="sink orders"} 1
            """);
  }

  @Test
  void escapesBackslashQuoteAndNewlineInLabelValuesAndBackslashNewlineInHelp() {
    Scrape scrape = new Scrape();
    scrape
        .gauge("carve_test", "Help with \\ and\nnewline and \"quotes\".")
        .add(1, "table", "a\\b\"c\nd");

    assertThat(PrometheusText.write(scrape))
        .isEqualTo(
            "# HELP carve_test Help with \\\\ and\\nnewline and \"quotes\".\n"
                + "# TYPE carve_test gauge\n"
                + "carve_test{table=\"a\\\\b\\\"c\\nd\"} 1\n");
  }

  @Test
  void writesSummarySamplesWithSuffixesAndSpecialValues() {
    Scrape scrape = new Scrape();
    scrape
        .summary("carve_sink_batch_duration_seconds", "Batch time.")
        .add("_sum", 0.25, "service", "orders")
        .add("_count", 2, "service", "orders");
    scrape
        .gauge("carve_g", "G.")
        .add(Double.NaN)
        .add(Double.POSITIVE_INFINITY, "k", "p")
        .add(Double.NEGATIVE_INFINITY, "k", "n")
        .add(1.5e-3, "k", "f");

    assertThat(PrometheusText.write(scrape))
        .contains("# TYPE carve_sink_batch_duration_seconds summary\n")
        .contains("carve_sink_batch_duration_seconds_sum{service=\"orders\"} 0.25\n")
        .contains("carve_sink_batch_duration_seconds_count{service=\"orders\"} 2\n")
        .contains("carve_g NaN\n")
        .contains("carve_g{k=\"p\"} +Inf\n")
        .contains("carve_g{k=\"n\"} -Inf\n")
        .contains("carve_g{k=\"f\"} 0.0015\n");
  }

  @Test
  void leavesOutFamiliesWithoutSamples() {
    Scrape scrape = new Scrape();
    scrape.counter("carve_empty_total", "Nothing yet.");

    assertThat(PrometheusText.write(scrape)).isEmpty();
  }

  @Test
  void rejectsInvalidNamesAndConflictingTypes() {
    Scrape scrape = new Scrape();
    scrape.counter("carve_x_total", "X.");

    assertThatThrownBy(() -> scrape.gauge("carve_x_total", "X."))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'carve_x_total' is declared as counter and as gauge");
    assertThatThrownBy(() -> scrape.gauge("carve-bad", "X."))
        .hasMessageContaining("Invalid metric name 'carve-bad'");
    assertThatThrownBy(() -> scrape.counter("carve_x_total", "X.").add(1, "bad-label", "v"))
        .hasMessageContaining("invalid label name 'bad-label'");
    assertThatThrownBy(() -> scrape.counter("carve_x_total", "X.").add(1, "odd"))
        .hasMessageContaining("name/value pairs");
    assertThatThrownBy(() -> scrape.counter("carve_x_total", "X.").add("_sum", 1))
        .hasMessageContaining("has no samples '_sum'");
  }
}
