package dev.carve.transform.internal.mapping;

import dev.carve.transform.api.ForeignKeyJoin;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.commons.jexl3.JexlExpression;

/**
 * One entity of a compiled YAML mapping.
 *
 * @param entity the entity name, e.g. {@code order_line}
 * @param table the legacy table it is read from
 * @param keySchema the Avro key schema
 * @param valueSchema the Avro value schema
 * @param fields the value fields, in file order
 * @param keyFields the names of the key fields (each also a value field)
 * @param defaults values of schema fields the mapping leaves out (they all have defaults)
 * @param filter rows for which this is false become deletes; null keeps every row
 * @param toastColumns columns whose last value is kept to fill unchanged-TOAST placeholders
 * @param explodeColumn the JSON array column exploded into one record per element, or null
 * @param join the foreign-key join of another table whose columns fields read as {@code
 *     <alias>.<column>}, or null
 */
record EntityDefinition(
    String entity,
    String table,
    Schema keySchema,
    Schema valueSchema,
    List<FieldMapper> fields,
    List<String> keyFields,
    Map<String, Object> defaults,
    JexlExpression filter,
    List<String> toastColumns,
    String explodeColumn,
    JoinDefinition join) {

  /**
   * {@code join: {table, on, as, where}} of an entity.
   *
   * @param table the referenced (right) table
   * @param on left column to right column, in file order
   * @param alias the prefix fields read its columns with
   * @param where right rows for which this is false are not joined; null joins every row
   * @param strategy how the join runs ({@code strategy: broadcast | ktable}, default broadcast)
   * @param waitFor {@code wait:}, zero when absent
   * @param catchUpWait {@code catch-up-wait:}, zero when absent
   */
  record JoinDefinition(
      String table,
      Map<String, String> on,
      String alias,
      JexlExpression where,
      ForeignKeyJoin.Strategy strategy,
      Duration waitFor,
      Duration catchUpWait) {}
}
