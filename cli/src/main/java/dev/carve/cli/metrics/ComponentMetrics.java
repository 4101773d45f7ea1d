package dev.carve.cli.metrics;

import dev.carve.capture.CaptureMetrics;
import dev.carve.capture.EmbeddedCapture;
import dev.carve.cli.runtime.ServiceRuntime;
import dev.carve.cli.runtime.SlotLag;
import dev.carve.sink.ServiceSink;
import dev.carve.sink.SinkBatchStats;
import dev.carve.sink.SinkMetrics;
import dev.carve.sink.TableMetrics;
import dev.carve.transform.TransformerMetrics;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metric sources of Carve's components: capture, a service's transformer, a service's sink.
 * Every name written here is documented in {@code docs/metrics.md}; change both together.
 */
public final class ComponentMetrics {
  private static final Logger LOG = LoggerFactory.getLogger(ComponentMetrics.class);

  private ComponentMetrics() {}

  /**
   * The capture's figures and its producer's Kafka metrics.
   *
   * @param slotLag the replication slot's lag in bytes, empty when unknown; called on each scrape
   */
  public static MetricsSource capture(EmbeddedCapture capture, Supplier<OptionalLong> slotLag) {
    Objects.requireNonNull(capture, "capture");
    Objects.requireNonNull(slotLag, "slotLag");
    return scrape -> {
      CaptureMetrics m = capture.metrics();
      Scrape.Family events =
          scrape.counter(
              "carve_capture_events_total",
              "Change events written to Kafka per captured table (snapshot reads, inserts, updates,"
                  + " deletes, tombstones).");
      long perTable = 0;
      for (Map.Entry<String, Long> e : m.recordsPerTable().entrySet()) {
        events.add(e.getValue(), "table", e.getKey());
        perTable += e.getValue();
      }
      scrape
          .counter(
              "carve_capture_records_total",
              "Records written to Kafka by the capture, heartbeats included.")
          .add(m.recordsTotal());
      scrape
          .counter(
              "carve_capture_heartbeat_records_total",
              "Records written to topics that are not a captured table's: Debezium heartbeats"
                  + " (heartbeat.interval.ms).")
          .add(Math.max(0, m.recordsTotal() - perTable));
      m.lastRecordAt()
          .ifPresent(
              at -> {
                scrape
                    .gauge(
                        "carve_capture_last_record_timestamp_seconds",
                        "When Kafka acknowledged the newest record of the capture (Unix time).")
                    .add(at.toEpochMilli() / 1000.0);
                scrape
                    .gauge(
                        "carve_capture_last_record_age_seconds",
                        "Seconds since Kafka acknowledged the newest record of the capture; with"
                            + " heartbeats on, above heartbeat.interval.ms means capture is stuck.")
                    .add(Math.max(0, Duration.between(at, Instant.now()).toMillis() / 1000.0));
              });
      OptionalLong lag = slotLag.get();
      if (lag.isPresent()) {
        scrape
            .gauge(
                "carve_capture_slot_lag_bytes",
                "Bytes of WAL between the server's current position and what the replication slot"
                    + " confirmed (pg_current_wal_lsn() - confirmed_flush_lsn).")
            .add(lag.getAsLong(), "slot", slotName(capture));
      }
      Scrape.Family snapshot =
          scrape.gauge(
              "carve_capture_snapshot_state",
              "1 for the state of the initial snapshot as seen in the records written"
                  + " (not_seen, running, completed), 0 for the others.");
      for (CaptureMetrics.SnapshotStatus s : CaptureMetrics.SnapshotStatus.values()) {
        snapshot.add(s == m.snapshot() ? 1 : 0, "state", s.name().toLowerCase(Locale.ROOT));
      }
      scrape
          .counter(
              "carve_capture_errors_total", "Errors that stopped a batch or the capture engine.")
          .add(m.errors());
      String[] part = {"part", "capture"};
      KafkaClientMetrics.producer(scrape, capture.kafkaMetrics(), part);
    };
  }

  private static String slotName(EmbeddedCapture capture) {
    String slot = capture.connector().get("slot.name");
    return slot == null ? "debezium" : slot;
  }

  /**
   * The capture's metrics, with the lag of the slot its connector config names, read through the
   * connector's own database settings.
   */
  public static MetricsSource capture(EmbeddedCapture capture) {
    dev.carve.capture.ConnectorConfig c = capture.connector();
    return capture(capture, slotLag(c.jdbcUrl(), c.jdbcProperties(), c.get("slot.name")));
  }

  /**
   * The replication slot's lag, read from PostgreSQL on each call with short timeouts; empty when
   * the slot does not exist or the database cannot be reached (logged, never thrown).
   */
  public static Supplier<OptionalLong> slotLag(
      String jdbcUrl, String user, String password, String slot) {
    Properties p = new Properties();
    p.setProperty("user", user);
    if (password != null) {
      p.setProperty("password", password);
    }
    return slotLag(jdbcUrl, p, slot);
  }

  /**
   * The replication slot's lag, read with the given pgjdbc properties (a connector's {@code
   * jdbcProperties()}: its user, password and TLS settings), as {@link #slotLag(String, String,
   * String, String)} does.
   */
  public static Supplier<OptionalLong> slotLag(String jdbcUrl, Properties properties, String slot) {
    Properties p = new Properties();
    p.putAll(properties);
    p.setProperty("connectTimeout", "5");
    p.setProperty("socketTimeout", "5");
    return () -> {
      try {
        long bytes = SlotLag.bytes(jdbcUrl, p, slot == null ? "debezium" : slot);
        return bytes < 0 ? OptionalLong.empty() : OptionalLong.of(bytes);
      } catch (SQLException e) {
        LOG.warn(
            "Cannot read the lag of replication slot '{}' for the metrics: {}",
            slot,
            e.getMessage());
        return OptionalLong.empty();
      }
    };
  }

  /** The transformer of a service: its counters and its Kafka Streams metrics. */
  public static MetricsSource transformer(ServiceRuntime service) {
    return transformer(
        service.name(), service.transformerMetrics(), service::transformerKafkaMetrics);
  }

  /**
   * The transformer of a service.
   *
   * @param kafka the Streams client's metrics ({@code KafkaStreams#metrics()}); called per scrape
   */
  public static MetricsSource transformer(
      String service,
      TransformerMetrics metrics,
      Supplier<Map<MetricName, ? extends Metric>> kafka) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(kafka, "kafka");
    return scrape -> {
      Scrape.Family in =
          scrape.counter(
              "carve_transform_records_in_total",
              "Raw change records read by the service's transformer, per legacy table (Debezium"
                  + " tombstones included).");
      metrics.recordsInByTable().forEach((t, n) -> in.add(n, "service", service, "table", t));
      Scrape.Family out =
          scrape.counter(
              "carve_transform_records_out_total",
              "Domain records written by the service's transformer, per entity (upserts and"
                  + " deletes).");
      metrics.recordsOutByEntity().forEach((e, n) -> out.add(n, "service", service, "entity", e));
      scrape
          .counter(
              "carve_transform_tombstones_skipped_total",
              "Debezium tombstones the transformer skipped (each follows a delete it mapped).")
          .add(metrics.tombstonesSkipped(), "service", service);
      scrape
          .counter(
              "carve_transform_join_waits_ended_total",
              "Left rows of a foreign-key join with a wait that waited it out and were mapped"
                  + " without their referenced row (absent, or later than the wait).")
          .add(metrics.joinWaitsEnded(), "service", service);
      Scrape.Family dead =
          scrape.counter(
              "carve_transform_dead_lettered_total",
              "Changes the transformer could not map and sent to <service>.dlq, per legacy table.");
      metrics.deadLetteredByTable().forEach((t, n) -> dead.add(n, "service", service, "table", t));
      deadLettered(scrape).add(metrics.deadLettered(), "service", service, "stage", "transform");
      Map<MetricName, ? extends Metric> streams = kafka.get();
      String[] labels = {"service", service, "part", "transform"};
      KafkaClientMetrics.consumer(scrape, streams, labels);
      KafkaClientMetrics.producer(scrape, streams, labels);
      KafkaClientMetrics.streams(scrape, streams, "service", service);
    };
  }

  /** The sink of a service: rows per table, batches, retries, dead letters, lag, Kafka metrics. */
  public static MetricsSource sink(ServiceSink sink) {
    Objects.requireNonNull(sink, "sink");
    return scrape -> {
      String service = sink.service();
      SinkMetrics m = sink.metrics();
      SinkBatchStats b = sink.batchStats();
      Scrape.Family upserted =
          scrape.counter(
              "carve_sink_rows_upserted_total", "Rows inserted or updated, per target table.");
      Scrape.Family deleted =
          scrape.counter("carve_sink_rows_deleted_total", "Deletes applied, per target table.");
      Scrape.Family skipped =
          scrape.counter(
              "carve_sink_rows_skipped_older_total",
              "Records not applied because the stored row or tombstone was as new or newer"
                  + " (duplicates, redeliveries, replays), per target table.");
      for (Map.Entry<String, TableMetrics> e : m.tables().entrySet()) {
        String[] labels = {"service", service, "table", e.getKey()};
        upserted.add(e.getValue().upserted(), labels);
        deleted.add(e.getValue().deleted(), labels);
        skipped.add(e.getValue().skippedAsOlder(), labels);
      }
      scrape
          .counter(
              "carve_sink_records_total",
              "Domain records the sink consumed and committed (written, skipped or dead-lettered).")
          .add(m.records(), "service", service);
      scrape
          .counter(
              "carve_sink_batches_total",
              "Batches written and committed: one database transaction, then one offset commit.")
          .add(b.batches(), "service", service);
      Scrape.Family latency =
          scrape.summary(
              "carve_sink_batch_duration_seconds",
              "Time of a batch from the start of its database transaction to its offset commit.");
      latency.add("_sum", b.totalTime().toNanos() / 1e9, "service", service);
      latency.add("_count", b.batches(), "service", service);
      scrape
          .counter(
              "carve_sink_retries_total",
              "Attempts of a database transaction after a transient failure.")
          .add(b.retries(), "service", service);
      scrape
          .counter(
              "carve_sink_dead_lettered_total",
              "Records the sink could not write: logged in carve_failures and sent to"
                  + " <service>.dlq.")
          .add(m.deadLettered(), "service", service);
      deadLettered(scrape).add(m.deadLettered(), "service", service, "stage", "sink");
      if (m.consumerLag() >= 0) {
        scrape
            .gauge(
                "carve_sink_consumer_lag",
                "Records behind the end of the sink's assigned partitions, as of its last poll.")
            .add(m.consumerLag(), "service", service);
      }
      scrape
          .gauge(
              "carve_sink_waiting_for_database",
              "1 while the sink waits for its database to come back, else 0.")
          .add(m.waitingForDatabase() ? 1 : 0, "service", service);
      if (m.lastCommit() != null) {
        scrape
            .gauge(
                "carve_sink_last_commit_timestamp_seconds",
                "When the sink last committed offsets (Unix time).")
            .add(m.lastCommit().toEpochMilli() / 1000.0, "service", service);
      }
      KafkaClientMetrics.consumer(scrape, sink.kafkaMetrics(), "service", service, "part", "sink");
    };
  }

  private static Scrape.Family deadLettered(Scrape scrape) {
    return scrape.counter(
        "carve_dead_lettered_total",
        "Records sent to the dead-letter topic <service>.dlq, by stage (the carve.dlq.stage"
            + " header: transform or sink).");
  }
}
