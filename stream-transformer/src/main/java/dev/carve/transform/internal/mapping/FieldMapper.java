package dev.carve.transform.internal.mapping;

import dev.carve.transform.api.LegacyKeys;
import dev.carve.transform.api.MappingException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.commons.jexl3.JexlExpression;
import org.apache.commons.jexl3.JexlScript;

/**
 * Computes one field of an entity: read a column, an expression or a constant; optionally take a
 * part of a delimited text, look a code up, apply conversions and allocate a new key; then convert
 * to the field's Avro type.
 */
final class FieldMapper {
  private final String field;
  private final Schema schema;
  private final String column;
  private final JexlExpression expression;
  private final Object constant;
  private final Pattern splitDelimiter;
  private final String delimiterText;
  private final int part;
  private final String codeTableName;
  private final Map<String, String> codes;
  private final List<Conversion> conversions;
  private final DatePattern pattern;
  private final String allocateNamespace;

  FieldMapper(
      String field,
      Schema schema,
      String column,
      JexlExpression expression,
      Object constant,
      String delimiter,
      int part,
      String codeTableName,
      Map<String, String> codes,
      List<Conversion> conversions,
      DatePattern pattern,
      String allocateNamespace) {
    this.field = field;
    this.schema = schema;
    this.column = column;
    this.expression = expression;
    this.constant = constant;
    this.delimiterText = delimiter;
    this.splitDelimiter =
        delimiter == null || !delimiter.isEmpty()
            ? null
            : Pattern.compile(Pattern.quote(delimiter));
    this.part = part;
    this.codeTableName = codeTableName;
    this.codes = codes;
    this.conversions = List.copyOf(conversions);
    this.pattern = pattern;
    this.allocateNamespace = allocateNamespace;
  }

  String field() {
    return field;
  }

  /** The field's Avro schema. */
  Schema schema() {
    return schema;
  }

  /** The column this field reads, or null for expressions and constants. */
  String column() {
    return column;
  }

  /**
   * What this field reads: its column, or the variables of its expression as they are written
   * ({@code item.sku}, {@code item_no}, {@code out.total}, {@code customer.country_code}); empty
   * for a constant.
   */
  Set<String> reads() {
    if (column != null) {
      return Set.of(column);
    }
    if (expression == null) {
      return Set.of();
    }
    Set<String> reads = new TreeSet<>();
    for (List<String> path : ((JexlScript) expression).getVariables()) {
      reads.add(String.join(".", path));
    }
    return reads;
  }

  /** The expression this field evaluates, or null. */
  JexlExpression expression() {
    return expression;
  }

  /**
   * Computes the Avro value of the field for {@code row} and makes it visible as {@code
   * out.<field>}.
   *
   * @throws MappingException naming the field and its column
   */
  Object apply(Row row) {
    Object value;
    try {
      value = compute(row);
    } catch (MappingException e) {
      throw new MappingException(
          "field '" + field + "' (" + describeSource() + "): " + e.getMessage(), e);
    }
    Object avro;
    try {
      avro = AvroValues.coerce(value, schema);
    } catch (MappingException e) {
      throw new MappingException(
          "field '" + field + "' (" + describeSource() + ") value " + e.getMessage(), e);
    }
    row.putComputed(field, value);
    return avro;
  }

  private Object compute(Row row) {
    Object value;
    if (column != null) {
      value = row.get(column);
    } else if (expression != null) {
      value = Expressions.evaluate(expression, row);
    } else {
      value = constant;
    }
    if (delimiterText != null && value != null) {
      value = partOf(value.toString());
    }
    if (codes != null && value != null) {
      String code = value.toString();
      String mapped = codes.get(code);
      if (mapped == null) {
        throw new MappingException(
            "unknown code '"
                + code
                + "'"
                + (codeTableName == null ? "" : " in code table '" + codeTableName + "'")
                + "; known codes: "
                + new TreeSet<>(codes.keySet()));
      }
      value = mapped;
    }
    return afterCodes(value);
  }

  /**
   * The Avro value of {@code value}, a value of the field's code table, as the field writes it
   * (conversions, allocation, the field's type): how a row with that code would be mapped.
   *
   * @throws MappingException when the field cannot take it
   */
  Object coerceCodeValue(String value) {
    return AvroValues.coerce(afterCodes(value), schema);
  }

  /** Whether this field writes a constant. */
  boolean isConstant() {
    return column == null && expression == null;
  }

  private Object afterCodes(Object value) {
    for (Conversion conversion : conversions) {
      value = conversion.apply(value, pattern);
    }
    if (allocateNamespace != null && value != null) {
      value = LegacyKeys.allocate(allocateNamespace, value.toString());
    }
    return value;
  }

  /**
   * Part {@link #part} (1-based) of {@code text} split at every occurrence of the delimiter, as
   * {@code Pattern.quote(delimiter).split(text, -1)} gives it, without a regular expression or an
   * array for a non-empty delimiter.
   */
  private String partOf(String text) {
    if (delimiterText.isEmpty()) {
      String[] parts = splitDelimiter.split(text, -1);
      if (part > parts.length) {
        throw missingPart(text, parts.length);
      }
      return parts[part - 1];
    }
    int start = 0;
    for (int i = 1; i < part; i++) {
      int at = text.indexOf(delimiterText, start);
      if (at < 0) {
        throw missingPart(text, i);
      }
      start = at + delimiterText.length();
    }
    int end = text.indexOf(delimiterText, start);
    return text.substring(start, end < 0 ? text.length() : end);
  }

  private MappingException missingPart(String text, int parts) {
    return new MappingException(
        "'"
            + text
            + "' has "
            + parts
            + " part(s) separated by '"
            + delimiterText
            + "'; part "
            + part
            + " is missing");
  }

  private String describeSource() {
    if (column != null) {
      return "column '" + column + "'";
    }
    if (expression != null) {
      return "expression '" + expression.getSourceText() + "'";
    }
    return "constant";
  }
}
