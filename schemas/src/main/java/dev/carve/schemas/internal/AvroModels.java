package dev.carve.schemas.internal;

import org.apache.avro.Conversions;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;

/** The Avro data models Carve's serde uses. */
public final class AvroModels {
  private static final GenericData WITH_CONVERSIONS = create();

  private AvroModels() {}

  /**
   * A generic model with the standard logical-type conversions (decimal ↔ BigDecimal, date ↔
   * LocalDate, timestamps ↔ Instant, uuid ↔ UUID). Writing through it accepts both the converted
   * and the raw form (ByteBuffer, int, long).
   */
  public static GenericData genericWithConversions() {
    return WITH_CONVERSIONS;
  }

  private static GenericData create() {
    GenericData data = new GenericData();
    data.addLogicalTypeConversion(new Conversions.DecimalConversion());
    data.addLogicalTypeConversion(new Conversions.UUIDConversion());
    data.addLogicalTypeConversion(new TimeConversions.DateConversion());
    data.addLogicalTypeConversion(new TimeConversions.TimeMillisConversion());
    data.addLogicalTypeConversion(new TimeConversions.TimeMicrosConversion());
    data.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
    data.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
    data.addLogicalTypeConversion(new TimeConversions.LocalTimestampMillisConversion());
    data.addLogicalTypeConversion(new TimeConversions.LocalTimestampMicrosConversion());
    return data;
  }
}
