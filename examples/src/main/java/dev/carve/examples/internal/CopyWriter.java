package dev.carve.examples.internal;

import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Buffers rows in PostgreSQL's COPY text format and sends them with {@code COPY ... FROM STDIN},
 * the fastest way to bulk-load through JDBC.
 */
public final class CopyWriter {
  private final CopyManager copy;
  private final String sql;
  private final String table;
  private final StringBuilder buffer = new StringBuilder(1 << 20);
  private boolean rowStarted;
  private long rows;

  /**
   * Creates a writer for one table.
   *
   * @param connection a PostgreSQL connection (pgjdbc), never null
   * @param qualifiedTable the quoted, qualified table name
   * @param quotedColumns the quoted column list, e.g. {@code "a", "b"}
   */
  public CopyWriter(Connection connection, String qualifiedTable, String quotedColumns)
      throws SQLException {
    this.copy = connection.unwrap(PGConnection.class).getCopyAPI();
    this.table = qualifiedTable;
    this.sql = "COPY " + qualifiedTable + " (" + quotedColumns + ") FROM STDIN";
  }

  /** Appends one value of the current row; null is SQL NULL. */
  public CopyWriter value(Object value) {
    if (rowStarted) {
      buffer.append('\t');
    }
    rowStarted = true;
    if (value == null) {
      buffer.append("\\N");
      return this;
    }
    String s = value.toString();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> buffer.append("\\\\");
        case '\n' -> buffer.append("\\n");
        case '\r' -> buffer.append("\\r");
        case '\t' -> buffer.append("\\t");
        default -> buffer.append(c);
      }
    }
    return this;
  }

  /** Ends the current row. */
  public void endRow() {
    buffer.append('\n');
    rowStarted = false;
    rows++;
  }

  /** The number of buffered (not yet sent) characters. */
  public int buffered() {
    return buffer.length();
  }

  /**
   * Sends the buffered rows.
   *
   * @return the number of rows sent
   */
  public long flush() throws SQLException {
    if (rows == 0) {
      return 0;
    }
    try {
      copy.copyIn(sql, new StringReader(buffer.toString()));
    } catch (IOException e) {
      throw new SQLException("Could not COPY rows into " + table + ": " + e.getMessage(), e);
    }
    long sent = rows;
    buffer.setLength(0);
    rows = 0;
    return sent;
  }
}
