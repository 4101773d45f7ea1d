package dev.carve.sink.internal;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JDBC connection to a target database, opened on demand and opened again after it was lost.
 * The password is held here only and never logged.
 */
public final class JdbcTarget implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcTarget.class);

  private final String url;
  private final String user;
  private final String password;
  private Connection connection;

  /**
   * Creates the target.
   *
   * @param url the JDBC URL; never null
   * @param user the user; null to leave it to the URL or driver defaults
   * @param password the password; null when none
   */
  public JdbcTarget(String url, String user, String password) {
    this.url = Objects.requireNonNull(url, "url");
    this.user = user;
    this.password = password;
  }

  /** The JDBC URL (never carries the configured password). */
  public String url() {
    return url;
  }

  /**
   * The open connection (auto-commit off), opening one when needed.
   *
   * @throws TargetUnavailableException when the database cannot be reached right now
   * @throws SQLException for errors that will not go away (authentication, unknown database)
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
      c.setAutoCommit(false);
      connection = c;
      return c;
    } catch (SQLException e) {
      String state = e.getSQLState() == null ? "" : e.getSQLState();
      if (state.startsWith("28") || state.equals("3D000")) {
        throw e;
      }
      throw new TargetUnavailableException(
          "Cannot connect to " + url + " (SQLState " + state + "): " + e.getMessage(), e);
    }
  }

  /** Rolls back quietly and closes the connection so the next call opens a fresh one. */
  public void reset() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        LOG.debug("Closing a broken connection to {} failed: {}", url, e.toString());
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
