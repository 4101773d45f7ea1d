package dev.carve.transform.internal.mapping;

import dev.carve.transform.api.MappingException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Map;
import org.apache.commons.jexl3.JexlBuilder;
import org.apache.commons.jexl3.JexlContext;
import org.apache.commons.jexl3.JexlEngine;
import org.apache.commons.jexl3.JexlException;
import org.apache.commons.jexl3.JexlExpression;
import org.apache.commons.jexl3.JexlFeatures;
import org.apache.commons.jexl3.introspection.JexlPermissions;
import org.apache.commons.jexl3.introspection.JexlSandbox;

/**
 * The safe expression language of mappings: JEXL restricted to expressions (no scripts, loops,
 * lambdas, assignments, {@code new} or pragmas) and a sandbox that only lets them call methods of
 * {@link String} and the {@code fn:} functions ({@link ExpressionFunctions}); no class, reflection,
 * system or I/O access.
 */
final class Expressions {
  private static final JexlEngine ENGINE = createEngine();

  private Expressions() {}

  private static JexlEngine createEngine() {
    JexlSandbox sandbox = new JexlSandbox(false);
    // Every String method but getClass (the door to reflection), and the fn: functions.
    sandbox.block(String.class.getName()).execute("getClass");
    String[] functions =
        Arrays.stream(ExpressionFunctions.class.getDeclaredMethods())
            .filter(m -> Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()))
            .map(Method::getName)
            .distinct()
            .toArray(String[]::new);
    sandbox.allow(ExpressionFunctions.class.getName()).execute(functions);
    JexlFeatures features =
        new JexlFeatures()
            .script(false)
            .loops(false)
            .lambda(false)
            .thinArrow(false)
            .fatArrow(false)
            .sideEffect(false)
            .sideEffectGlobal(false)
            .newInstance(false)
            .pragma(false)
            .importPragma(false)
            .namespacePragma(false)
            .annotation(false)
            .localVar(false)
            .namespaceTest(ns -> ns.equals("fn"));
    return new JexlBuilder()
        .permissions(
            JexlPermissions.RESTRICTED.compose(ExpressionFunctions.class.getPackageName() + ".*"))
        .sandbox(sandbox)
        .features(features)
        .namespaces(Map.of("fn", ExpressionFunctions.class))
        .strict(true)
        .safe(false)
        .silent(false)
        .cache(256)
        .create();
  }

  /**
   * Compiles an expression.
   *
   * @throws IllegalArgumentException with JEXL's message when it does not parse or uses a feature
   *     that is not allowed
   */
  static JexlExpression compile(String text) {
    try {
      return ENGINE.createExpression(text);
    } catch (JexlException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * Evaluates a compiled expression over a row.
   *
   * @throws MappingException naming the expression when it fails
   */
  static Object evaluate(JexlExpression expression, Row row) {
    try {
      return expression.evaluate(new RowContext(row));
    } catch (MappingException e) {
      throw e;
    } catch (JexlException e) {
      Throwable cause = e.getCause();
      if (cause instanceof MappingException m) {
        throw m;
      }
      throw new MappingException(
          "expression '" + expression.getSourceText() + "' failed: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new MappingException("expression '" + expression.getSourceText() + "' failed: " + e, e);
    }
  }

  private record RowContext(Row row) implements JexlContext {
    @Override
    public Object get(String name) {
      return row.get(name);
    }

    @Override
    public void set(String name, Object value) {
      throw new MappingException("expressions cannot assign variables ('" + name + "')");
    }

    @Override
    public boolean has(String name) {
      return row.has(name);
    }
  }
}
