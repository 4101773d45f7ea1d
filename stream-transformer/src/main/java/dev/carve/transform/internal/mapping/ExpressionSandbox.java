package dev.carve.transform.internal.mapping;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.MathContext;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.commons.jexl3.JexlArithmetic;
import org.apache.commons.jexl3.JexlEngine;
import org.apache.commons.jexl3.JexlOperator;
import org.apache.commons.jexl3.introspection.JexlMethod;
import org.apache.commons.jexl3.introspection.JexlPropertyGet;
import org.apache.commons.jexl3.introspection.JexlPropertySet;
import org.apache.commons.jexl3.introspection.JexlUberspect;

/**
 * The sandbox of mapping expressions: everything an expression can reach goes through it. It lets
 * expressions call the listed methods of {@link String} (on any text, including the texts String
 * methods return) and the {@code fn:} functions, read the elements of the arrays {@code split}
 * returns, and nothing else: no class, no property, no method of any other object. It also bounds
 * what those methods can cost, since an {@link Error} or a stalled call would stop the stream
 * thread, which only catches exceptions: a text built by an expression may not grow beyond {@link
 * #MAX_TEXT} chars (nor the text it is built from), and a regular expression ({@code matches},
 * {@code replaceAll}, {@code replaceFirst}, {@code split}, {@code =~}) may not be longer than
 * {@link #MAX_REGEX} chars nor read the text more than a budget of steps (catastrophic
 * backtracking).
 */
final class ExpressionSandbox implements JexlUberspect {
  /** The longest text an expression may build (unless the text it reads is longer). */
  static final int MAX_TEXT = 1 << 20;

  /** The longest regular expression an expression may use. */
  static final int MAX_REGEX = 256;

  /** Steps (reads of a char) a regular expression may take per char of the text, plus a base. */
  private static final long REGEX_STEPS_PER_CHAR = 200;

  private static final long REGEX_BASE_STEPS = 100_000;

  /** The methods of String an expression may call. */
  private static final Set<String> STRING_METHODS =
      Set.of(
          "charAt",
          "codePointAt",
          "compareTo",
          "compareToIgnoreCase",
          "concat",
          "contains",
          "contentEquals",
          "endsWith",
          "equals",
          "equalsIgnoreCase",
          "indexOf",
          "isBlank",
          "isEmpty",
          "lastIndexOf",
          "length",
          "matches",
          "regionMatches",
          "repeat",
          "replace",
          "replaceAll",
          "replaceFirst",
          "split",
          "startsWith",
          "strip",
          "stripLeading",
          "stripTrailing",
          "substring",
          "toLowerCase",
          "toString",
          "toUpperCase",
          "trim");

  private static final Set<String> REGEX_METHODS =
      Set.of("matches", "replaceAll", "replaceFirst", "split");

  private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();

  private final JexlUberspect base;
  private final Class<?> functionsClass;
  private final Set<String> functions;

  /**
   * @param base the uberspect of an engine without sandbox, which resolves what this one allows
   * @param functionsClass the class of the {@code fn:} functions (its public static methods)
   */
  ExpressionSandbox(JexlUberspect base, Class<?> functionsClass) {
    this.base = base;
    this.functionsClass = functionsClass;
    this.functions =
        Set.copyOf(
            Arrays.stream(functionsClass.getDeclaredMethods())
                .filter(
                    m -> Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()))
                .map(Method::getName)
                .toList());
  }

  /** Thrown when an expression reaches for something the sandbox does not give it. */
  static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  @Override
  public JexlMethod getMethod(Object obj, String method, Object... args) {
    if (obj == functionsClass) {
      if (!functions.contains(method)) {
        throw new Refused(
            "function 'fn:" + method + "' is refused by the sandbox; functions: " + functions);
      }
      return base.getMethod(obj, method, args);
    }
    if (!(obj instanceof String)) {
      throw new Refused(
          "method '"
              + method
              + "' of "
              + (obj == null ? "null" : obj.getClass().getName())
              + " is refused by the sandbox (expressions call methods of String and fn: functions"
              + " only)");
    }
    if (!STRING_METHODS.contains(method)) {
      throw new Refused(
          "method '"
              + method
              + "' of String is refused by the sandbox; allowed: "
              + new java.util.TreeSet<>(STRING_METHODS));
    }
    JexlMethod delegate = base.getMethod(obj, method, args);
    if (delegate == null) {
      return null; // no such overload: JEXL reports the method as unsolvable
    }
    return new Bounded(method, delegate);
  }

  /**
   * A String method with its cost bounded: regular expressions run on a budget, texts that would
   * grow beyond the limit are refused before they are built.
   */
  private static final class Bounded implements JexlMethod {
    private final String name;
    private final JexlMethod delegate;

    Bounded(String name, JexlMethod delegate) {
      this.name = name;
      this.delegate = delegate;
    }

    @Override
    public Object invoke(Object obj, Object... args) throws Exception {
      String text = (String) obj;
      if (REGEX_METHODS.contains(name) && args.length > 0 && args[0] instanceof String regex) {
        return regex(name, text, regex, args);
      }
      checkGrowth(name, text, args);
      Object result = delegate.invoke(obj, args);
      if (result instanceof String s && s.length() > Math.max(MAX_TEXT, text.length())) {
        throw tooLong(name, s.length(), text);
      }
      return result;
    }

    @Override
    public Object tryInvoke(String name, Object obj, Object... args) {
      return JexlEngine.TRY_FAILED; // never cached (isCacheable): resolved, and bounded, anew
    }

    @Override
    public boolean tryFailed(Object rval) {
      return rval == JexlEngine.TRY_FAILED;
    }

    @Override
    public boolean isCacheable() {
      return false; // every call goes through invoke, with its bounds
    }

    @Override
    public Class<?> getReturnType() {
      return delegate.getReturnType();
    }
  }

  /** Refuses a call whose text would be longer than the limit, before it is built. */
  private static void checkGrowth(String method, String text, Object[] args) {
    long length;
    if (method.equals("repeat") && args.length == 1 && args[0] instanceof Number count) {
      length = (long) text.length() * Math.max(0, count.longValue());
    } else if (method.equals("replace")
        && args.length == 2
        && args[0] instanceof CharSequence target
        && args[1] instanceof CharSequence replacement) {
      length =
          text.length()
              + occurrences(text, target.toString())
                  * (long) (replacement.length() - target.length());
    } else {
      return; // the others give at most the text plus their argument (concat)
    }
    if (length > Math.max(MAX_TEXT, text.length())) {
      throw tooLong(method, length, text);
    }
  }

  private static long occurrences(String text, String target) {
    if (target.isEmpty()) {
      return text.length() + 1L;
    }
    long count = 0;
    for (int at = text.indexOf(target); at >= 0; at = text.indexOf(target, at + target.length())) {
      count++;
    }
    return count;
  }

  private static Refused tooLong(String method, long length, String text) {
    return new Refused(
        "'"
            + method
            + "' would build a text of "
            + length
            + " chars from one of "
            + text.length()
            + " chars; expressions may build texts of up to "
            + MAX_TEXT
            + " chars (or as long as the text they read)");
  }

  /** {@code matches}, {@code replaceAll}, {@code replaceFirst}, {@code split} on a budget. */
  private static Object regex(String method, String text, String regex, Object[] args) {
    Pattern pattern = pattern(regex);
    Budgeted input = new Budgeted(text, regex);
    try {
      return switch (method) {
        case "matches" -> pattern.matcher(input).matches();
        case "split" ->
            pattern.split(input, args.length > 1 && args[1] instanceof Number n ? n.intValue() : 0);
        case "replaceAll", "replaceFirst" -> {
          if (args.length != 2 || !(args[1] instanceof String replacement)) {
            throw new Refused("'" + method + "' takes a regular expression and a replacement");
          }
          yield replace(pattern.matcher(input), replacement, method.equals("replaceAll"), text);
        }
        default -> throw new IllegalStateException(method);
      };
    } catch (StackOverflowError e) {
      // Deep recursion of java.util.regex on a long text: an Error that would stop the thread.
      throw recursedTooDeep(regex, text);
    }
  }

  /**
   * Replaces with the text's length checked before every replacement: a replacement adds at most
   * its own length and one group per {@code $} it holds, and the text between the matches is copied
   * once in all.
   */
  private static String replace(Matcher matcher, String replacement, boolean all, String text) {
    String method = all ? "replaceAll" : "replaceFirst";
    StringBuilder sb = new StringBuilder();
    long limit = Math.max(MAX_TEXT, text.length());
    long dollars = replacement.chars().filter(c -> c == '$').count();
    while (matcher.find()) {
      long group = 0;
      for (int g = 0; g <= matcher.groupCount(); g++) {
        String found = matcher.group(g);
        group = Math.max(group, found == null ? 0 : found.length());
      }
      long added = replacement.length() + dollars * group;
      if (sb.length() + added > limit + text.length()) {
        throw tooLong(method, sb.length() + added, text);
      }
      matcher.appendReplacement(sb, replacement);
      if (sb.length() > limit + text.length()) {
        throw tooLong(method, sb.length(), text);
      }
      if (!all) {
        break;
      }
    }
    matcher.appendTail(sb);
    if (sb.length() > limit) {
      throw tooLong(method, sb.length(), text);
    }
    return sb.toString();
  }

  /** {@code text =~ regex}, on a budget. */
  static boolean matches(String text, String regex) {
    Pattern pattern = pattern(regex);
    try {
      return pattern.matcher(new Budgeted(text, regex)).matches();
    } catch (StackOverflowError e) {
      throw recursedTooDeep(regex, text);
    }
  }

  private static Refused recursedTooDeep(String regex, String text) {
    return new Refused(
        "regular expression '"
            + regex
            + "' recursed too deep on a text of "
            + text.length()
            + " chars");
  }

  private static Pattern pattern(String regex) {
    if (regex.length() > MAX_REGEX) {
      throw new Refused(
          "a regular expression of "
              + regex.length()
              + " chars is longer than "
              + MAX_REGEX
              + " chars, the longest expressions may use");
    }
    Pattern pattern = PATTERNS.get(regex);
    if (pattern == null) {
      try {
        pattern = Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        throw new Refused("'" + regex + "' is not a regular expression: " + e.getDescription());
      }
      if (PATTERNS.size() > 1_000) {
        PATTERNS.clear(); // expressions are few; a flood of texts used as patterns is not kept
      }
      PATTERNS.put(regex, pattern);
    }
    return pattern;
  }

  /**
   * The text a regular expression reads, counting every char it reads: beyond its budget the
   * expression is stopped (catastrophic backtracking reads the text exponentially often).
   */
  private static final class Budgeted implements CharSequence {
    private final String text;
    private final String regex;
    private final long[] left;
    private final int offset;
    private final int length;

    Budgeted(String text, String regex) {
      this(
          text,
          regex,
          new long[] {REGEX_BASE_STEPS + REGEX_STEPS_PER_CHAR * text.length()},
          0,
          text.length());
    }

    private Budgeted(String text, String regex, long[] left, int offset, int length) {
      this.text = text;
      this.regex = regex;
      this.left = left;
      this.offset = offset;
      this.length = length;
    }

    @Override
    public char charAt(int index) {
      if (--left[0] < 0) {
        throw new Refused(
            "regular expression '"
                + regex
                + "' took more than "
                + (REGEX_BASE_STEPS + REGEX_STEPS_PER_CHAR * text.length())
                + " steps on a text of "
                + text.length()
                + " chars (catastrophic backtracking?); simplify it");
      }
      return text.charAt(offset + index);
    }

    @Override
    public int length() {
      return length;
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return new Budgeted(text, regex, left, offset + start, end - start);
    }

    @Override
    public String toString() {
      return text.substring(offset, offset + length);
    }
  }

  /** {@code =~} with a text pattern goes through {@link #matches}, on a budget. */
  static final class Arithmetic extends JexlArithmetic {
    Arithmetic(boolean strict) {
      super(strict);
    }

    /** The constructor JEXL uses to derive an arithmetic with other options. */
    Arithmetic(boolean strict, MathContext context, int scale) {
      super(strict, context, scale);
    }

    @Override
    protected JexlArithmetic createWithOptions(boolean strict, MathContext context, int scale) {
      return new Arithmetic(strict, context, scale);
    }

    @Override
    public Boolean contains(Object container, Object value) {
      if (container instanceof CharSequence regex && value != null) {
        return ExpressionSandbox.matches(value.toString(), regex.toString());
      }
      return super.contains(container, value);
    }
  }

  @Override
  public JexlPropertyGet getPropertyGet(Object obj, Object identifier) {
    return getPropertyGet(null, obj, identifier);
  }

  @Override
  public JexlPropertyGet getPropertyGet(
      List<PropertyResolver> resolvers, Object obj, Object identifier) {
    if (obj instanceof String[] && (identifier instanceof Number || "length".equals(identifier))) {
      return resolvers == null
          ? base.getPropertyGet(obj, identifier)
          : base.getPropertyGet(resolvers, obj, identifier);
    }
    throw new Refused(
        "property '"
            + identifier
            + "' of "
            + (obj == null ? "null" : obj.getClass().getName())
            + " is refused by the sandbox (expressions read columns, item.<field>, out.<field> and"
            + " <alias>.<column>, and the elements of arrays split returns)");
  }

  @Override
  public JexlPropertySet getPropertySet(Object obj, Object identifier, Object arg) {
    throw new Refused("expressions cannot assign properties ('" + identifier + "')");
  }

  @Override
  public JexlPropertySet getPropertySet(
      List<PropertyResolver> resolvers, Object obj, Object identifier, Object arg) {
    throw new Refused("expressions cannot assign properties ('" + identifier + "')");
  }

  @Override
  public JexlMethod getConstructor(Object ctorHandle, Object... args) {
    return null; // 'new' does not parse; the fn: namespace is used through its static methods
  }

  @Override
  public Iterator<?> getIterator(Object obj) {
    return base.getIterator(obj);
  }

  @Override
  public List<PropertyResolver> getResolvers(JexlOperator operator, Object obj) {
    return base.getResolvers(operator, obj);
  }

  @Override
  public JexlArithmetic.Uberspect getArithmetic(JexlArithmetic arithmetic) {
    return base.getArithmetic(arithmetic);
  }

  @Override
  public Class<?> getClassByName(String className) {
    return null; // expressions reach no classes
  }

  @Override
  public ClassLoader getClassLoader() {
    return base.getClassLoader();
  }

  @Override
  public void setClassLoader(ClassLoader loader) {
    base.setClassLoader(loader);
  }

  @Override
  public int getVersion() {
    return base.getVersion();
  }
}
