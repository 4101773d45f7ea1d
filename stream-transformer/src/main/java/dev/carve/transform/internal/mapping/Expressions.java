package dev.carve.transform.internal.mapping;

import dev.carve.transform.api.MappingException;
import java.util.List;
import java.util.Map;
import org.apache.commons.jexl3.JexlBuilder;
import org.apache.commons.jexl3.JexlContext;
import org.apache.commons.jexl3.JexlEngine;
import org.apache.commons.jexl3.JexlException;
import org.apache.commons.jexl3.JexlExpression;
import org.apache.commons.jexl3.JexlFeatures;
import org.apache.commons.jexl3.JexlScript;
import org.apache.commons.jexl3.introspection.JexlPermissions;
import org.apache.commons.jexl3.introspection.JexlUberspect;

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
    // The introspection of an engine without sandbox, restricted by JEXL's permissions too; the
    // sandbox decides what reaches it.
    JexlUberspect base =
        new JexlBuilder()
            .permissions(
                JexlPermissions.RESTRICTED.compose(
                    ExpressionFunctions.class.getPackageName() + ".*"))
            .create()
            .getUberspect();
    return new JexlBuilder()
        .uberspect(new ExpressionSandbox(base, ExpressionFunctions.class))
        .arithmetic(new ExpressionSandbox.Arithmetic(true))
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
    JexlExpression expression;
    try {
      expression = ENGINE.createExpression(text);
    } catch (JexlException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    for (List<String> path : ((JexlScript) expression).getVariables()) {
      if (path.size() > 2) {
        // java.lang.System: no variable has more than two parts; it can only reach for a class.
        throw new IllegalArgumentException(
            "'"
                + String.join(".", path)
                + "' is refused by the sandbox: expressions read columns, item.<field>,"
                + " out.<field> and <alias>.<column>, never packages or classes");
      }
    }
    return expression;
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
    } catch (ExpressionSandbox.Refused e) {
      throw refused(expression, e);
    } catch (JexlException e) {
      for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
        if (cause instanceof ExpressionSandbox.Refused refused) {
          throw refused(expression, refused);
        }
      }
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

  private static MappingException refused(JexlExpression expression, ExpressionSandbox.Refused e) {
    return new MappingException(
        "expression '" + expression.getSourceText() + "' failed: " + e.getMessage(), e);
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
