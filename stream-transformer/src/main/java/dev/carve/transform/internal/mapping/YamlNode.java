package dev.carve.transform.internal.mapping;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.carve.core.config.ConfigException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document as a tree that remembers the line and key path of every node, so a mapping error
 * can say "line 12: key 'entities.order.fields.total': ...". Scalars are kept as their text.
 */
final class YamlNode {
  private static final YAMLFactory YAML = new YAMLFactory();

  enum Kind {
    MAP,
    LIST,
    SCALAR,
    NULL
  }

  private final Kind kind;
  private final String path;
  private final int line;
  private final String text;
  private final Map<String, YamlNode> entries;
  private final List<YamlNode> items;

  private YamlNode(
      Kind kind,
      String path,
      int line,
      String text,
      Map<String, YamlNode> entries,
      List<YamlNode> items) {
    this.kind = kind;
    this.path = path;
    this.line = line;
    this.text = text;
    this.entries = entries;
    this.items = items;
  }

  /**
   * Parses a YAML document.
   *
   * @throws ConfigException with the line when the YAML is malformed or has a duplicate key
   */
  static YamlNode parse(String yaml, String source) {
    try (JsonParser parser = YAML.createParser(yaml)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        return new YamlNode(Kind.MAP, "", 1, null, Map.of(), List.of());
      }
      return read(parser, "", source);
    } catch (StreamReadException e) {
      String where = e.getLocation() == null ? "" : "line " + e.getLocation().getLineNr() + ": ";
      throw new ConfigException(source, where + "malformed YAML: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigException(source, "cannot read the YAML: " + e.getMessage());
    }
  }

  private static YamlNode read(JsonParser parser, String path, String source) throws IOException {
    int line = parser.currentTokenLocation().getLineNr();
    JsonToken token = parser.currentToken();
    switch (token) {
      case START_OBJECT -> {
        Map<String, YamlNode> entries = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          int keyLine = parser.currentTokenLocation().getLineNr();
          parser.nextToken();
          String childPath = path.isEmpty() ? name : path + "." + name;
          YamlNode child = read(parser, childPath, source);
          if (entries.put(name, child) != null) {
            throw new ConfigException(
                source, "line " + keyLine + ": key '" + childPath + "' appears twice");
          }
        }
        return new YamlNode(Kind.MAP, path, line, null, entries, List.of());
      }
      case START_ARRAY -> {
        List<YamlNode> items = new ArrayList<>();
        int i = 0;
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          items.add(read(parser, path + "[" + i++ + "]", source));
        }
        return new YamlNode(Kind.LIST, path, line, null, Map.of(), items);
      }
      case VALUE_NULL -> {
        return new YamlNode(Kind.NULL, path, line, null, Map.of(), List.of());
      }
      default -> {
        return new YamlNode(Kind.SCALAR, path, line, parser.getText(), Map.of(), List.of());
      }
    }
  }

  Kind kind() {
    return kind;
  }

  boolean isMap() {
    return kind == Kind.MAP;
  }

  boolean isList() {
    return kind == Kind.LIST;
  }

  boolean isScalar() {
    return kind == Kind.SCALAR;
  }

  /** The key path, e.g. {@code entities.order.fields.total}. */
  String path() {
    return path;
  }

  int line() {
    return line;
  }

  /** The scalar's text; null unless {@link #isScalar()}. */
  String text() {
    return text;
  }

  /** The entries of a map, in file order; empty for other kinds. */
  Map<String, YamlNode> entries() {
    return Collections.unmodifiableMap(entries);
  }

  /** The child of a map, or null. */
  YamlNode get(String key) {
    return entries.get(key);
  }

  /** The items of a list; empty for other kinds. */
  List<YamlNode> items() {
    return Collections.unmodifiableList(items);
  }

  /** "line N: key 'path'" for messages. */
  String where() {
    return "line " + line + ": key '" + path + "'";
  }
}
