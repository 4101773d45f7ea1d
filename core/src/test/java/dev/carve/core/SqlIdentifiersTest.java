package dev.carve.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SqlIdentifiersTest {
  @Test
  void hostileIdentifiersStayOneQuotedIdentifier() {
    assertThat(SqlIdentifiers.quote("order")).isEqualTo("\"order\"");
    assertThat(SqlIdentifiers.quote("a\"; DROP TABLE x; --"))
        .isEqualTo("\"a\"\"; DROP TABLE x; --\"");
    assertThat(SqlIdentifiers.qualified("my schema", "t")).isEqualTo("\"my schema\".\"t\"");
  }

  @Test
  void emptyOrNulIdentifiersAreRefused() {
    assertThatThrownBy(() -> SqlIdentifiers.quote("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SqlIdentifiers.quote("a\0b")).hasMessageContaining("a\\0b");
  }
}
