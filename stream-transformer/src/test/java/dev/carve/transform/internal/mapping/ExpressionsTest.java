package dev.carve.transform.internal.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.transform.api.MappingException;
import java.util.LinkedHashMap;
import java.util.List;
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
    for (String expr : new String[] {"new('java.io.File', '/etc/passwd')", "x = 1"}) {
      assertThatThrownBy(() -> eval(expr, new LinkedHashMap<>()))
          .as(expr)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("error");
    }
    assertThatThrownBy(() -> eval("for (var i : [1,2]) { i }", new LinkedHashMap<>()))
        .isInstanceOf(IllegalArgumentException.class);
    // Regression: these passed only because 'java' was an undefined variable.
    assertThatThrownBy(() -> eval("java.lang.System.exit(1)", Map.of("java", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'java.lang.System'", "refused by the sandbox");
    assertThatThrownBy(() -> eval("fn:getClass()", new LinkedHashMap<>()))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("fn:getClass()", "refused by the sandbox", "'getClass'");
  }

  @Test
  void systemIsNotReachableThroughVariables() {
    assertThatThrownBy(() -> eval("java.lang.System", Map.of("java", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'java.lang.System'", "refused by the sandbox");
  }

  @Test
  void classOfAStringAndMethodsOfWhatStringMethodsReturnAreRefused() {
    Map<String, Object> row = Map.of("s", "a,b");
    for (String expr :
        List.of(
            "s.class",
            "s.getClass()",
            "s.trim().getClass()",
            "s.chars().count()",
            "s.getBytes().length",
            "s.describeConstable().get()",
            "s.split(',').getClass()",
            "s.indexOf('b').toString()",
            "s.formatted(1)",
            "s.intern()")) {
      assertThatThrownBy(() -> eval(expr, row))
          .as(expr)
          .isInstanceOf(MappingException.class)
          .hasMessageContaining("expression '" + expr + "'")
          .hasMessageContaining("refused by the sandbox");
    }
    assertThat(eval("s.split(',')[1].toUpperCase()", row)).isEqualTo("B");
  }

  @Test
  void textsBuiltByAnExpressionAreBounded() {
    // Regression: s.repeat(2147483647) raised an OutOfMemoryError, which no handler caught: it
    // killed the stream thread.
    Map<String, Object> row = Map.of("s", "x".repeat(2_000));
    for (String expr :
        List.of("s.repeat(2147483647)", "s.replace('', s)", "s.concat(s.repeat(600))")) {
      assertThatThrownBy(() -> eval(expr, row))
          .as(expr)
          .isInstanceOf(MappingException.class)
          .hasMessageContaining("expression '" + expr + "'")
          .hasMessageContaining("chars");
    }
    assertThat(eval("s.repeat(2).length()", row)).isEqualTo(4_000);
    assertThat(eval("s.replace('x', 'yz').length()", row)).isEqualTo(4_000);
  }

  @Test
  void catastrophicRegularExpressionsAreStoppedNotLeftToStallTheThread() {
    // Unbounded, each of these reads the text about 30^12 times: hours of a stream thread.
    Map<String, Object> row = Map.of("s", "a".repeat(30) + "!");
    for (String expr :
        List.of(
            "s.matches('(.*a){12}b')",
            "s =~ '(.*a){12}b'",
            "s.replaceAll('(.*a){12}b', 'x')",
            "s.replaceFirst('(.*a){12}b', 'x')",
            "s.split('(.*a){12}b')")) {
      assertThatThrownBy(() -> eval(expr, row))
          .as(expr)
          .isInstanceOf(MappingException.class)
          .hasMessageContaining("expression '" + expr + "'")
          .hasMessageContaining("regular expression");
    }
    String tooLong = "a".repeat(300);
    assertThatThrownBy(() -> eval("s.matches('" + tooLong + "')", row))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("longer than");
    assertThat(eval("s.matches('a+!')", row)).isEqualTo(true);
    assertThat(eval("s =~ 'a+!'", row)).isEqualTo(true);
    assertThat(eval("s.replaceAll('a+', 'b')", row)).isEqualTo("b!");
    assertThat(eval("s.replaceFirst('(a)a', '$1')", row)).isEqualTo("a".repeat(29) + "!");
    assertThat((Object[]) eval("s.split('!')", row)).hasSize(1);
  }

  @Test
  void readingAMissingColumnNamesIt() {
    assertThatThrownBy(() -> eval("missing_col + 1", Map.of("a", 1)))
        .isInstanceOf(MappingException.class)
        .hasMessageContaining("missing_col");
  }
}
