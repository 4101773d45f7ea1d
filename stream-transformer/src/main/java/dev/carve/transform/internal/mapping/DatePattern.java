package dev.carve.transform.internal.mapping;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.ResolverStyle;
import java.time.temporal.TemporalAccessor;
import java.util.Arrays;
import java.util.Locale;

/**
 * A field's date or timestamp pattern ({@code pattern: "dd.MM.yyyy"}): a strict formatter, and for
 * the common fixed-width patterns of numbers and separators ({@code yyyy-MM-dd HH:mm:ss}, {@code
 * dd.MM.yyyy}, {@code yyyyMMdd}, {@code yyyy-MM-dd'T'HH:mm:ss}) a direct reading of the digits.
 *
 * <p>{@link DateTimeFormatter#parse} builds and resolves a field map per value, a tenth of a
 * mapping's time for a table with one date. The direct reading only answers what the formatter
 * would: text of the exact width with digits where the pattern has numbers and its separators
 * elsewhere, giving an existing date and time; anything else (another width, a letter, 31 February,
 * hour 24) goes to the formatter, which gives the same value or the same error as before.
 */
final class DatePattern {
  private static final int YEAR = 0;
  private static final int MONTH = 1;
  private static final int DAY = 2;
  private static final int HOUR = 3;
  private static final int MINUTE = 4;
  private static final int SECOND = 5;

  private final String pattern;
  private final DateTimeFormatter formatter;
  // Whether the pattern reads an offset or a time zone (letters X, x, Z, O, V, v, z).
  private final boolean zone;
  // Fixed-width layout: per text position the expected literal, or 0 for a digit; null when the
  // pattern has anything else (names, fractions, optional sections, a field twice or missing).
  private final char[] layout;
  // Start of each field in the text (YEAR..SECOND); -1 when the pattern has no time.
  private final int[] starts;

  private DatePattern(String pattern, DateTimeFormatter formatter, char[] layout, int[] starts) {
    this.pattern = pattern;
    this.formatter = formatter;
    this.zone = hasZoneLetter(pattern);
    this.layout = layout;
    this.starts = starts;
  }

  /**
   * A pattern from the YAML's {@code pattern:}.
   *
   * @throws IllegalArgumentException when it is not a date-time pattern
   */
  static DatePattern of(String pattern) {
    DateTimeFormatter formatter = strict(pattern);
    int[] starts = new int[6];
    Arrays.fill(starts, -1);
    char[] layout = layout(pattern, starts);
    boolean date = starts[YEAR] >= 0 && starts[MONTH] >= 0 && starts[DAY] >= 0;
    boolean time = starts[HOUR] >= 0 && starts[MINUTE] >= 0 && starts[SECOND] >= 0;
    boolean noTime = starts[HOUR] < 0 && starts[MINUTE] < 0 && starts[SECOND] < 0;
    return new DatePattern(
        pattern, formatter, layout != null && date && (time || noTime) ? layout : null, starts);
  }

  /** The formatter, which resolves strictly: '31.02.2024' is an error, not the 29th. */
  DateTimeFormatter formatter() {
    return formatter;
  }

  /** The pattern as the YAML wrote it. */
  String pattern() {
    return pattern;
  }

  /** Whether the pattern reads an offset or a time zone ({@code XXX}, {@code Z}, {@code VV}...). */
  boolean hasZone() {
    return zone;
  }

  /**
   * Whether the pattern reads the hour of the day (letters H, k, h, K outside quotes), which a
   * timestamp needs; without it every value is an error.
   */
  boolean hasTime() {
    boolean quoted = false;
    for (char ch : pattern.toCharArray()) {
      if (ch == '\'') {
        quoted = !quoted;
      } else if (!quoted && "HkhK".indexOf(ch) >= 0) {
        return true;
      }
    }
    return false;
  }

  /** Whether values of this pattern are read without the formatter when they fit its layout. */
  boolean direct() {
    return layout != null;
  }

  /** The date of {@code text}; time fields of the pattern are checked and dropped. */
  LocalDate date(String text) {
    LocalDateTime direct = readDirect(text);
    return direct != null ? direct.toLocalDate() : LocalDate.parse(text, formatter);
  }

  /** The date and time of {@code text}; a pattern without time is the formatter's error. */
  LocalDateTime dateTime(String text) {
    LocalDateTime direct = starts[HOUR] >= 0 ? readDirect(text) : null;
    return direct != null ? direct : LocalDateTime.parse(text, formatter);
  }

  /**
   * The instant of {@code text}: with an offset or zone in the pattern the one it names (to UTC),
   * else the date and time read as UTC (also when an optional offset section is absent).
   */
  Instant instant(String text) {
    if (!zone) {
      return dateTime(text).toInstant(ZoneOffset.UTC);
    }
    TemporalAccessor parsed = formatter.parseBest(text, ZonedDateTime::from, LocalDateTime::from);
    return parsed instanceof ZonedDateTime zoned
        ? zoned.toInstant()
        : ((LocalDateTime) parsed).toInstant(ZoneOffset.UTC);
  }

  /** The value read without the formatter; null when the text is for the formatter to judge. */
  LocalDateTime readDirect(String text) {
    if (layout == null || text.length() != layout.length) {
      return null;
    }
    for (int i = 0; i < layout.length; i++) {
      char c = text.charAt(i);
      if (layout[i] == 0 ? c < '0' || c > '9' : c != layout[i]) {
        return null;
      }
    }
    int year = number(text, starts[YEAR], 4);
    try {
      return starts[HOUR] < 0
          ? LocalDate.of(year, number(text, starts[MONTH], 2), number(text, starts[DAY], 2))
              .atStartOfDay()
          : LocalDateTime.of(
              year,
              number(text, starts[MONTH], 2),
              number(text, starts[DAY], 2),
              number(text, starts[HOUR], 2),
              number(text, starts[MINUTE], 2),
              number(text, starts[SECOND], 2));
    } catch (DateTimeException e) {
      return null; // not a date: the formatter names the error
    }
  }

  private static int number(String text, int start, int width) {
    int n = 0;
    for (int i = start; i < start + width; i++) {
      n = n * 10 + (text.charAt(i) - '0');
    }
    return n;
  }

  /**
   * The layout of a pattern of {@code yyyy}/{@code uuuu}, {@code MM}, {@code dd}, {@code HH},
   * {@code mm}, {@code ss}, separators and quoted text, filling {@code starts}; null for any other.
   */
  private static char[] layout(String pattern, int[] starts) {
    if (pattern.contains("''")) {
      return null; // a quote, in a literal or not: left to the formatter
    }
    StringBuilder layout = new StringBuilder(pattern.length());
    int i = 0;
    while (i < pattern.length()) {
      char c = pattern.charAt(i);
      if (c == '\'') {
        int end = pattern.indexOf('\'', i + 1);
        if (end < 0) {
          return null; // unterminated: the formatter has refused it already
        }
        layout.append(pattern, i + 1, end);
        i = end + 1;
        continue;
      }
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        int run = i;
        while (run < pattern.length() && pattern.charAt(run) == c) {
          run++;
        }
        int field = field(c, run - i);
        if (field < 0 || starts[field] >= 0) {
          return null;
        }
        starts[field] = layout.length();
        layout.append("\0".repeat(run - i));
        i = run;
        continue;
      }
      if (c == '[' || c == ']' || c == '{' || c == '}' || c == '#') {
        return null; // optional sections and reserved characters
      }
      layout.append(c);
      i++;
    }
    return layout.toString().toCharArray();
  }

  private static int field(char letter, int width) {
    return switch (letter) {
      case 'y', 'u' -> width == 4 ? YEAR : -1;
      case 'M' -> width == 2 ? MONTH : -1;
      case 'd' -> width == 2 ? DAY : -1;
      case 'H' -> width == 2 ? HOUR : -1;
      case 'm' -> width == 2 ? MINUTE : -1;
      case 's' -> width == 2 ? SECOND : -1;
      default -> -1;
    };
  }

  private static boolean hasZoneLetter(String pattern) {
    boolean quoted = false;
    for (char ch : pattern.toCharArray()) {
      if (ch == '\'') {
        quoted = !quoted;
      } else if (!quoted && "XxZOVvz".indexOf(ch) >= 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * A formatter that rejects dates that do not exist ('31.02.2024') instead of moving them to the
   * end of the month as the default (smart) resolver does. Strict resolution needs the proleptic
   * year ('u'), so the year-of-era letter 'y' is replaced outside quoted literals.
   */
  private static DateTimeFormatter strict(String pattern) {
    StringBuilder sb = new StringBuilder(pattern.length());
    boolean quoted = false;
    for (char ch : pattern.toCharArray()) {
      if (ch == '\'') {
        quoted = !quoted;
      }
      sb.append(!quoted && ch == 'y' ? 'u' : ch);
    }
    return DateTimeFormatter.ofPattern(sb.toString(), Locale.ROOT)
        .withResolverStyle(ResolverStyle.STRICT);
  }
}
