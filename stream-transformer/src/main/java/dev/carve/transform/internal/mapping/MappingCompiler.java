package dev.carve.transform.internal.mapping;

import dev.carve.core.Topics;
import dev.carve.core.config.ConfigException;
import dev.carve.core.config.ConfigOption;
import dev.carve.transform.api.ForeignKeyJoin;
import dev.carve.transform.api.MappingException;
import dev.carve.transform.mapping.SchemaResolver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.commons.jexl3.JexlExpression;

/**
 * Compiles a YAML mapping into a {@link YamlDomainTopology}, collecting every problem with its
 * line, key and what is allowed, and failing once.
 */
public final class MappingCompiler {
  private static final List<String> TOP_KEYS = List.of("service", "code-tables", "entities");
  private static final List<String> ENTITY_KEYS =
      List.of(
          "table",
          "key",
          "join",
          "fields",
          "filter",
          "toast",
          "explode",
          "value-schema",
          "key-schema");
  private static final List<String> JOIN_KEYS =
      List.of("table", "on", "as", "where", "strategy", "wait", "catch-up-wait");
  private static final List<String> FIELD_KEYS =
      List.of(
          "column", "expr", "const", "split", "part", "codes", "convert", "pattern", "allocate");
  private static final List<String> EXPLODE_KEYS = List.of("json-array");

  private final String source;
  private final SchemaResolver schemas;
  private final List<String> problems = new ArrayList<>();
  private final Map<String, Map<String, String>> codeTables = new LinkedHashMap<>();
  private final Map<String, String> joinByTable = new LinkedHashMap<>();

  private MappingCompiler(String source, SchemaResolver schemas) {
    this.source = source;
    this.schemas = schemas;
  }

  /**
   * Compiles mapping text.
   *
   * @throws ConfigException listing every problem
   */
  public static YamlDomainTopology compile(String yaml, String source, SchemaResolver schemas) {
    MappingCompiler compiler = new MappingCompiler(source, schemas);
    YamlNode root = YamlNode.parse(yaml, source);
    YamlDomainTopology topology = compiler.compile(root);
    if (!compiler.problems.isEmpty()) {
      throw new ConfigException(source, compiler.problems);
    }
    return topology;
  }

  private YamlDomainTopology compile(YamlNode root) {
    if (!root.isMap()) {
      problem(root, "a mapping must be a YAML map with keys " + TOP_KEYS);
      return null;
    }
    checkKeys(root, TOP_KEYS);
    String service = requiredText(root, "service");
    if (service != null) {
      try {
        Topics.checkName("service", service);
      } catch (IllegalArgumentException e) {
        problem(root.get("service"), e.getMessage());
        service = null;
      }
    }
    YamlNode tables = root.get("code-tables");
    if (tables != null) {
      if (!tables.isMap()) {
        problem(tables, "expected a map of code table name to a map of code: value");
      } else {
        tables.entries().forEach((name, table) -> codeTables.put(name, codeMap(table)));
      }
    }
    YamlNode entitiesNode = root.get("entities");
    List<EntityDefinition> entities = new ArrayList<>();
    if (entitiesNode == null) {
      problem(root, "missing required key 'entities' (a map of entity name to its mapping)");
    } else if (!entitiesNode.isMap() || entitiesNode.entries().isEmpty()) {
      problem(entitiesNode, "expected a non-empty map of entity name to its mapping");
    } else if (service != null) {
      for (Map.Entry<String, YamlNode> e : entitiesNode.entries().entrySet()) {
        EntityDefinition def = entity(service, e.getKey(), e.getValue());
        if (def != null) {
          entities.add(def);
        }
      }
    }
    if (entitiesNode != null && entitiesNode.isMap()) {
      checkTablesReadOnce(entitiesNode);
    }
    return service == null ? null : new YamlDomainTopology(service, source, entities);
  }

  /**
   * A service reads each raw topic once ({@code TopologyContext}): the joined (right) table of a
   * join can be neither an entity's table nor the joined table of another table's join.
   */
  private void checkTablesReadOnce(YamlNode entitiesNode) {
    // By raw topic ("addresses" and "public.addresses" are one table): the entity and its node.
    Map<String, Map.Entry<String, YamlNode>> mapped = new LinkedHashMap<>();
    Map<String, Map.Entry<String, YamlNode>> joined = new LinkedHashMap<>();
    Map<String, String> leftOfJoined = new LinkedHashMap<>();
    for (Map.Entry<String, YamlNode> e : entitiesNode.entries().entrySet()) {
      YamlNode table = e.getValue().isMap() ? e.getValue().get("table") : null;
      if (table != null && table.isScalar()) {
        mapped.putIfAbsent(topicOf(table.text()), Map.entry(e.getKey(), table));
      }
    }
    for (Map.Entry<String, YamlNode> e : entitiesNode.entries().entrySet()) {
      YamlNode entity = e.getValue();
      YamlNode table = entity.isMap() ? entity.get("table") : null;
      YamlNode join = entity.isMap() ? entity.get("join") : null;
      YamlNode right = join != null && join.isMap() ? join.get("table") : null;
      if (table == null || !table.isScalar() || right == null || !right.isScalar()) {
        continue;
      }
      String topic = topicOf(right.text());
      Map.Entry<String, YamlNode> entityOfRight = mapped.get(topic);
      if (entityOfRight != null && !topicOf(table.text()).equals(topic)) {
        problem(
            right,
            "table '"
                + right.text()
                + "' is joined here and also mapped by entity '"
                + entityOfRight.getKey()
                + "' (line "
                + entityOfRight.getValue().line()
                + "); a table is read once per service, so a joined table cannot be mapped as an"
                + " entity of the same service. Allowed: map it in another service (its own"
                + " mapping file), or join it without mapping it here");
        continue;
      }
      Map.Entry<String, YamlNode> other = joined.putIfAbsent(topic, Map.entry(e.getKey(), right));
      String left = topicOf(table.text());
      String otherLeft = leftOfJoined.putIfAbsent(topic, left);
      if (other != null && !otherLeft.equals(left)) {
        problem(
            right,
            "table '"
                + right.text()
                + "' is also joined by entity '"
                + other.getKey()
                + "' (line "
                + other.getValue().line()
                + ") of table '"
                + otherLeft
                + "'; a table is read once per service, so it can be the joined table of one"
                + " table's join only (the entities of one table share its join). Allowed: join it"
                + " from one table, or map the other table in another service");
      }
    }
  }

  /** The table as its raw topic names it: "addresses" is "public.addresses". */
  private static String topicOf(String table) {
    return table.contains(".") ? table : "public." + table;
  }

  private EntityDefinition entity(String service, String entity, YamlNode node) {
    try {
      Topics.checkName("entity", entity);
    } catch (IllegalArgumentException e) {
      problem(node, e.getMessage());
      return null;
    }
    if (!node.isMap()) {
      problem(node, "expected a map with keys " + ENTITY_KEYS);
      return null;
    }
    int before = problems.size();
    checkKeys(node, ENTITY_KEYS);
    String table = requiredText(node, "table");
    String valueName = optionalText(node, "value-schema", camel(entity));
    String keyName = optionalText(node, "key-schema", camel(entity) + "Key");
    Schema valueSchema = schema(node, service, valueName, "value-schema");
    Schema keySchema = schema(node, service, keyName, "key-schema");
    List<String> keyFields = textList(node, "key", true);
    List<String> toast = textList(node, "toast", false);
    JexlExpression filter = null;
    YamlNode filterNode = node.get("filter");
    if (filterNode != null) {
      filter = expression(filterNode);
    }
    String explodeColumn = null;
    YamlNode explode = node.get("explode");
    if (explode != null) {
      if (!explode.isMap()) {
        problem(explode, "expected a map with key 'json-array: <column>'");
      } else {
        checkKeys(explode, EXPLODE_KEYS);
        explodeColumn = requiredText(explode, "json-array");
      }
    }
    EntityDefinition.JoinDefinition join =
        node.get("join") == null ? null : join(node.get("join"), table);
    if (join != null && table != null) {
      String text = joinText(join);
      String other = joinByTable.putIfAbsent(table, text);
      if (other != null && !other.equals(text)) {
        problem(
            node.get("join"),
            "table '"
                + table
                + "' is already joined differently by another entity ("
                + other
                + "); the entities of one table share one join");
      }
    }
    YamlNode fieldsNode = node.get("fields");
    List<FieldMapper> fields = new ArrayList<>();
    if (fieldsNode == null) {
      problem(node, "missing required key 'fields' (a map of field name to its source)");
    } else if (!fieldsNode.isMap()) {
      problem(fieldsNode, "expected a map of field name to its source");
    } else if (valueSchema != null) {
      for (Map.Entry<String, YamlNode> f : fieldsNode.entries().entrySet()) {
        Schema.Field schemaField = valueSchema.getField(f.getKey());
        if (schemaField == null) {
          problem(
              f.getValue(),
              "field '"
                  + f.getKey()
                  + "' is not in schema "
                  + valueSchema.getFullName()
                  + "; its fields: "
                  + fieldNames(valueSchema));
          continue;
        }
        String unsupported = AvroValues.unsupported(schemaField.schema());
        if (unsupported != null) {
          problem(f.getValue(), unsupported);
          continue;
        }
        FieldMapper mapper = field(f.getKey(), schemaField.schema(), f.getValue());
        if (mapper != null) {
          checkAlias(f.getValue(), mapper.column(), join);
          fields.add(mapper);
        }
      }
    }
    Map<String, Object> defaults = new LinkedHashMap<>();
    if (valueSchema != null && fieldsNode != null && fieldsNode.isMap()) {
      List<String> missing = new ArrayList<>();
      for (Schema.Field f : valueSchema.getFields()) {
        if (fieldsNode.get(f.name()) == null) {
          if (f.hasDefaultValue()) {
            defaults.put(
                f.name(),
                f.defaultVal() == org.apache.avro.JsonProperties.NULL_VALUE
                    ? null
                    : org.apache.avro.generic.GenericData.get().getDefaultValue(f));
          } else {
            missing.add(f.name());
          }
        }
      }
      if (!missing.isEmpty()) {
        problem(
            fieldsNode,
            "schema "
                + valueSchema.getFullName()
                + " needs the field(s) "
                + missing
                + ", which have no default; map them");
      }
    }
    if (keySchema != null && valueSchema != null && keyFields != null) {
      checkKeyFields(node.get("key"), keySchema, valueSchema, keyFields, fieldsNode);
    }
    if (explodeColumn != null && keyFields != null && problems.size() == before) {
      checkExplodedKey(entity, table, node.get("key"), keyFields, fields, fieldsNode);
    }
    if (problems.size() > before) {
      return null;
    }
    return new EntityDefinition(
        entity,
        table,
        keySchema,
        valueSchema,
        fields,
        keyFields,
        defaults,
        filter,
        toast == null ? List.of() : toast,
        explodeColumn,
        join);
  }

  /** {@code join: {table: addresses, on: {cust_no: cust_no}, as: customer, where: "..."}}. */
  private EntityDefinition.JoinDefinition join(YamlNode node, String leftTable) {
    if (!node.isMap()) {
      problem(
          node,
          "expected a map with keys "
              + JOIN_KEYS
              + ", e.g. {table: customers, on: {cust_no: cust_no}, as: customer}");
      return null;
    }
    int before = problems.size();
    checkKeys(node, JOIN_KEYS);
    String table = requiredText(node, "table");
    String alias = requiredText(node, "as");
    if (alias != null) {
      if (!alias.matches("[a-z][a-z0-9_]*")) {
        problem(node.get("as"), "expected a lower-case name (letters, digits, '_'), e.g. customer");
      } else if (alias.equals("item") || alias.equals("out")) {
        problem(
            node.get("as"),
            "'" + alias + "' is reserved (item.<field> of exploded elements, out.<field>)");
      }
    }
    if (table != null && table.equals(leftTable)) {
      problem(node.get("table"), "an entity cannot join its own table '" + table + "'");
    }
    Map<String, String> on = new LinkedHashMap<>();
    YamlNode onNode = node.get("on");
    if (onNode == null) {
      problem(node, "missing required key 'on' (a map of this table's column: the joined column)");
    } else if (!onNode.isMap() || onNode.entries().isEmpty()) {
      problem(onNode, "expected a non-empty map of this table's column: the joined table's column");
    } else {
      onNode.entries().forEach((left, right) -> on.put(left, scalar(right)));
    }
    JexlExpression where = node.get("where") == null ? null : expression(node.get("where"));
    String strategyText = optionalText(node, "strategy", "broadcast");
    ForeignKeyJoin.Strategy strategy = ForeignKeyJoin.Strategy.BROADCAST;
    if (strategyText != null) {
      try {
        strategy = ForeignKeyJoin.Strategy.valueOf(strategyText.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        problem(
            node.get("strategy"),
            "unknown join strategy '"
                + strategyText
                + "'; allowed: broadcast (the joined rows are copied to every partition of this"
                + " table), ktable (Kafka Streams' KTable foreign-key join)");
      }
    }
    String waitText = optionalText(node, "wait", null);
    Duration wait =
        joinDuration(
            node,
            "wait",
            waitText,
            "500ms, 2s, 1m",
            "how long a row waits for its joined row",
            strategy);
    String catchUpText = optionalText(node, "catch-up-wait", null);
    Duration catchUp =
        joinDuration(
            node,
            "catch-up-wait",
            catchUpText,
            "1m, 2m",
            "the longest a row waits for its joined row while the joined table catches up",
            strategy);
    if (!catchUp.isZero()
        && strategy != ForeignKeyJoin.Strategy.KTABLE
        && (wait.isZero() || catchUp.compareTo(wait) < 0)) {
      problem(
          node.get("catch-up-wait"),
          "'catch-up-wait' ("
              + catchUpText
              + ") is the longest a row waits in all: it needs a 'wait' and cannot be shorter"
              + " than it"
              + (wait.isZero() ? "" : " (" + waitText + ")"));
    }
    if (problems.size() > before) {
      return null;
    }
    return new EntityDefinition.JoinDefinition(table, on, alias, where, strategy, wait, catchUp);
  }

  /**
   * The duration {@code text} of the join's {@code key} (zero when absent or not a duration, which
   * is reported); a duration on the ktable strategy is reported too.
   */
  private Duration joinDuration(
      YamlNode node,
      String key,
      String text,
      String examples,
      String what,
      ForeignKeyJoin.Strategy strategy) {
    if (text == null) {
      return Duration.ZERO;
    }
    Duration duration;
    try {
      duration = ConfigOption.parseDuration(text);
    } catch (RuntimeException e) {
      problem(
          node.get(key),
          "expected a duration (e.g. " + examples + "): " + what + "; got '" + text + "'");
      return Duration.ZERO;
    }
    if (!duration.isZero() && strategy == ForeignKeyJoin.Strategy.KTABLE) {
      problem(
          node.get(key),
          "'"
              + key
              + "' applies to strategy broadcast only (the ktable join answers a row when its"
              + " subscription is answered, with or without a joined row)");
    }
    return duration;
  }

  private static String joinText(EntityDefinition.JoinDefinition join) {
    return "table "
        + join.table()
        + " on "
        + join.on()
        + " as "
        + join.alias()
        + (join.where() == null ? "" : " where " + join.where().getSourceText())
        + (join.strategy() == ForeignKeyJoin.Strategy.BROADCAST
            ? ""
            : " strategy " + join.strategy().name().toLowerCase(Locale.ROOT))
        + (join.waitFor().isZero() ? "" : " wait " + join.waitFor().toMillis() + "ms")
        + (join.catchUpWait().isZero()
            ? ""
            : " catch-up-wait " + join.catchUpWait().toMillis() + "ms");
  }

  /** A column {@code x.y} must name the join alias (or {@code item} of exploded elements). */
  private void checkAlias(YamlNode node, String column, EntityDefinition.JoinDefinition join) {
    if (column == null || !column.contains(".") || column.startsWith(Row.ITEM_PREFIX)) {
      return;
    }
    String alias = column.substring(0, column.indexOf('.'));
    if (join == null || !join.alias().equals(alias)) {
      problem(
          node,
          "column '"
              + column
              + "' reads '"
              + alias
              + "', which is not the alias of this entity's join"
              + (join == null
                  ? " (it has none; add join: {table, on, as: " + alias + "})"
                  : " ('" + join.alias() + "')"));
    }
  }

  private void checkKeyFields(
      YamlNode keyNode,
      Schema keySchema,
      Schema valueSchema,
      List<String> keyFields,
      YamlNode fieldsNode) {
    Set<String> expected = new LinkedHashSet<>(fieldNames(keySchema));
    if (!expected.equals(new LinkedHashSet<>(keyFields))) {
      problem(
          keyNode,
          "the key fields "
              + keyFields
              + " do not match the fields "
              + expected
              + " of key schema "
              + keySchema.getFullName());
      return;
    }
    for (String k : keyFields) {
      Schema.Field valueField = valueSchema.getField(k);
      if (valueField == null || fieldsNode == null || fieldsNode.get(k) == null) {
        problem(keyNode, "key field '" + k + "' must also be mapped under 'fields'");
      } else if (!valueField.schema().equals(keySchema.getField(k).schema())) {
        problem(
            keyNode,
            "key field '"
                + k
                + "' has type "
                + keySchema.getField(k).schema()
                + " in the key schema but "
                + valueField.schema()
                + " in the value schema");
      }
    }
  }

  /**
   * The key of an exploded entity must be made only of the table's columns and the element's
   * position ({@code item_no}), and must include the position: the children of a parent are
   * counted, and those past a shrunk blob's end are deleted by rebuilding their keys from the row
   * and their positions alone (the elements are gone). A key read from an element could not be
   * rebuilt, a changed element value would leave its old child behind, and a key without the
   * position would put every child of a parent on one key.
   */
  private void checkExplodedKey(
      String entity,
      String table,
      YamlNode keyNode,
      List<String> keyFields,
      List<FieldMapper> fields,
      YamlNode fieldsNode) {
    String allowed =
        "; the key of an exploded entity may be made only of columns of table '"
            + table
            + "' and the element's position item_no, since children past the end of a shrunk"
            + " blob are deleted by rebuilding their keys from the row and their positions (the"
            + " element is gone, and a changed element value would leave its old child behind)."
            + " Allowed: a column of the table, item_no, a const, or an expression over those"
            + " (e.g. line_no: item_no); keep element fields (item.<field>) in value fields";
    boolean positional = false;
    int before = problems.size();
    for (String k : keyFields) {
      FieldMapper mapper =
          fields.stream().filter(f -> f.field().equals(k)).findFirst().orElse(null);
      if (mapper == null) {
        continue;
      }
      for (String read : mapper.reads()) {
        if (read.equals(Row.ITEM_NO)) {
          positional = true;
        } else if (read.contains(".")) {
          problem(
              fieldsNode.get(k),
              "key field '"
                  + k
                  + "' of exploded entity '"
                  + entity
                  + "' reads '"
                  + read
                  + "'"
                  + allowed);
        }
      }
    }
    if (!positional && problems.size() == before) {
      problem(
          keyNode,
          "the key "
              + keyFields
              + " of exploded entity '"
              + entity
              + "' does not include the element's position item_no: every element of a row"
              + " would get one key (the children would collapse onto one record)"
              + allowed);
    }
  }

  private FieldMapper field(String name, Schema schema, YamlNode node) {
    if (node.isScalar()) {
      return new FieldMapper(
          name, schema, node.text(), null, null, null, 0, null, null, List.of(), null, null);
    }
    if (!node.isMap()) {
      problem(node, "expected a column name or a map with keys " + FIELD_KEYS);
      return null;
    }
    int before = problems.size();
    checkKeys(node, FIELD_KEYS);
    int sources = 0;
    for (String k : List.of("column", "expr", "const")) {
      if (node.get(k) != null) {
        sources++;
      }
    }
    if (sources != 1) {
      problem(node, "give exactly one of 'column', 'expr' or 'const'");
    }
    String column = optionalText(node, "column", null);
    JexlExpression expression = node.get("expr") == null ? null : expression(node.get("expr"));
    Object constant = null;
    if (node.get("const") != null) {
      constant = scalar(node.get("const"));
    }
    String delimiter = optionalText(node, "split", null);
    int part = 0;
    YamlNode partNode = node.get("part");
    if (delimiter != null || partNode != null) {
      if (delimiter == null || delimiter.isEmpty()) {
        problem(node, "'part' needs 'split: <delimiter>'");
      }
      if (partNode == null) {
        problem(node, "'split' needs 'part: <n>' (1 for the first part)");
      } else {
        try {
          part = Integer.parseInt(scalar(partNode));
          if (part < 1) {
            problem(partNode, "must be 1 or more (parts are counted from 1)");
          }
        } catch (NumberFormatException e) {
          problem(partNode, "expected a whole number (parts are counted from 1)");
        }
      }
    }
    String codeTableName = null;
    Map<String, String> codes = null;
    YamlNode codesNode = node.get("codes");
    if (codesNode != null) {
      if (codesNode.isScalar()) {
        codeTableName = codesNode.text();
        codes = codeTables.get(codeTableName);
        if (codes == null) {
          problem(
              codesNode,
              "unknown code table '"
                  + codeTableName
                  + "'; declared under 'code-tables': "
                  + codeTables.keySet());
        }
      } else {
        codes = codeMap(codesNode);
      }
    }
    List<Conversion> conversions = new ArrayList<>();
    YamlNode convertNode = node.get("convert");
    if (convertNode != null) {
      List<YamlNode> items = convertNode.isList() ? convertNode.items() : List.of(convertNode);
      for (YamlNode item : items) {
        if (!item.isScalar()) {
          problem(item, "expected a conversion name; allowed: " + Conversion.allowed());
          continue;
        }
        try {
          conversions.add(Conversion.ofYaml(item.text()));
        } catch (IllegalArgumentException e) {
          problem(item, e.getMessage());
        }
      }
    }
    DatePattern pattern = null;
    YamlNode patternNode = node.get("pattern");
    boolean needsPattern = conversions.stream().anyMatch(Conversion::needsPattern);
    if (patternNode != null) {
      try {
        pattern = DatePattern.of(scalar(patternNode));
      } catch (IllegalArgumentException e) {
        problem(patternNode, "not a date-time pattern: " + e.getMessage());
      }
      if (!needsPattern) {
        problem(patternNode, "'pattern' is only used with 'convert: date' or 'convert: timestamp'");
      } else if (pattern != null && pattern.hasZone() && conversions.contains(Conversion.DATE)) {
        problem(
            patternNode,
            "a pattern with an offset or time zone (letters X, x, Z, O, V, v, z) cannot be read"
                + " by 'convert: date' (a date has no time to move to UTC; the offset would be"
                + " dropped); use 'convert: timestamp' with a timestamp-micros field, or a pattern"
                + " without the offset");
      } else if (pattern != null
          && !pattern.hasTime()
          && conversions.contains(Conversion.TIMESTAMP)) {
        problem(
            patternNode,
            "'convert: timestamp' needs a pattern with the time of day (letters H, or h with a;"
                + " e.g. 'yyyy-MM-dd HH:mm:ss'): without it every value is an error; for a date"
                + " without time use 'convert: date' with a date field");
      }
    } else if (needsPattern) {
      problem(
          node,
          "'convert: date' and 'convert: timestamp' need 'pattern' (e.g. 'dd.MM.yyyy' or"
              + " 'yyyy-MM-dd HH:mm:ss')");
    }
    String allocate = optionalText(node, "allocate", null);
    if (allocate != null) {
      try {
        Topics.checkName("key namespace", allocate);
      } catch (IllegalArgumentException e) {
        problem(node.get("allocate"), e.getMessage());
      }
    }
    if (problems.size() > before) {
      return null;
    }
    FieldMapper mapper =
        new FieldMapper(
            name,
            schema,
            column,
            expression,
            constant,
            delimiter,
            part,
            codeTableName,
            codes,
            conversions,
            pattern,
            allocate);
    checkValues(mapper, node, codes, codeTableName);
    return mapper;
  }

  /**
   * The values a field gets from the file alone (its code table's values, its constant) must fit
   * the field: each would otherwise dead-letter every row that reaches it.
   */
  private void checkValues(
      FieldMapper mapper, YamlNode node, Map<String, String> codes, String codeTableName) {
    if (codes != null) {
      for (Map.Entry<String, String> code : codes.entrySet()) {
        try {
          mapper.coerceCodeValue(code.getValue());
        } catch (MappingException e) {
          problem(
              node.get("codes"),
              "code '"
                  + code.getKey()
                  + "'"
                  + (codeTableName == null ? "" : " of code table '" + codeTableName + "'")
                  + " maps to '"
                  + code.getValue()
                  + "', which field '"
                  + mapper.field()
                  + "' cannot take: "
                  + e.getMessage());
        }
      }
    }
    if (mapper.isConstant() && node.get("const") != null) {
      try {
        mapper.apply(new Row("", Map.of()));
      } catch (MappingException e) {
        problem(
            node.get("const"),
            "the constant does not fit field '"
                + mapper.field()
                + "' ("
                + AvroValues.nonNull(mapper.schema())
                + "): "
                + e.getMessage());
      }
    }
  }

  private Map<String, String> codeMap(YamlNode node) {
    if (!node.isMap() || node.entries().isEmpty()) {
      problem(node, "expected a non-empty map of legacy code to new value, e.g. {P: PAID}");
      return Map.of();
    }
    Map<String, String> codes = new LinkedHashMap<>();
    node.entries().forEach((code, value) -> codes.put(code, scalar(value)));
    return codes;
  }

  private JexlExpression expression(YamlNode node) {
    if (!node.isScalar()) {
      problem(node, "expected an expression");
      return null;
    }
    try {
      return Expressions.compile(node.text());
    } catch (IllegalArgumentException e) {
      problem(
          node,
          "invalid expression '"
              + node.text()
              + "': "
              + e.getMessage()
              + " (expressions read columns by name, item.<field> and item_no of exploded"
              + " elements, out.<field> of fields above, and call String methods and fn:"
              + " functions)");
      return null;
    }
  }

  private Schema schema(YamlNode entity, String service, String name, String key) {
    if (name == null) {
      return null;
    }
    Schema schema;
    try {
      schema = schemas.find(service, name);
    } catch (IllegalArgumentException e) {
      problem(entity, e.getMessage());
      return null;
    }
    if (schema == null) {
      problem(
          entity.get(key) != null ? entity.get(key) : entity,
          "no Avro schema '"
              + service
              + "/"
              + name
              + ".avsc' found (classpath avro/"
              + service
              + "/ or a schemas/"
              + service
              + "/ directory); set '"
              + key
              + "' to the schema's name");
      return null;
    }
    if (schema.getType() != Schema.Type.RECORD) {
      problem(entity, "schema " + name + " is not an Avro record");
      return null;
    }
    return schema;
  }

  private static List<String> fieldNames(Schema schema) {
    return schema.getFields().stream().map(Schema.Field::name).toList();
  }

  private static String camel(String entity) {
    StringBuilder sb = new StringBuilder();
    for (String part : entity.split("[_-]")) {
      if (!part.isEmpty()) {
        sb.append(part.substring(0, 1).toUpperCase(Locale.ROOT)).append(part.substring(1));
      }
    }
    return sb.toString();
  }

  private void checkKeys(YamlNode map, List<String> allowed) {
    for (Map.Entry<String, YamlNode> e : map.entries().entrySet()) {
      if (!allowed.contains(e.getKey())) {
        problem(e.getValue(), "unknown key; allowed here: " + String.join(", ", allowed));
      }
    }
  }

  private String requiredText(YamlNode map, String key) {
    YamlNode node = map.get(key);
    if (node == null) {
      problem(map, "missing required key '" + key + "'");
      return null;
    }
    if (!node.isScalar()) {
      problem(node, "expected a single value");
      return null;
    }
    return node.text();
  }

  private String optionalText(YamlNode map, String key, String fallback) {
    YamlNode node = map.get(key);
    if (node == null) {
      return fallback;
    }
    if (!node.isScalar()) {
      problem(node, "expected a single value");
      return fallback;
    }
    return node.text();
  }

  private List<String> textList(YamlNode map, String key, boolean required) {
    YamlNode node = map.get(key);
    if (node == null) {
      if (required) {
        problem(map, "missing required key '" + key + "' (a list of names)");
      }
      return null;
    }
    if (node.isScalar()) {
      return List.of(node.text());
    }
    if (!node.isList() || node.items().isEmpty()) {
      problem(node, "expected a non-empty list of names");
      return null;
    }
    List<String> names = new ArrayList<>();
    for (YamlNode item : node.items()) {
      if (item.isScalar()) {
        names.add(item.text());
      } else {
        problem(item, "expected a name");
      }
    }
    return names;
  }

  private String scalar(YamlNode node) {
    if (!node.isScalar()) {
      problem(node, "expected a single value");
      return "";
    }
    return node.text();
  }

  private void problem(YamlNode node, String message) {
    String where = node.path().isEmpty() ? "line " + node.line() : node.where();
    problems.add(where + ": " + message);
  }
}
