package dev.carve.transform.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link FlatJson} writes what a default {@link ObjectMapper} writes, character for character: the
 * stores it names rows in and keeps values in were written by the mapper before.
 */
class FlatJsonTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void everyCharacterBelowU0080IsEscapedAsTheMapperDoes() throws Exception {
    for (char c = 0; c < 0x80; c++) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("k" + c, "v" + c + "w");
      assertThat(FlatJson.write(map))
          .as("char %d", (int) c)
          .isEqualTo(MAPPER.writeValueAsString(map));
    }
  }

  @Test
  void randomMapsOfPlainValuesAreWrittenAsTheMapperWritesThem() throws Exception {
    Random random = new Random(42);
    for (int i = 0; i < 5_000; i++) {
      Map<String, Object> map = new LinkedHashMap<>();
      int size = random.nextInt(5);
      for (int f = 0; f < size; f++) {
        map.put(text(random), value(random));
      }
      assertThat(FlatJson.write(map)).isEqualTo(MAPPER.writeValueAsString(map));
    }
  }

  @Test
  void otherValuesAreLeftToTheMapper() throws Exception {
    for (Object value :
        List.of(
            1.5d,
            new BigDecimal("30.00"),
            new BigDecimal("1E+3"),
            List.of(1, "a"),
            Map.of("nested", "x"),
            new byte[] {1, 2})) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("id", 7L);
      map.put("v", value);
      assertThat(FlatJson.write(map)).isEqualTo(MAPPER.writeValueAsString(map));
    }
    assertThat(FlatJson.write(Map.of())).isEqualTo("{}");
  }

  private static Object value(Random random) {
    return switch (random.nextInt(8)) {
      case 0 -> null;
      case 1 -> random.nextLong();
      case 2 -> random.nextInt();
      case 3 -> random.nextBoolean();
      case 4 -> new BigInteger(100, random).negate();
      case 5 -> random.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE;
      default -> text(random);
    };
  }

  /** Text of ASCII, control characters, Latin-1, other planes, and lone surrogates. */
  private static String text(Random random) {
    StringBuilder sb = new StringBuilder();
    int length = random.nextInt(12);
    for (int i = 0; i < length; i++) {
      switch (random.nextInt(5)) {
        case 0 -> sb.append((char) random.nextInt(0x20));
        case 1 -> sb.append((char) random.nextInt(0x100));
        case 2 -> sb.appendCodePoint(0x1F600 + random.nextInt(80));
        case 3 -> sb.append((char) (0xD800 + random.nextInt(0x800)));
        default -> sb.append((char) (0x20 + random.nextInt(0x60)));
      }
    }
    return sb.toString();
  }
}
