package dev.carve.schemas.serde;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * Walks Avro binary data against its writer schema without allocating anything, before Avro's
 * decoder reads it. Avro's {@code BinaryDecoder} allocates a string's or bytes' declared length,
 * and {@code GenericDatumReader} an array's or map's declared item count, before it looks at how
 * many bytes remain: five malformed bytes can ask for 2 GiB and end in an {@link OutOfMemoryError},
 * which no stage catches. The walk checks what Avro would otherwise trust: varints (at most 5 bytes
 * for an int, 10 for a long), string and bytes lengths (not negative, not past the end), fixed
 * sizes, union indexes and enum ordinals (in range), array and map block counts (each item takes at
 * least its type's smallest encoding, so a count can never exceed the bytes that remain; items that
 * take no bytes at all, such as nulls, are capped at {@link #MAX_ZERO_BYTE_ITEMS} per record) and
 * the nesting depth of recursive schemas ({@link #MAX_DEPTH}, against a {@link
 * StackOverflowError}).
 *
 * <p>Built once per writer schema and thread-safe; one check costs a pass over the varints and
 * length prefixes of the record, skipping string and bytes contents.
 */
final class AvroBinaryCheck {
  /** The most items that take no bytes (nulls, empty records) one record may declare. */
  static final long MAX_ZERO_BYTE_ITEMS = 1_000_000;

  /** The deepest nesting of records, unions, arrays and maps one record may have. */
  static final int MAX_DEPTH = 500;

  private final Node root;

  private AvroBinaryCheck(Node root) {
    this.root = root;
  }

  /** The check of data written with {@code writer}. */
  static AvroBinaryCheck of(Schema writer) {
    Map<Schema, RecordNode> records = new IdentityHashMap<>();
    Node root = compile(writer, records);
    // Computed here, before the check is shared, so that checks only ever read them.
    records.values().forEach(RecordNode::minBytes);
    return new AvroBinaryCheck(root);
  }

  /**
   * Checks {@code length} bytes of {@code data} from {@code offset}: one datum of the writer schema
   * that ends at or before the end (bytes left over are the caller's to report).
   *
   * @throws Violation saying where (field path) and what is wrong
   */
  void check(byte[] data, int offset, int length) throws Violation {
    Cursor cursor = new Cursor(data, offset, offset + length);
    root.skip(cursor, 0);
  }

  /** The data does not fit the writer schema; the message says where and what. */
  static final class Violation extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean truncated;
    private final String what;
    private String path = "";

    private Violation(boolean truncated, String what) {
      super(null, null, false, false);
      this.truncated = truncated;
      this.what = what;
    }

    /** True when the data ends before the datum is complete (a length or value past the end). */
    boolean truncated() {
      return truncated;
    }

    private Violation at(String segment) {
      path = segment + (path.isEmpty() || path.startsWith("[") ? path : "." + path);
      return this;
    }

    @Override
    public String getMessage() {
      return path.isEmpty() ? what : "field '" + path + "': " + what;
    }
  }

  private static final class Cursor {
    final byte[] data;
    int position;
    final int end;
    long zeroByteItems;

    Cursor(byte[] data, int position, int end) {
      this.data = data;
      this.position = position;
      this.end = end;
    }

    int remaining() {
      return end - position;
    }

    void skip(int bytes, String what) throws Violation {
      if (bytes > end - position) {
        throw new Violation(
            true,
            "the data ends inside "
                + what
                + " ("
                + bytes
                + " bytes needed, "
                + (end - position)
                + " remain)");
      }
      position += bytes;
    }

    /** A zig-zag varint of at most {@code maxBytes} bytes (5 for an int, 10 for a long). */
    long varint(int maxBytes, String what) throws Violation {
      long raw = 0;
      for (int i = 0; i < maxBytes; i++) {
        if (position >= end) {
          throw new Violation(true, "the data ends inside " + what);
        }
        int b = data[position++] & 0xff;
        raw |= (long) (b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
          return (raw >>> 1) ^ -(raw & 1);
        }
      }
      throw new Violation(
          false, "invalid " + what + ": a varint longer than " + maxBytes + " bytes");
    }
  }

  private abstract static class Node {
    /** The fewest bytes a value of this type takes; 0 only for null, empty records, fixed(0). */
    abstract int minBytes();

    abstract void skip(Cursor cursor, int depth) throws Violation;
  }

  private static Node compile(Schema schema, Map<Schema, RecordNode> records) {
    return switch (schema.getType()) {
      case NULL -> new FixedSize(0, "null");
      case BOOLEAN -> new FixedSize(1, "a boolean");
      case FLOAT -> new FixedSize(4, "a float");
      case DOUBLE -> new FixedSize(8, "a double");
      case FIXED -> new FixedSize(schema.getFixedSize(), "fixed " + schema.getFullName());
      case INT -> new Varint(5, "an int");
      case LONG -> new Varint(10, "a long");
      case STRING -> new LengthPrefixed("a string");
      case BYTES ->
          new LengthPrefixed(
              schema.getLogicalType() == null
                  ? "bytes"
                  : "bytes (" + schema.getLogicalType().getName() + ")");
      case ENUM -> new EnumNode(schema.getFullName(), schema.getEnumSymbols().size());
      case UNION -> {
        List<Schema> types = schema.getTypes();
        Node[] branches = new Node[types.size()];
        UnionNode union = new UnionNode(branches);
        for (int i = 0; i < branches.length; i++) {
          branches[i] = compile(types.get(i), records);
        }
        yield union;
      }
      case ARRAY -> new CollectionNode(false, compile(schema.getElementType(), records));
      case MAP -> new CollectionNode(true, compile(schema.getValueType(), records));
      case RECORD -> {
        RecordNode known = records.get(schema);
        if (known != null) {
          yield known;
        }
        List<Schema.Field> fields = schema.getFields();
        RecordNode record = new RecordNode(new String[fields.size()], new Node[fields.size()]);
        records.put(schema, record);
        for (int i = 0; i < fields.size(); i++) {
          record.names[i] = fields.get(i).name();
          record.fields[i] = compile(fields.get(i).schema(), records);
        }
        yield record;
      }
    };
  }

  private static final class FixedSize extends Node {
    private final int size;
    private final String what;

    FixedSize(int size, String what) {
      this.size = size;
      this.what = what;
    }

    @Override
    int minBytes() {
      return size;
    }

    @Override
    void skip(Cursor cursor, int depth) throws Violation {
      cursor.skip(size, what);
    }
  }

  private static final class Varint extends Node {
    private final int maxBytes;
    private final String what;

    Varint(int maxBytes, String what) {
      this.maxBytes = maxBytes;
      this.what = what;
    }

    @Override
    int minBytes() {
      return 1;
    }

    @Override
    void skip(Cursor cursor, int depth) throws Violation {
      cursor.varint(maxBytes, what);
    }
  }

  private static final class LengthPrefixed extends Node {
    private final String what;

    LengthPrefixed(String what) {
      this.what = what;
    }

    @Override
    int minBytes() {
      return 1;
    }

    @Override
    void skip(Cursor cursor, int depth) throws Violation {
      long length = cursor.varint(10, "the length of " + what);
      if (length < 0) {
        throw new Violation(false, what + " with the negative length " + length);
      }
      if (length > cursor.remaining()) {
        throw new Violation(
            true,
            what
                + " of "
                + length
                + " bytes is declared but only "
                + cursor.remaining()
                + " bytes remain");
      }
      cursor.position += (int) length;
    }
  }

  private static final class EnumNode extends Node {
    private final String name;
    private final int symbols;

    EnumNode(String name, int symbols) {
      this.name = name;
      this.symbols = symbols;
    }

    @Override
    int minBytes() {
      return 1;
    }

    @Override
    void skip(Cursor cursor, int depth) throws Violation {
      long ordinal = cursor.varint(5, "the ordinal of enum " + name);
      if (ordinal < 0 || ordinal >= symbols) {
        throw new Violation(
            false,
            "enum ordinal "
                + ordinal
                + " is out of range: "
                + name
                + " has "
                + symbols
                + " symbols");
      }
    }
  }

  private static final class UnionNode extends Node {
    private final Node[] branches;

    UnionNode(Node[] branches) {
      this.branches = branches;
    }

    @Override
    int minBytes() {
      return 1;
    }

    @Override
    void skip(Cursor cursor, int depth) throws Violation {
      long index = cursor.varint(5, "a union index");
      if (index < 0 || index >= branches.length) {
        throw new Violation(
            false,
            "union index "
                + index
                + " is out of range: the union has "
                + branches.length
                + " branches");
      }
      if (depth >= MAX_DEPTH) {
        throw tooDeep();
      }
      branches[(int) index].skip(cursor, depth + 1);
    }
  }

  private static final class CollectionNode extends Node {
    private final boolean map;
    private final Node item;

    CollectionNode(boolean map, Node item) {
      this.map = map;
      this.item = item;
    }

    @Override
    int minBytes() {
      return 1;
    }

    @Override
    void skip(Cursor cursor, int depth) throws Violation {
      if (depth >= MAX_DEPTH) {
        throw tooDeep();
      }
      String kind = map ? "map" : "array";
      // A map entry is a string key (at least its length byte) and a value.
      int itemBytes = map ? 1 + item.minBytes() : item.minBytes();
      long index = 0;
      while (true) {
        long count = cursor.varint(10, "the item count of an " + kind + " block");
        if (count == 0) {
          return;
        }
        if (count < 0) {
          if (count == Long.MIN_VALUE) {
            throw new Violation(false, "an " + kind + " block with the count " + count);
          }
          count = -count;
          long size = cursor.varint(10, "the byte size of an " + kind + " block");
          if (size < 0 || size > cursor.remaining()) {
            throw new Violation(
                false,
                "an "
                    + kind
                    + " block of "
                    + size
                    + " bytes is declared but "
                    + cursor.remaining()
                    + " bytes remain");
          }
        }
        if (itemBytes > 0) {
          if (count > cursor.remaining() / itemBytes) {
            throw new Violation(
                false,
                "an "
                    + kind
                    + " block of "
                    + count
                    + " items is declared but "
                    + cursor.remaining()
                    + " bytes remain (each item takes at least "
                    + itemBytes
                    + ")");
          }
        } else {
          // Items that take no bytes cost Avro memory but no input: only a cap bounds them.
          cursor.zeroByteItems += count;
          if (count > MAX_ZERO_BYTE_ITEMS || cursor.zeroByteItems > MAX_ZERO_BYTE_ITEMS) {
            throw new Violation(
                false,
                "an "
                    + kind
                    + " block of "
                    + count
                    + " items that take no bytes is declared; a record may have at most "
                    + MAX_ZERO_BYTE_ITEMS);
          }
          index += count;
          continue;
        }
        for (long i = 0; i < count; i++, index++) {
          try {
            if (map) {
              STRING_KEY.skip(cursor, depth + 1);
            }
            item.skip(cursor, depth + 1);
          } catch (Violation e) {
            throw e.at("[" + index + "]");
          }
        }
      }
    }

    private static final LengthPrefixed STRING_KEY = new LengthPrefixed("a map key");
  }

  private static final class RecordNode extends Node {
    private final String[] names;
    private final Node[] fields;
    private int minBytes = -1;
    private boolean computing;

    RecordNode(String[] names, Node[] fields) {
      this.names = names;
      this.fields = fields;
    }

    @Override
    int minBytes() {
      if (minBytes < 0) {
        if (computing) {
          // A record that contains itself other than through a union, array or map has no
          // finite value; any count of it is refused by the depth cap instead.
          return 1;
        }
        computing = true;
        int sum = 0;
        for (Node field : fields) {
          sum = (int) Math.min(Integer.MAX_VALUE, (long) sum + field.minBytes());
        }
        computing = false;
        minBytes = sum;
      }
      return minBytes;
    }

    @Override
    void skip(Cursor cursor, int depth) throws Violation {
      if (depth >= MAX_DEPTH) {
        throw tooDeep();
      }
      for (int i = 0; i < fields.length; i++) {
        try {
          fields[i].skip(cursor, depth + 1);
        } catch (Violation e) {
          throw e.at(names[i]);
        }
      }
    }
  }

  private static Violation tooDeep() {
    return new Violation(false, "the data nests deeper than " + MAX_DEPTH + " levels");
  }
}
