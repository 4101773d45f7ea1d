package dev.carve.transform.internal.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.transform.api.MappingException;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

class ConversionTest {

  private static long micros(String instant) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.parse(instant));
  }

  @Test
  void aNumberWhereThePatternExpectsTextIsAnErrorNotDaysOrMicros() {
    // Regression: a yyyyMMdd text column that drifted to the integer 20190321 was taken as days
    // since 1970 (year 57249); a BigInteger wrapped silently through longValue().
    DatePattern yyyyMMdd = DatePattern.of("yyyyMMdd");
    assertThatThrownBy(() -> Conversion.DATE.apply(20190321L, yyyyMMdd))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("'20190321'")
        .hasMessageContaining("is a number")
        .hasMessageContaining("pattern 'yyyyMMdd'");
    DatePattern timestamp = DatePattern.of("yyyy-MM-dd HH:mm:ss");
    assertThatThrownBy(() -> Conversion.TIMESTAMP.apply(1_553_177_109_000_000L, timestamp))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("is a number");
    assertThatThrownBy(
            () -> Conversion.TIMESTAMP.apply(BigInteger.TWO.pow(64).add(BigInteger.ONE), timestamp))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("is a number");
    assertThat(Conversion.DATE.apply("20190321", yyyyMMdd))
        .isEqualTo((int) LocalDate.of(2019, 3, 21).toEpochDay());
  }

  @Test
  void aTimestampWithAnOffsetIsConvertedToUtc() {
    // Regression: LocalDateTime.parse dropped "+02:00", so 14:05:09+02:00 became 14:05:09 UTC.
    DatePattern offset = DatePattern.of("yyyy-MM-dd'T'HH:mm:ssXXX");
    assertThat(Conversion.TIMESTAMP.apply("2019-03-21T14:05:09+02:00", offset))
        .isEqualTo(micros("2019-03-21T12:05:09Z"));
    assertThat(Conversion.TIMESTAMP.apply("2019-03-21T14:05:09Z", offset))
        .isEqualTo(micros("2019-03-21T14:05:09Z"));
    DatePattern zone = DatePattern.of("yyyy-MM-dd HH:mm:ss VV");
    assertThat(Conversion.TIMESTAMP.apply("2019-07-01 14:05:09 Europe/Berlin", zone))
        .isEqualTo(micros("2019-07-01T12:05:09Z"));
    DatePattern optional = DatePattern.of("yyyy-MM-dd HH:mm:ss[xx]");
    assertThat(Conversion.TIMESTAMP.apply("2019-03-21 14:05:09-0130", optional))
        .isEqualTo(micros("2019-03-21T15:35:09Z"));
    assertThat(Conversion.TIMESTAMP.apply("2019-03-21 14:05:09", optional))
        .isEqualTo(micros("2019-03-21T14:05:09Z"));
    assertThatThrownBy(() -> Conversion.TIMESTAMP.apply("2019-03-21T14:05:09", offset))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("does not match the timestamp pattern");
  }

  @Test
  void aPatternKnowsWhetherItHoldsAnOffsetOrZone() {
    assertThat(DatePattern.of("yyyy-MM-dd'T'HH:mm:ssXXX").hasZone()).isTrue();
    assertThat(DatePattern.of("yyyy-MM-dd HH:mm:ss Z").hasZone()).isTrue();
    assertThat(DatePattern.of("yyyy-MM-dd HH:mm:ss z").hasZone()).isTrue();
    assertThat(DatePattern.of("yyyy-MM-dd HH:mm:ss O").hasZone()).isTrue();
    assertThat(DatePattern.of("yyyy-MM-dd HH:mm:ss 'UTC'").hasZone()).isFalse();
    assertThat(DatePattern.of("dd.MM.yyyy").hasZone()).isFalse();
  }
}
