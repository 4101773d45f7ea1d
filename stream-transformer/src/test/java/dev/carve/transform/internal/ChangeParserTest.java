package dev.carve.transform.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.carve.core.SourcePosition;
import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.ChangeEvent.SourceOffset;
import dev.carve.transform.api.MappingException;
import dev.carve.transform.testing.Debezium;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChangeParserTest {
  private static final SourceOffset OFFSET = new SourceOffset("legacy.public.orders", 0, 7);
  private final ChangeParser parser = new ChangeParser("orders", "orders");

  private ChangeEvent parse(String key, String value) {
    return parser.parse(
        key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value.getBytes(StandardCharsets.UTF_8),
        OFFSET);
  }

  private static String envelope(String before, String after, String op) {
    return "{\"before\":"
        + before
        + ",\"after\":"
        + after
        + ",\"source\":{\"snapshot\":\"false\",\"sequence\":\"[\\\"1000\\\",\\\"1016\\\"]\","
        + "\"lsn\":1016,\"table\":\"orders\"},\"op\":\""
        + op
        + "\",\"ts_ms\":1}";
  }

  @Test
  void positionIsReadFromTheSourceBlockAsFromItsTree() throws Exception {
    String[] sources = {
      "{\"snapshot\":\"false\",\"sequence\":\"[\\\"1000\\\",\\\"1016\\\"]\",\"lsn\":1016}",
      "{\"snapshot\":\"true\",\"lsn\":500,\"sequence\":\"[null,\\\"500\\\"]\"}",
      "{\"snapshot\":\"last\",\"lsn\":500}",
      "{\"snapshot\":\"incremental\",\"lsn\":null,\"sequence\":\"[\\\"7000\\\",\\\"7040\\\"]\"}",
      "{\"snapshot\":\"false\",\"lsn\":9007199254740993,\"sequence\":[\"9007199254740000\",\"1\"]}",
      "{\"lsn\":42,\"txId\":7,\"snapshot\":false}",
      "{\"version\":\"3.3.1.Final\",\"lsn\":77,\"sequence\":null,\"xmin\":null}"
    };
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    for (String source : sources) {
      String value = "{\"after\":{\"order_ref\":\"ORD-1\"},\"source\":" + source + ",\"op\":\"u\"}";
      assertThat(parse("{\"order_ref\":\"ORD-1\"}", value).position())
          .as(source)
          .isEqualTo(SourcePosition.fromDebeziumSource(json.readTree(source)));
    }
    String tooBig =
        "{\"after\":{\"order_ref\":\"ORD-1\"},\"source\":{\"lsn\":123456789012345678901234567890},\"op\":\"u\"}";
    assertThatThrownBy(() -> parse("{\"order_ref\":\"ORD-1\"}", tooBig))
        .hasMessageContaining("no numeric 'lsn'");
  }

  @Test
  void readsEveryJsonTypeOfARowAsTheMappingSeesIt() {
    ChangeEvent change =
        parse(
            "{\"order_ref\":\"ORD-1\"}",
            envelope(
                "null",
                "{\"order_ref\":\"ORD-1\",\"qty\":3,\"big\":123456789012345678901234567890,"
                    + "\"price\":12.5,\"paid\":true,\"gone\":false,\"note\":null,"
                    + "\"meta\":{\"a\": [1, 2],\"b\":\"x\"},\"tags\":[\"p\", \"q\"]}",
                "c"));

    assertThat(change.op()).isEqualTo(ChangeEvent.Op.CREATE);
    assertThat(change.key()).containsExactly(entry("order_ref", "ORD-1"));
    assertThat(change.before()).isNull();
    assertThat(change.after())
        .containsExactly(
            entry("order_ref", "ORD-1"),
            entry("qty", 3L),
            entry("big", new BigInteger("123456789012345678901234567890")),
            entry("price", new BigDecimal("12.5")),
            entry("paid", true),
            entry("gone", false),
            entry("note", null),
            entry("meta", "{\"a\":[1,2],\"b\":\"x\"}"),
            entry("tags", "[\"p\",\"q\"]"));
    assertThat(change.position()).isEqualTo(new SourcePosition(1000, 1016));
    assertThat(change.source()).isEqualTo(OFFSET);
  }

  @Test
  void readsAnEnvelopeBuiltByTheConverterWithUnknownFieldsInAnyOrder() {
    ChangeEvent change =
        parse(
            Debezium.key("order_ref", "ORD-2"),
            Debezium.delete("orders", Debezium.row("order_ref", "ORD-2"), 2048));

    assertThat(change.isDelete()).isTrue();
    assertThat(change.before()).containsExactly(entry("order_ref", "ORD-2"));
    assertThat(change.after()).isNull();
    assertThat(change.position()).isEqualTo(new SourcePosition(2040, 2048));
  }

  @Test
  void rejectsAValueThatIsNotAnEnvelope() {
    assertThatThrownBy(() -> parse(null, "[1,2]"))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("not a Debezium change envelope");
    assertThatThrownBy(() -> parse(null, "{\"op\":"))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("the record value is not valid JSON");
  }

  @Test
  void namesWhatIsMissingOrMalformedInTheEnvelope() {
    assertThatThrownBy(() -> parse(null, envelope("null", "{}", "c").replace("\"op\"", "\"x\"")))
        .hasMessageContaining("has no 'op'");
    assertThatThrownBy(() -> parse(null, "{\"op\":\"c\",\"source\":3,\"after\":{}}"))
        .hasMessageContaining("has no 'source' block");
    assertThatThrownBy(() -> parse(null, envelope("[1]", "{}", "c")))
        .hasMessageContaining("'before' of the Debezium envelope is not a JSON object");
    assertThatThrownBy(() -> parse(null, envelope("null", "\"x\"", "c")))
        .hasMessageContaining("'after' of the Debezium envelope is not a JSON object");
    assertThatThrownBy(() -> parse(null, envelope("null", "null", "u")))
        .hasMessageContaining("op 'u' has no 'after' row");
    assertThatThrownBy(() -> parse(null, envelope("null", "{}", "z")))
        .isInstanceOf(MappingException.class);
  }
}
