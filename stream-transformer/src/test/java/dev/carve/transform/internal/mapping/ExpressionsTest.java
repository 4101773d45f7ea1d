package dev.carve.transform.internal.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.transform.api.MappingException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExpressionsTest {
  private static Object eval(String expr, Map<String, Object> columns) {
    return Expressions.evaluate(Expressions.compile(expr), new Row("customers", columns));
  }

  @Test
  void functionsSplitAFullName() {
    Map<String, Object> row = Map.of("full_name", "Anna Maria Schmidt");
    assertThat(eval("fn:allButLastWord(full_name)", row)).isEqualTo("Anna Maria");
    assertThat(eval("fn:lastWord(full_name)", row)).isEqualTo("Schmidt");
  }

  @Test
  void stringMethodsAndOperatorsWork() {
    Map<String, Object> row = Map.of("email", " A@B.C ", "flag", "Y");
    assertThat(eval("email.trim().length()", row)).isEqualTo(5);
    assertThat(eval("flag == 'Y' ? 'yes' : 'no'", row)).isEqualTo("yes");
  }

  @Test
  void classAndReflectionAccessIsRejected() {
    Map<String, Object> row = Map.of("s", "x");
    assertThatThrownBy(() -> eval("s.getClass().forName('java.lang.Runtime')", row))
        .isInstanceOf(MappingException.class);
    assertThatThrownBy(() -> eval("s.getClass()", row)).isInstanceOf(MappingException.class);
  }

  @Test
  void newInstancesLoopsAssignmentsAndStaticCallsAreRejected() {
    for (String expr :
        new String[] {
          "new('java.io.File', '/etc/passwd')",
          "x = 1",
          "for (var i : [1,2]) { i }",
          "java.lang.System.exit(1)",
          "fn:getClass()"
        }) {
      assertThatThrownBy(() -> eval(expr, new LinkedHashMap<>()))
          .as(expr)
          .isInstanceOfAny(IllegalArgumentException.class, MappingException.class);
    }
  }

  @Test
  void systemIsNotReachableThroughVariables() {
    assertThatThrownBy(() -> eval("java.lang.System", new LinkedHashMap<>()))
        .isInstanceOf(MappingException.class);
  }

  @Test
  void readingAMissingColumnNamesIt() {
    assertThatThrownBy(() -> eval("missing_col + 1", Map.of("a", 1)))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("missing_col");
  }
}
