package dev.carve.cli.metrics;

import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Re-exports a documented few of the Kafka clients' own metrics ({@code KafkaConsumer#metrics()},
 * {@code KafkaProducer#metrics()}, {@code KafkaStreams#metrics()}) under the {@code carve_kafka_}
 * prefix, summed (or, for maxima, maxed) over the clients of one part. Times are converted from
 * Kafka's milliseconds to seconds. A figure the clients do not report (yet) is left out.
 */
final class KafkaClientMetrics {
  private static final String FETCH = "consumer-fetch-manager-metrics";
  private static final String PRODUCER = "producer-metrics";

  private KafkaClientMetrics() {}

  /** Consumer figures: the client-level fetch metrics of every main consumer in the map. */
  static void consumer(Scrape scrape, Map<MetricName, ? extends Metric> metrics, String... labels) {
    Predicate<MetricName> clientLevel =
        n ->
            n.group().equals(FETCH)
                && n.tags().keySet().equals(Set.of("client-id"))
                // Streams' restore consumers read changelogs, not the input: their lag is not
                // the application's.
                && !n.tags().get("client-id").endsWith("restore-consumer");
    max(
        scrape.gauge(
            "carve_kafka_consumer_records_lag_max",
            "Kafka consumer metric records-lag-max: the largest lag in records of any partition"
                + " of the part's consumers, over the last metrics window."),
        metrics,
        n -> clientLevel.test(n) && n.name().equals("records-lag-max"),
        1,
        labels);
    sum(
        scrape.counter(
            "carve_kafka_consumer_records_consumed_total",
            "Kafka consumer metric records-consumed-total: records fetched by the part's consumers."),
        metrics,
        n -> clientLevel.test(n) && n.name().equals("records-consumed-total"),
        labels);
  }

  /** Producer figures: the producer-level metrics of every producer in the map. */
  static void producer(Scrape scrape, Map<MetricName, ? extends Metric> metrics, String... labels) {
    sum(
        scrape.counter(
            "carve_kafka_producer_record_send_total",
            "Kafka producer metric record-send-total: records sent by the part's producers."),
        metrics,
        n -> n.group().equals(PRODUCER) && n.name().equals("record-send-total"),
        labels);
    sum(
        scrape.counter(
            "carve_kafka_producer_record_error_total",
            "Kafka producer metric record-error-total: sends of the part's producers that ended in"
                + " an error."),
        metrics,
        n -> n.group().equals(PRODUCER) && n.name().equals("record-error-total"),
        labels);
    max(
        scrape.gauge(
            "carve_kafka_producer_request_latency_avg_seconds",
            "Kafka producer metric request-latency-avg, in seconds: the average produce request"
                + " latency of the part's producers over the last metrics window."),
        metrics,
        n -> n.group().equals(PRODUCER) && n.name().equals("request-latency-avg"),
        0.001,
        labels);
  }

  /** Kafka Streams figures: client, thread and task level. */
  static void streams(Scrape scrape, Map<MetricName, ? extends Metric> metrics, String... labels) {
    sum(
        scrape.gauge(
            "carve_kafka_streams_alive_stream_threads",
            "Kafka Streams metric alive-stream-threads: stream threads running."),
        metrics,
        n -> n.group().equals("stream-metrics") && n.name().equals("alive-stream-threads"),
        labels);
    sum(
        scrape.gauge(
            "carve_kafka_streams_failed_stream_threads",
            "Kafka Streams metric failed-stream-threads: stream threads that died of an error."),
        metrics,
        n -> n.group().equals("stream-metrics") && n.name().equals("failed-stream-threads"),
        labels);
    sum(
        scrape.counter(
            "carve_kafka_streams_process_total",
            "Kafka Streams metric process-total: records processed by the stream threads."),
        metrics,
        n -> n.group().equals("stream-thread-metrics") && n.name().equals("process-total"),
        labels);
    max(
        scrape.gauge(
            "carve_kafka_streams_commit_latency_avg_seconds",
            "Kafka Streams metric commit-latency-avg, in seconds: the average commit time of the"
                + " slowest stream thread over the last metrics window."),
        metrics,
        n -> n.group().equals("stream-thread-metrics") && n.name().equals("commit-latency-avg"),
        0.001,
        labels);
    sum(
        scrape.counter(
            "carve_kafka_streams_dropped_records_total",
            "Kafka Streams metric dropped-records-total: records the tasks dropped (deserialization"
                + " or production errors that were skipped)."),
        metrics,
        n -> n.group().equals("stream-task-metrics") && n.name().equals("dropped-records-total"),
        labels);
  }

  private static void sum(
      Scrape.Family family,
      Map<MetricName, ? extends Metric> metrics,
      Predicate<MetricName> which,
      String... labels) {
    double total = 0;
    boolean found = false;
    for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
      if (which.test(e.getKey())) {
        double v = value(e.getValue());
        if (!Double.isNaN(v)) {
          total += v;
          found = true;
        }
      }
    }
    if (found) {
      family.add(total, labels);
    }
  }

  private static void max(
      Scrape.Family family,
      Map<MetricName, ? extends Metric> metrics,
      Predicate<MetricName> which,
      double scale,
      String... labels) {
    double max = Double.NaN;
    for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
      if (which.test(e.getKey())) {
        double v = value(e.getValue());
        if (!Double.isNaN(v) && !Double.isInfinite(v) && (Double.isNaN(max) || v > max)) {
          max = v;
        }
      }
    }
    if (!Double.isNaN(max)) {
      family.add(max * scale, labels);
    }
  }

  private static double value(Metric metric) {
    Object v = metric.metricValue();
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }
}
