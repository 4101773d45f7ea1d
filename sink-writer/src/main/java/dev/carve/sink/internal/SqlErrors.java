package dev.carve.sink.internal;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;

/**
 * Classifies database errors: transient (retry the batch), the row's own (isolate the row and
 * dead-letter it), or fatal (stop before committing offsets).
 */
public final class SqlErrors {
  private SqlErrors() {}

  /** What a database error means for the records being written. */
  public enum Kind {
    /** Goes away by itself: the batch is rolled back and retried. */
    TRANSIENT,
    /**
     * Caused by the values of the row being written (SQLState class 22, data exception, or 23,
     * integrity constraint violation): the row is isolated and dead-lettered, the rest lands.
     */
    RECORD,
    /**
     * Neither: a problem of the database or of the sink's setup (a missing privilege or table, an
     * unexpected state) that would fail every row alike. The sink stops before committing offsets;
     * nothing is dead-lettered.
     */
    FATAL
  }

  /**
   * Classifies an error by the first SQLState in its cause chain ({@link #isTransient} first).
   *
   * @param error the error; may be null (fatal)
   */
  public static Kind classify(Throwable error) {
    if (isTransient(error)) {
      return Kind.TRANSIENT;
    }
    String state = sqlState(error);
    if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
      return Kind.RECORD;
    }
    return Kind.FATAL;
  }

  /**
   * True for errors that go away by themselves: connection problems (SQLState class 08, or an error
   * while connecting other than authentication or an unknown database), serialization failures
   * (40001), deadlocks (40P01), a lock not granted within {@code lock_timeout} (55P03), a statement
   * cancelled or past {@code statement_timeout} (57014), administrator shutdown or termination
   * (57P01–57P03), insufficient resources (class 53: disk full, out of memory, too many
   * connections), and {@link TargetUnavailableException}.
   */
  public static boolean isTransient(Throwable error) {
    for (Throwable t = error; t != null; t = next(t)) {
      if (t instanceof TargetUnavailableException) {
        return true;
      }
      if (t instanceof SQLRecoverableException || t instanceof SQLTransientException) {
        return true;
      }
      if (t instanceof SQLException e && e.getSQLState() != null) {
        String state = e.getSQLState();
        if (state.startsWith("08")
            || state.startsWith("53")
            || state.equals("40001")
            || state.equals("40P01")
            || state.equals("55P03")
            || state.equals("57014")
            || state.equals("57P01")
            || state.equals("57P02")
            || state.equals("57P03")) {
          return true;
        }
      }
    }
    return false;
  }

  /** The first SQLState in the cause chain, or null when there is none. */
  public static String sqlState(Throwable error) {
    for (Throwable t = error; t != null; t = next(t)) {
      if (t instanceof SQLException e && e.getSQLState() != null) {
        return e.getSQLState();
      }
    }
    return null;
  }

  private static Throwable next(Throwable t) {
    return t.getCause() == t ? null : t.getCause();
  }
}
