package dev.carve.transform.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.util.Map;

/**
 * Writes a map of plain values (text, whole numbers, booleans, null) as JSON, character for
 * character what a default {@link ObjectMapper} writes; any other value makes it ask the mapper.
 *
 * <p>Its output names rows in state stores (source keys, references) and is kept there (TOAST
 * values): it must not differ from what earlier versions wrote with the mapper, or stored state
 * would no longer be found. It exists because the mapper's per-call set-up (a serializer provider,
 * a writer, buffer recycling) cost more than the writing for the small maps of every change.
 */
public final class FlatJson {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private FlatJson() {}

  /**
   * The JSON text of {@code map}, as {@code new ObjectMapper().writeValueAsString(map)} gives it.
   *
   * @throws JsonProcessingException when the mapper cannot write a value it was asked for
   */
  public static String write(Map<String, ?> map) throws JsonProcessingException {
    StringBuilder sb = new StringBuilder(64);
    sb.append('{');
    boolean first = true;
    for (Map.Entry<String, ?> e : map.entrySet()) {
      Object value = e.getValue();
      if (e.getKey() == null || !plain(value)) {
        return JSON.writeValueAsString(map);
      }
      if (!first) {
        sb.append(',');
      }
      first = false;
      string(sb, e.getKey());
      sb.append(':');
      if (value instanceof String s) {
        string(sb, s);
      } else {
        sb.append(value); // null, a whole number or a boolean: its own text
      }
    }
    return sb.append('}').toString();
  }

  private static boolean plain(Object value) {
    return value == null
        || value instanceof String
        || value instanceof Long
        || value instanceof Integer
        || value instanceof Boolean
        || value instanceof BigInteger;
  }

  /** A string with the mapper's escapes: quote, backslash, and characters below U+0020. */
  private static void string(StringBuilder sb, String s) {
    int length = s.length();
    int escapes = 0;
    for (int i = 0; i < length; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == '"' || c == '\\') {
        escapes++;
      }
    }
    sb.append('"');
    if (escapes == 0) {
      sb.append(s);
    } else {
      sb.append(escaped(s, escapes));
    }
    sb.append('"');
  }

  private static char[] escaped(String s, int escapes) {
    int length = s.length();
    char[] out = new char[length + escapes * 5];
    int n = 0;
    for (int i = 0; i < length; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        out[n++] = c;
        continue;
      }
      out[n++] = '\\';
      switch (c) {
        case '"', '\\' -> out[n++] = c;
        case '\b' -> out[n++] = 'b';
        case '\t' -> out[n++] = 't';
        case '\f' -> out[n++] = 'f';
        case '\n' -> out[n++] = 'n';
        case '\r' -> out[n++] = 'r';
        default -> {
          out[n++] = 'u';
          out[n++] = '0';
          out[n++] = '0';
          out[n++] = HEX[c >> 4];
          out[n++] = HEX[c & 0xF];
        }
      }
    }
    return n == out.length ? out : java.util.Arrays.copyOf(out, n);
  }
}
