package dev.carve.capture.internal;

import java.util.ArrayList;
import java.util.List;

/** Word-wraps text into lines of a fixed width, for table columns. */
public final class TextWrap {
  private TextWrap() {}

  /**
   * Wraps at spaces so that no line is longer than {@code width}; a word longer than the width is
   * broken (only then, so SQL in a fix stays copyable).
   *
   * @param text the text; null or blank gives one empty line
   * @param width the column width, at least 1
   */
  public static List<String> wrap(String text, int width) {
    if (width < 1) {
      throw new IllegalArgumentException("width must be at least 1, not " + width);
    }
    List<String> lines = new ArrayList<>();
    if (text == null || text.isBlank()) {
      lines.add("");
      return lines;
    }
    StringBuilder line = new StringBuilder();
    for (String word : text.strip().split("\\s+")) {
      while (word.length() > width) {
        if (line.length() > 0) {
          lines.add(line.toString());
          line.setLength(0);
        }
        lines.add(word.substring(0, width));
        word = word.substring(width);
      }
      if (line.length() == 0) {
        line.append(word);
      } else if (line.length() + 1 + word.length() <= width) {
        line.append(' ').append(word);
      } else {
        lines.add(line.toString());
        line.setLength(0);
        line.append(word);
      }
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }

  /** {@code text} padded with spaces to {@code width}. */
  public static String pad(String text, int width) {
    return text.length() >= width ? text : text + " ".repeat(width - text.length());
  }
}
