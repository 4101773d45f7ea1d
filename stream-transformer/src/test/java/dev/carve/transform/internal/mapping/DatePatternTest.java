package dev.carve.transform.internal.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The direct reading of fixed-width patterns gives what the strict formatter gives, value for value
 * and error for error, on valid dates, dates that do not exist and text that does not fit.
 */
class DatePatternTest {
  private static final String[] EDGES = {
    "",
    " ",
    "2024-02-29 00:00:00",
    "2023-02-29 00:00:00",
    "1900-02-29 12:00:00",
    "2000-02-29 23:59:59",
    "2024-04-31 10:00:00",
    "2024-13-01 10:00:00",
    "2024-00-10 10:00:00",
    "2024-01-00 10:00:00",
    "2024-01-01 24:00:00",
    "2024-01-01 23:60:00",
    "2024-01-01 23:59:60",
    "0000-01-01 00:00:00",
    "9999-12-31 23:59:59",
    "+2024-01-01 10:00:00",
    "2024-1-01 10:00:00",
    "2024-01-01T10:00:00",
    "2024-01-01 10:00:00 ",
    "２０２４-01-01 10:00:00",
    "2024/01/01 10:00:00",
    "31.02.2024",
    "29.02.2024",
    "29.02.2023",
    "01.01.0001",
    "00.01.2024",
    "1.1.2024",
    "20240229",
    "20230229",
    "20241231",
    "2024123",
    "202412311",
  };

  @ParameterizedTest
  @ValueSource(
      strings = {
        "yyyy-MM-dd HH:mm:ss",
        "dd.MM.yyyy",
        "yyyyMMdd",
        "yyyy-MM-dd'T'HH:mm:ss",
        "uuuu/MM/dd",
        "dd.MM.yyyy HH:mm:ss 'Uhr'"
      })
  void fixedWidthPatternsReadTheDigitsAndAgreeWithTheFormatter(String text) {
    DatePattern pattern = DatePattern.of(text);
    assertThat(pattern.direct()).isTrue();
    List<String> samples = samples(pattern.formatter(), new Random(text.hashCode()));
    int direct = 0;
    for (String sample : samples) {
      assertSame(pattern, sample);
      if (pattern.readDirect(sample) != null) {
        direct++;
      }
    }
    // The valid half of the samples is read without the formatter.
    assertThat(direct).isGreaterThanOrEqualTo(samples.size() / 2);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "dd MMM yyyy",
        "MM/dd/yyyy HH:mm",
        "d.M.yyyy",
        "yyyy-MM-dd HH:mm:ss.SSS",
        "yyyy-MM-dd['T'HH:mm:ss]",
        "yy-MM-dd",
        "hh:mm a dd.MM.yyyy",
        "yyyy-MM-dd 'o''clock' HH:mm:ss",
        "yyyy-MM-dd HH"
      })
  void otherPatternsAreLeftToTheFormatter(String text) {
    DatePattern pattern = DatePattern.of(text);
    assertThat(pattern.direct()).isFalse();
    for (String sample : samples(pattern.formatter(), new Random(text.hashCode()))) {
      assertThat(pattern.readDirect(sample)).isNull();
      assertSame(pattern, sample);
    }
  }

  @Test
  void aQuoteInALiteralIsNotReadAsTwoLiterals() {
    // Read as two literals "o" and "clock" the text without the quote would pass.
    DatePattern pattern = DatePattern.of("yyyy-MM-dd 'o''clock'");
    assertThat(pattern.direct()).isFalse();
    assertSame(pattern, "2024-01-01 oclock");
    assertSame(pattern, "2024-01-01 o'clock");
  }

  @Test
  void aTimestampOfADateOnlyPatternIsTheFormattersError() {
    DatePattern pattern = DatePattern.of("yyyy-MM-dd");
    assertThat(pattern.direct()).isTrue();
    assertThat(outcome(pattern::dateTime, "2024-01-01"))
        .isEqualTo(outcome(t -> LocalDateTime.parse(t, pattern.formatter()), "2024-01-01"))
        .startsWith("error");
    assertThat(outcome(pattern::date, "2024-01-01")).isEqualTo("2024-01-01");
  }

  /** Both readings of {@code text}, as a date and as a date-time, match the formatter's. */
  private static void assertSame(DatePattern pattern, String text) {
    DateTimeFormatter formatter = pattern.formatter();
    assertThat(outcome(pattern::date, text))
        .as("date of '%s'", text)
        .isEqualTo(outcome(t -> LocalDate.parse(t, formatter), text));
    assertThat(outcome(pattern::dateTime, text))
        .as("date-time of '%s'", text)
        .isEqualTo(outcome(t -> LocalDateTime.parse(t, formatter), text));
  }

  private static String outcome(Function<String, Object> parse, String text) {
    try {
      return String.valueOf(parse.apply(text));
    } catch (RuntimeException e) {
      return "error " + e.getClass().getName() + ": " + e.getMessage();
    }
  }

  /**
   * Valid values formatted by the pattern, each also with one digit changed (often a date that does
   * not exist), and the edge cases.
   */
  private static List<String> samples(DateTimeFormatter formatter, Random random) {
    List<String> samples = new ArrayList<>(List.of(EDGES));
    for (int i = 0; i < 2_000; i++) {
      LocalDateTime value =
          LocalDateTime.of(
              random.nextInt(10_000),
              1 + random.nextInt(12),
              1 + random.nextInt(28),
              random.nextInt(24),
              random.nextInt(60),
              random.nextInt(60));
      String text = formatter.format(value);
      samples.add(text);
      char[] changed = text.toCharArray();
      int at = random.nextInt(changed.length);
      if (Character.isDigit(changed[at])) {
        changed[at] = (char) ('0' + random.nextInt(10));
      }
      samples.add(new String(changed));
    }
    return samples;
  }
}
