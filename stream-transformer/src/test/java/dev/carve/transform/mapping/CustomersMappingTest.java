package dev.carve.transform.mapping;

import static dev.carve.transform.testing.Debezium.key;
import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.core.CarveHeaders;
import dev.carve.core.SourcePosition;
import dev.carve.core.error.OnError;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.LegacyKeys;
import dev.carve.transform.testing.Debezium;
import dev.carve.transform.testing.Harness;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

public class CustomersMappingTest {
  private Harness harness;

  @BeforeEach
  void start() {
    harness =
        new Harness(MappingLoader.load(Harness.topologyFile("customers")), OnError.DEAD_LETTER);
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  public static Map<String, Object> customer(
      String custNo, String status, String deleted, Object notes) {
    return Debezium.row(
        "cust_no",
        custNo,
        "full_name",
        "Anna Maria Schmidt",
        "email",
        "  Anna.Schmidt@Example.COM ",
        "phone",
        "+49 30 1234",
        "vip_flag",
        "Y",
        "status",
        status,
        "created_on",
        "21.03.2019",
        "deleted_flag",
        deleted,
        "notes",
        notes,
        "updated_at",
        1_700_000_000_000_000L);
  }

  private void sendCustomer(String op, Map<String, Object> row, long lsn) {
    harness.send(
        "customers",
        key("cust_no", row.get("cust_no")),
        Debezium.envelope("customers", op, null, row, lsn, false));
  }

  @Test
  void customerRowIsReshapedIntoTheCustomerSchema() {
    sendCustomer("c", customer("C00000042", "S", "N", "likes tea"), 1000);

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("customer");
    assertThat(out).hasSize(1);
    long id = LegacyKeys.allocate("customer", "C00000042");
    assertThat(out.get(0).key().get("customer_id")).isEqualTo(id);
    GenericRecord c = out.get(0).value();
    assertThat(c.get("customer_id")).isEqualTo(id);
    assertThat(c.get("legacy_ref").toString()).isEqualTo("C00000042");
    assertThat(c.get("first_name").toString()).isEqualTo("Anna Maria");
    assertThat(c.get("last_name").toString()).isEqualTo("Schmidt");
    assertThat(c.get("email").toString()).isEqualTo("anna.schmidt@example.com");
    assertThat(c.get("phone").toString()).isEqualTo("+49 30 1234");
    assertThat(c.get("vip")).isEqualTo(true);
    assertThat(c.get("status").toString()).isEqualTo("SUSPENDED");
    assertThat(c.get("created_on")).isEqualTo((int) LocalDate.of(2019, 3, 21).toEpochDay());
    assertThat(c.get("notes").toString()).isEqualTo("likes tea");
    assertThat(SourcePosition.readFrom(out.get(0).headers()))
        .isEqualTo(new SourcePosition(992, 1000));
  }

  @Test
  void softDeletedRowBecomesADeleteOfTheKey() {
    sendCustomer("c", customer("C1", "A", "N", null), 1000);
    sendCustomer("u", customer("C1", "A", "Y", null), 1010);

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("customer");
    assertThat(out).hasSize(2);
    assertThat(out.get(1).key().get("customer_id"))
        .isEqualTo(LegacyKeys.allocate("customer", "C1"));
    assertThat(out.get(1).value()).isNull();
    assertThat(SourcePosition.readFrom(out.get(1).headers()).changeLsn()).isEqualTo(1010);
  }

  @Test
  void deleteBecomesATombstoneAndDebeziumTombstoneIsSkipped() {
    harness.send(
        "customers",
        key("cust_no", "C7"),
        Debezium.delete("customers", Debezium.row("cust_no", "C7"), 2000));
    harness.send("customers", key("cust_no", "C7"), null);

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("customer");
    assertThat(out).hasSize(1);
    assertThat(out.get(0).key().get("customer_id"))
        .isEqualTo(LegacyKeys.allocate("customer", "C7"));
    assertThat(out.get(0).value()).isNull();
    assertThat(harness.metrics().tombstonesSkipped()).isEqualTo(1);
    assertThat(harness.readDeadLetters()).isEmpty();
  }

  @Test
  void primaryKeyChangeDeletesTheOldKeyAndWritesTheNewOne() {
    sendCustomer("c", customer("C100", "A", "N", null), 1000);
    harness.send(
        "customers",
        key("cust_no", "C100"),
        Debezium.delete("customers", Debezium.row("cust_no", "C100"), 1100));
    harness.send("customers", key("cust_no", "C100"), null);
    harness.send(
        "customers",
        key("cust_no", "C200"),
        Debezium.create("customers", customer("C200", "A", "N", null), 1100));

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("customer");
    assertThat(out).hasSize(3);
    assertThat(out.get(1).key().get("customer_id"))
        .isEqualTo(LegacyKeys.allocate("customer", "C100"));
    assertThat(out.get(1).value()).isNull();
    assertThat(out.get(2).key().get("customer_id"))
        .isEqualTo(LegacyKeys.allocate("customer", "C200"));
    assertThat(out.get(2).value().get("legacy_ref").toString()).isEqualTo("C200");
  }

  @Test
  void primaryKeyChangeWithAnUnchangedToastColumnKeepsTheRowUnderTheNewKey() {
    // Regression: Debezium turns a primary-key update into a delete of the old key (header
    // __debezium.newkey) and a create of the new key (header __debezium.oldkey) whose unchanged
    // TOAST column holds the placeholder; no last value was known for the new key, so the old
    // key was deleted and the new one dead-lettered: the target lost the row.
    sendCustomer("c", customer("C100", "A", "N", "a very long note"), 1000);
    harness.send(
        "customers",
        key("cust_no", "C100"),
        Debezium.delete("customers", Debezium.row("cust_no", "C100"), 1100),
        "__debezium.newkey",
        key("cust_no", "C200"));
    harness.send("customers", key("cust_no", "C100"), null);
    harness.send(
        "customers",
        key("cust_no", "C200"),
        Debezium.create("customers", customer("C200", "A", "N", ChangeEvent.UNAVAILABLE), 1100),
        "__debezium.oldkey",
        key("cust_no", "C100"));
    // The last values moved to the new key: its next placeholder is filled from them.
    sendCustomer("u", customer("C200", "S", "N", ChangeEvent.UNAVAILABLE), 1200);

    assertThat(harness.readDeadLetters()).isEmpty();
    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("customer");
    assertThat(out).hasSize(4);
    assertThat(out.get(1).key().get("customer_id"))
        .isEqualTo(LegacyKeys.allocate("customer", "C100"));
    assertThat(out.get(1).value()).isNull();
    assertThat(out.get(2).key().get("customer_id"))
        .isEqualTo(LegacyKeys.allocate("customer", "C200"));
    assertThat(out.get(2).value().get("notes").toString()).isEqualTo("a very long note");
    assertThat(out.get(3).value().get("notes").toString()).isEqualTo("a very long note");
    // The old key's values are gone: a placeholder of a re-inserted C100 is not filled.
    sendCustomer("u", customer("C100", "A", "N", ChangeEvent.UNAVAILABLE), 1300);
    assertThat(harness.readDeadLetters()).hasSize(1);
  }

  @Test
  void primaryKeyChangeWhoseOldKeyIsNotInThisTaskIsDeadLetteredSayingSo() {
    // The old key's last values are kept by the task of its raw partition: when the new key is
    // read by another task they are not there.
    harness.send(
        "customers",
        key("cust_no", "C300"),
        Debezium.create("customers", customer("C300", "A", "N", ChangeEvent.UNAVAILABLE), 1100),
        "__debezium.oldkey",
        key("cust_no", "C299"));

    assertThat(harness.read("customer")).isEmpty();
    assertThat(harness.readDeadLetters())
        .singleElement()
        .satisfies(
            d ->
                assertThat(Harness.header(d, CarveHeaders.DLQ_ERROR))
                    .contains(
                        "column 'notes'",
                        "{\"cust_no\":\"C300\"}",
                        "old key {\"cust_no\":\"C299\"}",
                        "primary-key update",
                        "not in this task"));
  }

  @Test
  void unknownStatusCodeIsDeadLetteredAndTheTopologyKeepsRunning() {
    String badValue =
        Debezium.envelope("customers", "c", null, customer("C9", "Q", "N", null), 3000, false);
    harness.send("customers", key("cust_no", "C9"), badValue);
    sendCustomer("c", customer("C10", "C", "N", null), 3010);

    var dead = harness.readDeadLetters();
    assertThat(dead).hasSize(1);
    TestRecord<byte[], byte[]> letter = dead.get(0);
    assertThat(new String(letter.value(), StandardCharsets.UTF_8)).isEqualTo(badValue);
    assertThat(new String(letter.key(), StandardCharsets.UTF_8)).isEqualTo(key("cust_no", "C9"));
    assertThat(Harness.header(letter, CarveHeaders.DLQ_STAGE)).isEqualTo("transform");
    assertThat(Harness.header(letter, CarveHeaders.DLQ_SERVICE)).isEqualTo("customers");
    assertThat(Harness.header(letter, CarveHeaders.DLQ_TOPIC)).isEqualTo("legacy.public.customers");
    assertThat(Harness.header(letter, CarveHeaders.DLQ_PARTITION)).isEqualTo("0");
    assertThat(Harness.header(letter, CarveHeaders.DLQ_OFFSET)).isEqualTo("0");
    assertThat(Harness.header(letter, CarveHeaders.DLQ_TIMESTAMP)).isNotBlank();
    assertThat(Harness.header(letter, CarveHeaders.DLQ_ERROR))
        .contains("field 'status'", "column 'status'", "unknown code 'Q'", "table 'customers'")
        .contains("{\"cust_no\":\"C9\"}", "known codes: [A, C, S]");
    assertThat(harness.read("customer")).hasSize(1);
    assertThat(harness.metrics().deadLettered()).isEqualTo(1);
    assertThat(harness.metrics().deadLetteredByTable()).containsEntry("customers", 1L);
    assertThat(harness.metrics().recordsOutByEntity()).containsEntry("customer", 1L);
  }

  @Test
  void malformedEnvelopesAreDeadLetteredNamingWhatIsWrong() {
    // Regression: the chaos harness fed an insert without 'after'; its reason named a missing
    // column instead of the missing row.
    harness.send(
        "customers",
        key("cust_no", "C1"),
        Debezium.envelope("customers", "c", null, null, 3000, false));
    harness.send(
        "customers",
        key("cust_no", "C2"),
        Debezium.envelope("customers", "x", null, customer("C2", "A", "N", null), 3010, false));
    harness.send("customers", key("cust_no", "C3"), "{\"before\":null,\"after\":{");

    var dead = harness.readDeadLetters();
    assertThat(dead).hasSize(3);
    assertThat(Harness.header(dead.get(0), CarveHeaders.DLQ_ERROR))
        .contains("op 'c' has no 'after' row", "{\"cust_no\":\"C1\"}");
    assertThat(Harness.header(dead.get(1), CarveHeaders.DLQ_ERROR))
        .contains("unknown Debezium op 'x'");
    assertThat(Harness.header(dead.get(2), CarveHeaders.DLQ_ERROR)).contains("JSON");
    assertThat(harness.read("customer")).isEmpty();
  }

  @Test
  void dateThatDoesNotExistIsDeadLetteredNotMovedToTheEndOfTheMonth() {
    // Regression: the chaos harness fed created_on '31.02.2024'; the smart resolver mapped it to
    // 29.02.2024 silently.
    Map<String, Object> row = customer("C31", "A", "N", null);
    row.put("created_on", "31.02.2024");
    sendCustomer("c", row, 3000);
    Map<String, Object> leap = customer("C29", "A", "N", null);
    leap.put("created_on", "29.02.2024");
    sendCustomer("c", leap, 3010);

    var dead = harness.readDeadLetters();
    assertThat(dead).hasSize(1);
    assertThat(Harness.header(dead.get(0), CarveHeaders.DLQ_ERROR))
        .contains("created_on", "31.02.2024");
    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("customer");
    assertThat(out).hasSize(1);
    assertThat(out.get(0).value().get("created_on"))
        .isEqualTo((int) LocalDate.of(2024, 2, 29).toEpochDay());
  }

  @Test
  void dateColumnThatDriftedToANumberIsDeadLetteredNotTakenAsDays() {
    // Regression: created_on (text, pattern dd.MM.yyyy) arriving as the integer 21032019 was
    // taken as days since 1970, a date in the year 59554.
    Map<String, Object> row = customer("C32", "A", "N", null);
    row.put("created_on", 21032019L);
    sendCustomer("c", row, 3000);

    assertThat(harness.read("customer")).isEmpty();
    assertThat(Harness.header(harness.readDeadLetters().get(0), CarveHeaders.DLQ_ERROR))
        .contains("field 'created_on'", "column 'created_on'", "'21032019' is a number");
  }

  @Test
  void unchangedToastPlaceholderIsFilledWithTheLastKnownValue() {
    sendCustomer("c", customer("C5", "A", "N", "a very long note"), 1000);
    sendCustomer("u", customer("C5", "S", "N", ChangeEvent.UNAVAILABLE), 1010);

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("customer");
    assertThat(out).hasSize(2);
    assertThat(out.get(1).value().get("status").toString()).isEqualTo("SUSPENDED");
    assertThat(out.get(1).value().get("notes").toString()).isEqualTo("a very long note");
  }

  /** Base64 of the placeholder: a bytea column under binary.handling.mode=base64. */
  static final String UNAVAILABLE_BASE64 = "X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==";

  @Test
  void placeholderOfAnArrayOrBase64ColumnIsFilledLikeTheTextOne() {
    // Regression: only the exact text was recognised; an array column's ["__debezium_..."] and a
    // bytea column's base64 of it went through to the target as values.
    sendCustomer("c", customer("C12", "A", "N", "a very long note"), 1000);
    sendCustomer("u", customer("C12", "S", "N", UNAVAILABLE_BASE64), 1010);
    sendCustomer("u", customer("C12", "C", "N", List.of(ChangeEvent.UNAVAILABLE)), 1020);

    assertThat(harness.readDeadLetters()).isEmpty();
    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("customer");
    assertThat(out).hasSize(3);
    assertThat(out.get(1).value().get("notes").toString()).isEqualTo("a very long note");
    assertThat(out.get(2).value().get("notes").toString()).isEqualTo("a very long note");
  }

  @Test
  void placeholderFormsInAColumnWithoutToastAreDeadLetteredNamingTheColumn() {
    Map<String, Object> base64 = customer("C13", "A", "N", null);
    base64.put("phone", UNAVAILABLE_BASE64);
    sendCustomer("u", base64, 1010);
    Map<String, Object> array = customer("C14", "A", "N", null);
    array.put("phone", List.of(ChangeEvent.UNAVAILABLE));
    sendCustomer("u", array, 1020);

    assertThat(harness.read("customer")).isEmpty();
    assertThat(harness.readDeadLetters())
        .hasSize(2)
        .allSatisfy(
            d ->
                assertThat(Harness.header(d, CarveHeaders.DLQ_ERROR))
                    .contains("column 'phone'", "unchanged-TOAST placeholder"));
  }

  @Test
  void unchangedToastPlaceholderWithoutPreviousValueIsDeadLetteredNamingTheColumn() {
    sendCustomer("u", customer("C6", "A", "N", ChangeEvent.UNAVAILABLE), 1010);

    assertThat(harness.read("customer")).isEmpty();
    var dead = harness.readDeadLetters();
    assertThat(dead).hasSize(1);
    assertThat(Harness.header(dead.get(0), CarveHeaders.DLQ_ERROR))
        .contains("column 'notes'", "unchanged TOASTed", "no previous value");
  }

  @Test
  void toastValueOfADeadLetteredChangeFillsTheNextPlaceholder() {
    // Regression: the TOAST state was written through the buffered scope, so a change
    // dead-lettered for another column left the value from before it; the next placeholder was
    // filled with 'A' although the source row holds 'B'.
    sendCustomer("c", customer("C11", "A", "N", "A"), 1000);
    sendCustomer("u", customer("C11", "Q", "N", "B"), 1010);
    sendCustomer("u", customer("C11", "S", "N", ChangeEvent.UNAVAILABLE), 1020);

    assertThat(harness.readDeadLetters())
        .singleElement()
        .satisfies(
            d ->
                assertThat(Harness.header(d, CarveHeaders.DLQ_ERROR)).contains("unknown code 'Q'"));
    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("customer");
    assertThat(out).hasSize(2);
    assertThat(out.get(1).value().get("status").toString()).isEqualTo("SUSPENDED");
    assertThat(out.get(1).value().get("notes").toString()).isEqualTo("B");
  }

  @Test
  void toastPlaceholderIsNotFilledFromADeletedRow() {
    sendCustomer("c", customer("C8", "A", "N", "old note"), 1000);
    harness.send(
        "customers",
        key("cust_no", "C8"),
        Debezium.delete("customers", Debezium.row("cust_no", "C8"), 1010));
    sendCustomer("u", customer("C8", "A", "N", ChangeEvent.UNAVAILABLE), 1020);

    assertThat(harness.readDeadLetters()).hasSize(1);
  }

  @Test
  void addressIsMappedWithItsCustomersNewKey() {
    harness.send(
        "addresses",
        key("addr_id", 7),
        Debezium.create(
            "addresses",
            Debezium.row(
                "addr_id", 7,
                "cust_no", "C00000042",
                "addr_type", "S",
                "line1", "Hauptstr. 1",
                "line2", "  ",
                "city", "Berlin",
                "zip", "10115",
                "country_code", "de"),
            500));

    List<TestRecord<GenericRecord, GenericRecord>> out = harness.read("address");
    assertThat(out).hasSize(1);
    GenericRecord a = out.get(0).value();
    assertThat(out.get(0).key().get("address_id")).isEqualTo(7L);
    assertThat(a.get("customer_id")).isEqualTo(LegacyKeys.allocate("customer", "C00000042"));
    assertThat(a.get("kind").toString()).isEqualTo("SHIPPING");
    assertThat(a.get("line2")).isNull();
    assertThat(a.get("postal_code").toString()).isEqualTo("10115");
    assertThat(a.get("country_code").toString()).isEqualTo("DE");
  }

  @Test
  void processorsAndStoresAreNamedAfterTheService() {
    String description = harness.topology().describe().toString();
    assertThat(description)
        .contains(
            "customers-source-customers",
            "customers-map-customers",
            "customers-sink-customers",
            "customers-customer-toast",
            "customers-map-addresses");
  }

  @Test
  void truncateIsDeadLetteredNamingTheTable() {
    harness.send("customers", null, Debezium.envelope("customers", "t", null, null, 900, false));

    assertThat(harness.read("customer")).isEmpty();
    assertThat(harness.readDeadLetters())
        .singleElement()
        .satisfies(
            d ->
                assertThat(Harness.header(d, CarveHeaders.DLQ_ERROR))
                    .contains("a truncate of table 'customers'", "carve replay"));
  }
}
