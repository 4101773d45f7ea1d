package dev.carve.transform.internal.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.transform.api.MappingException;
import java.math.BigDecimal;
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
  void finiteNumbersAreConverted() {
    assertThat(AvroValues.coerce("12.5", DOUBLE)).isEqualTo(12.5d);
    assertThat(AvroValues.coerce(3L, FLOAT)).isEqualTo(3.0f);
    assertThat(AvroValues.coerce("1e308", DOUBLE)).isEqualTo(1e308d);
  }
}
