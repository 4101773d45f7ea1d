package dev.carve.transform.internal;

/**
 * Reads the line-based values the joins keep in their stores: some short lines, then the change's
 * key and bytes unescaped (so a value is never escaped into another).
 */
final class StateLines {
  private StateLines() {}

  /**
   * The positions of the {@code count} newlines that end the lines starting at {@code from}.
   *
   * @throws IllegalStateException showing the text when a line is missing
   */
  static int[] ends(String text, int from, int count) {
    int[] ends = new int[count];
    int at = from;
    for (int i = 0; i < count; i++) {
      int end = text.indexOf('\n', at);
      if (end < 0) {
        throw new IllegalStateException(
            "cannot read the join's own state (a line is missing): " + text);
      }
      ends[i] = end;
      at = end + 1;
    }
    return ends;
  }
}
