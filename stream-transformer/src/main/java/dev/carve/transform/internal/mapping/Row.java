package dev.carve.transform.internal.mapping;

import dev.carve.transform.api.ChangeEvent;
import dev.carve.transform.api.MappingException;
import java.util.HashMap;
import java.util.Map;

/**
 * The columns a mapping reads for one change, plus the element of an exploded blob ({@code
 * item.<field>}, {@code item_no}) and the fields computed so far ({@code out.<field>}). Reading a
 * column that is missing or still holds Debezium's unchanged-TOAST placeholder fails the change.
 */
final class Row {
  static final String ITEM_PREFIX = "item.";
  static final String ITEM_NO = "item_no";
  static final String OUT_PREFIX = "out.";

  private final String table;
  private final Map<String, Object> columns;
  private final Map<String, Object> item;
  private final int itemNo;
  private final String blobColumn;
  private final Map<String, Object> computed = new HashMap<>();
  private final Map<String, Map<String, Object>> joined;

  Row(String table, Map<String, Object> columns) {
    this(table, columns, Map.of());
  }

  /**
   * A row with the rows joined to it by alias ({@code <alias>.<column>}; a null row reads as null
   * columns: a left join).
   */
  Row(String table, Map<String, Object> columns, Map<String, Map<String, Object>> joined) {
    this(table, columns, null, 0, null, joined);
  }

  private Row(
      String table,
      Map<String, Object> columns,
      Map<String, Object> item,
      int itemNo,
      String blob,
      Map<String, Map<String, Object>> joined) {
    this.table = table;
    this.columns = columns;
    this.item = item;
    this.itemNo = itemNo;
    this.blobColumn = blob;
    this.joined = joined;
  }

  /** This row with element {@code itemNo} (1-based) of the blob in {@code blobColumn}. */
  Row withItem(Map<String, Object> item, int itemNo, String blobColumn) {
    return new Row(table, columns, item, itemNo, blobColumn, joined);
  }

  /** The alias of a joined row {@code name} reads, or null. */
  private String aliasOf(String name) {
    int dot = name.indexOf('.');
    if (dot <= 0 || joined.isEmpty()) {
      return null;
    }
    String alias = name.substring(0, dot);
    return joined.containsKey(alias) ? alias : null;
  }

  String table() {
    return table;
  }

  /** True when {@code name} can be read: a column, an item field or a computed field. */
  boolean has(String name) {
    if (name.startsWith(OUT_PREFIX)) {
      return computed.containsKey(name.substring(OUT_PREFIX.length()));
    }
    if (item != null) {
      if (name.equals(ITEM_NO)) {
        return true;
      }
      if (name.startsWith(ITEM_PREFIX)) {
        return item.containsKey(name.substring(ITEM_PREFIX.length()));
      }
    }
    String alias = aliasOf(name);
    if (alias != null) {
      Map<String, Object> row = joined.get(alias);
      return row == null || row.containsKey(name.substring(alias.length() + 1));
    }
    return columns.containsKey(name);
  }

  /**
   * Reads a column, item field ({@code item.sku}, {@code item_no}) or computed field ({@code
   * out.total_cents}).
   *
   * @throws MappingException when it is missing or holds the unchanged-TOAST placeholder
   */
  Object get(String name) {
    if (name.startsWith(OUT_PREFIX)) {
      String field = name.substring(OUT_PREFIX.length());
      if (!computed.containsKey(field)) {
        throw new MappingException(
            "'" + name + "' is not a field computed before this one (fields run in file order)");
      }
      return computed.get(field);
    }
    if (item != null) {
      if (name.equals(ITEM_NO)) {
        return itemNo;
      }
      if (name.startsWith(ITEM_PREFIX)) {
        String field = name.substring(ITEM_PREFIX.length());
        if (!item.containsKey(field)) {
          throw new MappingException(
              "element "
                  + itemNo
                  + " of column '"
                  + blobColumn
                  + "' of table '"
                  + table
                  + "' has no field '"
                  + field
                  + "'");
        }
        return item.get(field);
      }
    }
    String alias = aliasOf(name);
    if (alias != null) {
      return joinedColumn(alias, name.substring(alias.length() + 1));
    }
    if (!columns.containsKey(name)) {
      throw new MappingException(
          "column '"
              + name
              + "' is missing from table '"
              + table
              + "' (dropped or renamed in the source? the row has "
              + columns.keySet()
              + ")");
    }
    Object value = columns.get(name);
    if (ChangeEvent.isUnavailable(value)) {
      throw new MappingException(
          "column '"
              + name
              + "' of table '"
              + table
              + "' holds Debezium's unchanged-TOAST placeholder; list the column under 'toast:' of"
              + " the entity so its last value is kept");
    }
    return value;
  }

  private Object joinedColumn(String alias, String column) {
    Map<String, Object> row = joined.get(alias);
    if (row == null) {
      return null; // no referenced row: a left join reads null
    }
    if (!row.containsKey(column)) {
      throw new MappingException(
          "column '"
              + column
              + "' is missing from the row joined as '"
              + alias
              + "' to table '"
              + table
              + "' (the joined row has "
              + row.keySet()
              + ")");
    }
    Object value = row.get(column);
    if (ChangeEvent.isUnavailable(value)) {
      throw new MappingException(
          "column '"
              + column
              + "' of the row joined as '"
              + alias
              + "' holds Debezium's unchanged-TOAST placeholder (the joined table's TOASTed"
              + " columns cannot be joined; set REPLICA IDENTITY FULL on it)");
    }
    return value;
  }

  /** Makes a computed field visible to later fields as {@code out.<field>}. */
  void putComputed(String field, Object value) {
    computed.put(field, value);
  }
}
