package dev.carve.sink;

import dev.carve.core.CarveHeaders;
import dev.carve.core.SourcePosition;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

/** Test fixtures: records of the orders service's {@code order} entity. */
public final class Orders {
  /** The key schema. */
  public static final Schema KEY = TestAvro.schema("OrderKey");

  /** The value schema. */
  public static final Schema VALUE = TestAvro.schema("Order");

  private Orders() {}

  /** An order key. */
  public static GenericRecord key(long orderId) {
    GenericRecord k = new GenericData.Record(KEY);
    k.put("order_id", orderId);
    return k;
  }

  /** An order whose status and total vary with {@code version}. */
  public static GenericRecord order(long orderId, String status, long totalCents) {
    GenericRecord v = new GenericData.Record(VALUE);
    v.put("order_id", orderId);
    v.put("order_ref", "ORD-2019-" + orderId);
    v.put("customer_id", 7L);
    v.put("ordered_at", 1_700_000_000_123_456L);
    v.put("status", new GenericData.EnumSymbol(VALUE.getField("status").schema(), status));
    BigDecimal total = BigDecimal.valueOf(totalCents, 2);
    v.put("total", ByteBuffer.wrap(total.unscaledValue().toByteArray()));
    v.put("total_cents", totalCents);
    v.put("currency", "EUR");
    v.put("ship_name", "Ann O'Neil; \"quoted\"");
    v.put("line_count", 1);
    return v;
  }

  /** A producer record with position headers (and the repair header when asked). */
  public static ProducerRecord<byte[], byte[]> produce(
      String topic,
      long orderId,
      GenericRecord value,
      long commitLsn,
      long changeLsn,
      boolean repair) {
    ProducerRecord<byte[], byte[]> r =
        new ProducerRecord<>(
            topic, null, TestAvro.serialize(key(orderId)), TestAvro.serialize(value));
    new SourcePosition(commitLsn, changeLsn).writeTo(r.headers());
    if (repair) {
      r.headers().add(CarveHeaders.REPAIR, "true".getBytes(StandardCharsets.UTF_8));
    }
    return r;
  }

  /** A consumer record as the sink would receive it. */
  public static ConsumerRecord<byte[], byte[]> consumed(
      String topic,
      long offset,
      long orderId,
      GenericRecord value,
      long commitLsn,
      long changeLsn,
      boolean repair) {
    ProducerRecord<byte[], byte[]> p = produce(topic, orderId, value, commitLsn, changeLsn, repair);
    return new ConsumerRecord<>(
        topic,
        0,
        offset,
        0L,
        TimestampType.CREATE_TIME,
        0,
        0,
        p.key(),
        p.value(),
        new RecordHeaders(p.headers().toArray()),
        Optional.empty());
  }
}
