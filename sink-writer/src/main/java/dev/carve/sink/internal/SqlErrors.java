package dev.carve.sink.internal;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;

/** Classifies database errors as transient (retry the batch) or permanent. */
public final class SqlErrors {
  private SqlErrors() {}

  /**
   * True for errors that go away by themselves: connection problems (SQLState class 08, or an error
   * while connecting other than authentication or an unknown database), serialization failures
   * (40001), deadlocks (40P01), administrator shutdown or termination (57P01–57P03), too many
   * connections (53300), and {@link TargetUnavailableException}.
   */
  public static boolean isTransient(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof TargetUnavailableException) {
        return true;
      }
      if (t instanceof SQLRecoverableException || t instanceof SQLTransientException) {
        return true;
      }
      if (t instanceof SQLException e && e.getSQLState() != null) {
        String state = e.getSQLState();
        if (state.startsWith("08")
            || state.equals("40001")
            || state.equals("40P01")
            || state.equals("57P01")
            || state.equals("57P02")
            || state.equals("57P03")
            || state.equals("53300")) {
          return true;
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
