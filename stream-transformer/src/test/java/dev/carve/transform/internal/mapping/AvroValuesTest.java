package dev.carve.transform.internal.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.transform.api.MappingException;
import java.math.BigDecimal;
import java.math.BigInteger;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class AvroValuesTest {
  private static final Schema DOUBLE = Schema.create(Schema.Type.DOUBLE);
  private static final Schema FLOAT = Schema.create(Schema.Type.FLOAT);

  @Test
  void numberBeyondTheRangeOfADoubleIsAnErrorNotInfinity() {
    // Regression: "1e400" became Double.POSITIVE_INFINITY, silently.
    assertThatThrownBy(() -> AvroValues.coerce("1e400", DOUBLE))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("'1e400'")
        .hasMessageContaining("double");
    assertThatThrownBy(() -> AvroValues.coerce(new BigDecimal("-1e400"), DOUBLE))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("double");
    assertThatThrownBy(() -> AvroValues.coerce("1e39", FLOAT))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("'1e39'")
        .hasMessageContaining("float");
  }

  @Test
  void wholeNumberBeyondLongOrIntIsAMappingErrorNamingTheValue() {
    // A bare ArithmeticException ("Overflow") lost the field and column in the dead letter.
    BigInteger tooBig = BigInteger.TWO.pow(64).add(BigInteger.ONE);
    assertThatThrownBy(() -> AvroValues.coerce(tooBig, Schema.create(Schema.Type.LONG)))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("'" + tooBig + "'")
        .hasMessageContaining("long");
    assertThatThrownBy(() -> AvroValues.coerce(3_000_000_000L, Schema.create(Schema.Type.INT)))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("'3000000000'")
        .hasMessageContaining("int");
    assertThatThrownBy(() -> AvroValues.coerce("1.5", Schema.create(Schema.Type.LONG)))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("'1.5'");
  }

  @Test
  void finiteNumbersAreConverted() {
    assertThat(AvroValues.coerce("12.5", DOUBLE)).isEqualTo(12.5d);
    assertThat(AvroValues.coerce(3L, FLOAT)).isEqualTo(3.0f);
    assertThat(AvroValues.coerce("1e308", DOUBLE)).isEqualTo(1e308d);
  }
}
