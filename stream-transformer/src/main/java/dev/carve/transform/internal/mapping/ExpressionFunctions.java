package dev.carve.transform.internal.mapping;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * The functions of the {@code fn:} namespace of mapping expressions, the only Java code an
 * expression can call besides the methods of {@link String}. All are null-safe: a null argument
 * gives null.
 */
public final class ExpressionFunctions {
  private ExpressionFunctions() {}

  /** Every word of {@code s} but the last, joined by one space; "" for one word. */
  public static String allButLastWord(String s) {
    if (s == null) {
      return null;
    }
    String[] words = s.trim().split("\\s+");
    if (words.length <= 1) {
      return "";
    }
    return String.join(" ", java.util.Arrays.copyOf(words, words.length - 1));
  }

  /** The last word of {@code s}; "" for blank text. */
  public static String lastWord(String s) {
    if (s == null) {
      return null;
    }
    String[] words = s.trim().split("\\s+");
    return words[words.length - 1];
  }

  /** {@code s} trimmed. */
  public static String trim(String s) {
    return s == null ? null : s.trim();
  }

  /** {@code s} in lower case (locale independent). */
  public static String lower(String s) {
    return s == null ? null : s.toLowerCase(Locale.ROOT);
  }

  /** {@code s} in upper case (locale independent). */
  public static String upper(String s) {
    return s == null ? null : s.toUpperCase(Locale.ROOT);
  }

  /** The first argument that is not null. */
  public static Object coalesce(Object a, Object b) {
    return a != null ? a : b;
  }

  /** A decimal amount ("12.50" or a number) in minor units (1250); exact or an error. */
  public static Long cents(Object amount) {
    if (amount == null) {
      return null;
    }
    return new BigDecimal(amount.toString().trim()).movePointRight(2).longValueExact();
  }

  /**
   * The net of a gross amount including VAT: {@code round(gross * 10000 / (10000 + rateBp))}, half
   * up.
   */
  public static Long netOfGross(Number grossCents, Number rateBp) {
    if (grossCents == null || rateBp == null) {
      return null;
    }
    return BigDecimal.valueOf(grossCents.longValue())
        .multiply(BigDecimal.valueOf(10_000))
        .divide(BigDecimal.valueOf(10_000 + rateBp.longValue()), 0, RoundingMode.HALF_UP)
        .longValueExact();
  }
}
