package dev.carve.sink.internal;

import dev.carve.core.config.ConfigException;
import dev.carve.core.config.Secrets;
import dev.carve.sink.SinkOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JDBC connection to a target database, opened on demand and opened again after it was lost.
 * The password is held here only and never logged; the URL is only ever shown masked ({@link
 * Secrets#maskUrl}), since it may carry a {@code password=} parameter.
 */
public final class JdbcTarget implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcTarget.class);

  private final String url;
  private final String displayUrl;
  private final String user;
  private final String password;
  // Volatile: abort() reads it from the thread that closes the sink.
  private volatile Connection connection;

  /**
   * Creates the target.
   *
   * @param url the JDBC URL; never null
   * @param user the user; null to leave it to the URL or driver defaults
   * @param password the password; null when none
   */
  public JdbcTarget(String url, String user, String password) {
    this.url = Objects.requireNonNull(url, "url");
    this.displayUrl = Secrets.maskUrl(url);
    this.user = user;
    this.password = password;
  }

  /** The JDBC URL for messages and logs: any password in it is masked. */
  public String url() {
    return displayUrl;
  }

  /**
   * The open connection (auto-commit off), opening one when needed.
   *
   * @throws TargetUnavailableException when the database cannot be reached right now
   * @throws SQLException for errors that will not go away (authentication, unknown database)
   * @throws ConfigException when the driver cannot use the URL (it names {@code jdbc-url} and the
   *     masked URL)
   */
  public Connection connection() throws SQLException, TargetUnavailableException {
    if (connection != null) {
      return connection;
    }
    Properties props = new Properties();
    if (user != null) {
      props.setProperty("user", user);
    }
    if (password != null) {
      props.setProperty("password", password);
    }
    props.setProperty("ApplicationName", "carve-sink");
    props.setProperty("tcpKeepAlive", "true");
    try {
      Connection c = DriverManager.getConnection(url, props);
      try {
        pinTimeZone(c);
        c.setAutoCommit(false);
      } catch (SQLException e) {
        c.close();
        throw e;
      }
      connection = c;
      return c;
    } catch (SQLException raw) {
      SQLException e = masked(raw);
      if (unusableUrl(raw)) {
        // No retry can fix the URL: fail with a config error instead of waiting for the database.
        throw new ConfigException(
            "sink options",
            "key '"
                + SinkOptions.JDBC_URL.key()
                + "' is not a URL the PostgreSQL driver can use: "
                + displayUrl
                + " ("
                + e.getMessage()
                + ")");
      }
      String state = e.getSQLState() == null ? "" : e.getSQLState();
      if (state.startsWith("28") || state.equals("3D000")) {
        throw e;
      }
      throw new TargetUnavailableException(
          "Cannot connect to " + displayUrl + " (SQLState " + state + "): " + e.getMessage(), e);
    }
  }

  /**
   * Sets the session's {@code TimeZone} to UTC. pgjdbc starts every session in the JVM's default
   * time zone, and PostgreSQL renders a {@code timestamptz} into jsonb in the session's zone: the
   * tombstone key of a timestamp key column ({@code jsonb_build_object} in {@link
   * PostgresDialect#upsert}/{@link PostgresDialect#delete}) would differ between a sink in UTC and
   * {@code carve dlq retry} on a laptop in Europe/Berlin, and an older upsert would not see the
   * newer delete's tombstone. Every connection of the sink-writer (sink, failure log, replay) is
   * opened here, so all of them build the same key.
   */
  static void pinTimeZone(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(PostgresDialect.pinTimeZone());
    }
  }

  /**
   * True when connecting failed because of the URL itself: pgjdbc could not parse it ({@code
   * "Unable to parse URL"}, SQLState 99999, without a cause; an unexpected failure while connecting
   * has the same SQLState but carries its cause) or no driver accepts it ({@code DriverManager}'s
   * "No suitable driver found"). Such an error would never go away by waiting.
   */
  static boolean unusableUrl(SQLException e) {
    if ("99999".equals(e.getSQLState()) && e.getCause() == null) {
      return true;
    }
    String message = e.getMessage();
    return message != null && message.startsWith("No suitable driver");
  }

  /**
   * The error with the URL masked where the driver quoted it ({@code DriverManager}'s "No suitable
   * driver found for <url>"): a copy without the original as its cause, which would print it.
   */
  private SQLException masked(SQLException e) {
    String message = e.getMessage();
    if (message == null || url.equals(displayUrl) || !message.contains(url)) {
      return e;
    }
    SQLException copy =
        new SQLException(Secrets.maskUrlIn(message, url), e.getSQLState(), e.getErrorCode());
    copy.setStackTrace(e.getStackTrace());
    return copy;
  }

  /**
   * Aborts the connection from another thread (the one closing the sink): a statement blocked on a
   * lock, or reading from a peer that went away without a word, fails at once instead of holding up
   * the shutdown, and the server rolls its transaction back. The owner's next call opens a fresh
   * connection. Does nothing when no connection is open.
   */
  public void abort() {
    Connection c = connection;
    if (c == null) {
      return;
    }
    try {
      c.abort(Runnable::run);
      LOG.info("Aborted the connection to {} of a write still running at shutdown", displayUrl);
    } catch (SQLException e) {
      LOG.warn("Aborting the connection to {} failed: {}", displayUrl, e.toString());
    }
  }

  /** Rolls back quietly and closes the connection so the next call opens a fresh one. */
  public void reset() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        LOG.debug("Closing a broken connection to {} failed: {}", displayUrl, e.toString());
      }
      connection = null;
    }
  }

  /** Rolls back what is in flight; resets the connection when even that fails. */
  public void rollbackQuietly() {
    if (connection != null) {
      try {
        connection.rollback();
      } catch (SQLException e) {
        reset();
      }
    }
  }

  @Override
  public void close() {
    rollbackQuietly();
    reset();
  }
}
