package dev.carve.chaos.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carve.chaos.ChaosReport.BadInputResult;
import dev.carve.cli.runtime.DeadLetterTopic;
import dev.carve.core.CarveHeaders;
import dev.carve.transform.api.LegacyKeys;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Bad input fed to a running pipeline, and the check of where each piece ended: malformed change
 * events written straight to the raw topics, hostile values written to the monolith, and schema
 * drift of monolith tables (a column added, one retyped, one a mapping uses dropped and restored).
 *
 * <p>Every piece must either end in the service's dead-letter topic with a reason, or be mapped
 * correctly (which the reconciliation after the run proves).
 */
public final class BadInput {
  /** Characters of the huge text value: TOASTed, yet under Kafka's default 1 MB message limit. */
  public static final int HUGE_TEXT = 900_000;

  private static final ObjectMapper JSON = new ObjectMapper();
  // Keys without trailing digits: the load generator numbers new customers after the highest
  // trailing number it finds, so these never collide with its keys nor move its numbering.
  private static final String INVALID_DATE_CUSTOMER = "CX-BADDATE";
  private static final String HUGE_TEXT_CUSTOMER = "CX-HUGETEXT";
  private static final String DRIFT_CUSTOMER = "CX-DRIFT";
  private static final String EXTREME_ORDER = "ORD-9999-90001";
  private static final String OVERFLOW_ORDER = "ORD-9999-90002";

  /** Opens a connection to the monolith. */
  @FunctionalInterface
  public interface Monolith {
    /** A new connection (autocommit). */
    Connection connect() throws SQLException;
  }

  /**
   * Where a piece of bad input must end.
   *
   * @param input what was fed
   * @param dlqTopic the dead-letter topic it must reach, or null when it must be mapped
   * @param keyToken text the dead letter's key contains
   * @param reasonToken text its reason contains (case-insensitive), or null for any reason
   */
  private record Expectation(String input, String dlqTopic, String keyToken, String reasonToken) {}

  private final List<Expectation> expectations = new ArrayList<>();
  private final Set<String> unmappableTokens = new TreeSet<>();

  /**
   * The legacy keys of rows fed on purpose that the mappings must reject (reconciliation lists them
   * as unmappable).
   */
  public Set<String> unmappableTokens() {
    return unmappableTokens;
  }

  /** Writes malformed change events straight to the raw topics. */
  public void feedMalformedEvents(String bootstrapServers) throws Exception {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      String orders = "legacy.public.orders";
      send(producer, orders, key("order_ref", "BAD-JSON-1"), "{\"before\":null,\"after\":{\"ord");
      expect("orders: invalid JSON", "orders.dlq", "BAD-JSON-1", null);

      Map<String, Object> noAfter = envelope("orders", "c", null);
      send(producer, orders, key("order_ref", "BAD-NOAFTER-1"), json(noAfter));
      expect("orders: op 'c' without 'after'", "orders.dlq", "BAD-NOAFTER-1", null);

      Map<String, Object> unknownOp = envelope("orders", "x", order("BAD-OP-1"));
      send(producer, orders, key("order_ref", "BAD-OP-1"), json(unknownOp));
      expect("orders: unknown op 'x'", "orders.dlq", "BAD-OP-1", null);

      Map<String, Object> wrongTypes = order("BAD-TYPE-1");
      wrongTypes.put("total_amount", Map.of("not", "a number"));
      wrongTypes.put("order_date", true);
      send(
          producer,
          orders,
          key("order_ref", "BAD-TYPE-1"),
          json(envelope("orders", "c", wrongTypes)));
      expect("orders: wrong types (object amount)", "orders.dlq", "BAD-TYPE-1", null);

      Map<String, Object> nul = customer("BAD-NUL-1");
      nul.put("full_name", "Nul\u0000Byte Person");
      nul.put("notes", "before\u0000after");
      send(
          producer,
          "legacy.public.customers",
          key("cust_no", "BAD-NUL-1"),
          json(envelope("customers", "c", nul)));
      // The transformer maps it (Avro strings may hold NUL); PostgreSQL text cannot, so the sink
      // dead-letters it under the new key.
      expect(
          "customers: NUL bytes in text",
          "customers.dlq",
          String.valueOf(LegacyKeys.allocate("customer", "BAD-NUL-1")),
          null);
      producer.flush();
    }
  }

  /** Writes hostile values to the monolith: huge text, an invalid date, extreme decimals. */
  public void feedHostileValues(Monolith monolith) throws SQLException {
    try (Connection c = monolith.connect()) {
      insertCustomer(c, HUGE_TEXT_CUSTOMER, "01.02.2024", "x".repeat(HUGE_TEXT));
      expect(
          "customers: " + HUGE_TEXT + " characters of notes (TOASTed)",
          null,
          HUGE_TEXT_CUSTOMER,
          null);
      insertCustomer(c, INVALID_DATE_CUSTOMER, "31.02.2024", null);
      expect("customers: invalid date 31.02.2024", "customers.dlq", INVALID_DATE_CUSTOMER, null);
      unmappableTokens.add(INVALID_DATE_CUSTOMER);
      String custNo = anyCustomer(c);
      insertOrder(
          c,
          EXTREME_ORDER,
          custNo,
          "9999999999.99",
          "[{\"sku\":\"SKU-00001\",\"qty\":1,\"unit_price\":\"9999999999.99\"}]");
      expect("orders: largest amount numeric(12,2) holds", null, EXTREME_ORDER, null);
      insertOrder(
          c,
          OVERFLOW_ORDER,
          custNo,
          "10.00",
          "[{\"sku\":\"SKU-00001\",\"qty\":1,\"unit_price\":\"1e30\"}]");
      expect("orders: line price 1e30 (overflows cents)", "orders.dlq", OVERFLOW_ORDER, null);
      unmappableTokens.add(OVERFLOW_ORDER);
    }
  }

  /**
   * Changes monolith tables under the running pipeline: adds a column, retypes one a mapping uses,
   * and drops one a mapping uses (a change in between must be dead-lettered naming it), then
   * restores it with its values. The load generator is stopped around the drop, since it writes
   * that column.
   *
   * @param stopLoad stops the load generator
   * @param startLoad starts a new one
   */
  public void feedSchemaDrift(Monolith monolith, Runnable stopLoad, Runnable startLoad)
      throws SQLException {
    try (Connection c = monolith.connect();
        Statement s = c.createStatement()) {
      s.execute("ALTER TABLE customers ADD COLUMN loyalty_tier text DEFAULT 'gold'");
      insertCustomer(c, DRIFT_CUSTOMER, "03.03.2024", null);
      expect("drift: column added (customers.loyalty_tier)", null, DRIFT_CUSTOMER, null);
      s.execute("ALTER TABLE payments ALTER COLUMN amount TYPE numeric(14,3)");
      expect("drift: payments.amount retyped to numeric(14,3)", null, null, null);
      stopLoad.run();
      try {
        String victim;
        try (ResultSet rs =
            s.executeQuery(
                "SELECT cust_no FROM customers WHERE deleted_flag = 'N' AND cust_no LIKE 'C0%'"
                    + " ORDER BY cust_no LIMIT 1")) {
          rs.next();
          victim = rs.getString(1);
        }
        s.execute("CREATE TABLE carve_chaos_phones AS SELECT cust_no, phone FROM customers");
        s.execute("ALTER TABLE customers DROP COLUMN phone");
        try (PreparedStatement ps =
            c.prepareStatement(
                "UPDATE customers SET email = 'drift@example.com' WHERE cust_no = ?")) {
          ps.setString(1, victim);
          ps.executeUpdate();
        }
        expect("drift: column phone dropped, then a change", "customers.dlq", victim, "phone");
        s.execute("ALTER TABLE customers ADD COLUMN phone varchar(40)");
        s.execute(
            "UPDATE customers c SET phone = p.phone FROM carve_chaos_phones p"
                + " WHERE p.cust_no = c.cust_no");
        s.execute("DROP TABLE carve_chaos_phones");
      } finally {
        startLoad.run();
      }
    }
  }

  /**
   * Checks where every piece ended: reads the dead-letter topics from the start.
   *
   * @param mapped whether a row holding the legacy key exists in its service database
   * @param reconciled whether every service equals its mapped source (proves what has no key)
   */
  public List<BadInputResult> check(
      String bootstrapServers, java.util.function.Predicate<String> mapped, boolean reconciled) {
    Map<String, List<String[]>> dlq = new HashMap<>();
    for (String topic : expectations.stream().map(Expectation::dlqTopic).distinct().toList()) {
      if (topic != null) {
        dlq.put(topic, readDeadLetters(bootstrapServers, topic));
      }
    }
    List<BadInputResult> results = new ArrayList<>();
    for (Expectation e : expectations) {
      if (e.dlqTopic() == null && e.keyToken() == null) {
        results.add(
            new BadInputResult(
                e.input(),
                "mapped",
                reconciled,
                reconciled ? "every service equals its mapped source" : "reconciliation failed"));
        continue;
      }
      if (e.dlqTopic() == null) {
        boolean ok = mapped.test(e.keyToken());
        results.add(
            new BadInputResult(
                e.input(), "mapped", ok, ok ? "in the service database" : "NOT in the target"));
        continue;
      }
      String[] found = null;
      for (String[] letter : dlq.get(e.dlqTopic())) {
        // A transformer dead letter keeps the raw key; a sink one has the new (Avro) key, which
        // its reason names.
        if ((letter[0].contains(e.keyToken()) || letter[2].contains(e.keyToken()))
            && (e.reasonToken() == null
                || letter[2]
                    .toLowerCase(Locale.ROOT)
                    .contains(e.reasonToken().toLowerCase(Locale.ROOT)))) {
          found = letter;
          break;
        }
      }
      results.add(
          new BadInputResult(
              e.input(),
              e.dlqTopic(),
              found != null,
              found == null
                  ? "no dead letter with key " + e.keyToken()
                  : "stage " + found[1] + ", " + shorten(found[2])));
    }
    return results;
  }

  private static List<String[]> readDeadLetters(String bootstrapServers, String topic) {
    List<String[]> letters = new ArrayList<>();
    DeadLetterTopic.Read read =
        DeadLetterTopic.read(
            Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
            topic,
            Duration.ofSeconds(60),
            r ->
                letters.add(
                    new String[] {
                      r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8),
                      header(r, CarveHeaders.DLQ_STAGE),
                      header(r, CarveHeaders.DLQ_ERROR)
                    }));
    if (!read.complete()) {
      throw new IllegalStateException("Could not read all of " + topic + " within 60 s");
    }
    return letters;
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null || h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static String shorten(String s) {
    // The reason ends with what was wrong; its start names service, table and key, known here.
    String one = s.replaceAll("\\s+", " ");
    return one.length() > 110 ? "..." + one.substring(one.length() - 107) : one;
  }

  private void expect(String input, String dlqTopic, String keyToken, String reasonToken) {
    expectations.add(new Expectation(input, dlqTopic, keyToken, reasonToken));
  }

  private static void insertCustomer(Connection c, String custNo, String createdOn, String notes)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO customers (cust_no, full_name, email, phone, vip_flag, status, created_on,"
                + " deleted_flag, notes, updated_at) VALUES (?, 'Chaos Tester', ?, NULL, 'N', 'A',"
                + " ?, 'N', ?, ?)")) {
      ps.setString(1, custNo);
      ps.setString(2, custNo.toLowerCase(Locale.ROOT) + "@example.com");
      ps.setString(3, createdOn);
      ps.setString(4, notes);
      ps.setTimestamp(5, Timestamp.valueOf(LocalDateTime.of(2025, 6, 1, 12, 0)));
      ps.executeUpdate();
    }
  }

  private static void insertOrder(
      Connection c, String ref, String custNo, String total, String linesBlob) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO orders (order_ref, cust_no, order_date, status, total_amount, currency,"
                + " lines_blob, ship_to, deleted_flag, updated_at) VALUES (?, ?,"
                + " '2025-06-01 12:00:00', 'N', ?::numeric, 'EUR', ?, 'Chaos Tester|Street"
                + " 1|Berlin|10115|DE', 'N', ?)")) {
      ps.setString(1, ref);
      ps.setString(2, custNo);
      ps.setString(3, total);
      ps.setString(4, linesBlob);
      ps.setTimestamp(5, Timestamp.valueOf(LocalDateTime.of(2025, 6, 1, 12, 0)));
      ps.executeUpdate();
    }
  }

  private static String anyCustomer(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT min(cust_no) FROM customers WHERE deleted_flag = 'N'")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static Map<String, Object> order(String ref) {
    Map<String, Object> after = new LinkedHashMap<>();
    after.put("order_ref", ref);
    after.put("cust_no", "C00000001");
    after.put("order_date", "2025-06-01 12:00:00");
    after.put("status", "N");
    after.put("total_amount", "10.00");
    after.put("currency", "EUR");
    after.put("lines_blob", "[{\"sku\":\"SKU-00001\",\"qty\":1,\"unit_price\":\"10.00\"}]");
    after.put("ship_to", "Chaos Tester|Street 1|Berlin|10115|DE");
    after.put("deleted_flag", "N");
    after.put("updated_at", 1_748_779_200_000_000L);
    return after;
  }

  private static Map<String, Object> customer(String custNo) {
    Map<String, Object> after = new LinkedHashMap<>();
    after.put("cust_no", custNo);
    after.put("full_name", "Chaos Tester");
    after.put("email", "chaos@example.com");
    after.put("phone", null);
    after.put("vip_flag", "N");
    after.put("status", "A");
    after.put("created_on", "01.02.2024");
    after.put("deleted_flag", "N");
    after.put("notes", null);
    after.put("updated_at", 1_748_779_200_000_000L);
    return after;
  }

  private static Map<String, Object> envelope(String table, String op, Map<String, Object> after) {
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("version", "3.3.1.Final");
    source.put("connector", "postgresql");
    source.put("name", "legacy");
    source.put("ts_ms", System.currentTimeMillis());
    source.put("snapshot", "false");
    source.put("db", "legacy_shop");
    source.put("sequence", "[\"1\",\"2\"]");
    source.put("schema", "public");
    source.put("table", table);
    source.put("txId", 1);
    source.put("lsn", 2);
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("before", null);
    if (after != null) {
      value.put("after", after);
    }
    value.put("source", source);
    value.put("op", op);
    value.put("ts_ms", System.currentTimeMillis());
    return value;
  }

  private static byte[] key(String column, String value) {
    return json(Map.of(column, value)).getBytes(StandardCharsets.UTF_8);
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Could not write a test event as JSON", e);
    }
  }

  private static void send(
      KafkaProducer<byte[], byte[]> producer, String topic, byte[] key, String value)
      throws Exception {
    producer.send(new ProducerRecord<>(topic, key, value.getBytes(StandardCharsets.UTF_8))).get();
  }
}
