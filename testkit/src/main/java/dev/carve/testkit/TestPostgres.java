package dev.carve.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One real PostgreSQL server (zonky embedded binaries) with {@code wal_level=logical}, shared by
 * all tests of a JVM. Each test creates its own database with {@link #createDatabase}.
 */
public final class TestPostgres {
  /** Superuser name of the embedded server. */
  public static final String USER = "postgres";

  /** Superuser password of the embedded server (trust authentication: any password works). */
  public static final String PASSWORD = "postgres";

  private static EmbeddedPostgres server;

  private TestPostgres() {}

  /** Starts the server on first use. */
  public static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        server =
            EmbeddedPostgres.builder()
                .setServerConfig("wal_level", "logical")
                .setServerConfig("max_replication_slots", "40")
                .setServerConfig("max_wal_senders", "40")
                .setServerConfig("max_connections", "300")
                .setServerConfig("fsync", "off")
                .setServerConfig("synchronous_commit", "off")
                .setServerConfig("full_page_writes", "off")
                .start();
        // Fallback for runs outside a JUnit session; normally SharedInfrastructure stops it first.
        Runtime.getRuntime().addShutdownHook(new Thread(TestPostgres::stop, "test-pg-stop"));
      } catch (IOException e) {
        throw new IllegalStateException("Could not start embedded PostgreSQL: " + e, e);
      }
    }
    return server;
  }

  /** The port the server listens on. */
  public static int port() {
    return server().getPort();
  }

  /** The JDBC URL of a database on the shared server. */
  public static String jdbcUrl(String database) {
    return "jdbc:postgresql://localhost:" + port() + "/" + database;
  }

  /** Opens a connection to a database as the superuser. */
  public static Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), USER, PASSWORD);
  }

  /**
   * Creates a fresh database (dropping an old one of that name, with its replication slots) and
   * returns its JDBC URL.
   */
  public static String createDatabase(String name) {
    if (!name.matches("[a-z][a-z0-9_]*")) {
      throw new IllegalArgumentException("Test database names are lower-case identifiers: " + name);
    }
    try (Connection c = connect("postgres");
        Statement s = c.createStatement()) {
      s.execute(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '"
              + name
              + "' AND NOT active");
      s.execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
      s.execute("CREATE DATABASE \"" + name + "\"");
    } catch (SQLException e) {
      throw new IllegalStateException("Could not create test database '" + name + "': " + e, e);
    }
    return jdbcUrl(name);
  }

  /** Stops the server (at the end of the JUnit session, see {@link SharedInfrastructure}). */
  public static synchronized void stop() {
    if (server != null) {
      try {
        server.close();
      } catch (IOException e) {
        // Shutting down the JVM anyway; nothing to recover.
      }
      server = null;
    }
  }
}
