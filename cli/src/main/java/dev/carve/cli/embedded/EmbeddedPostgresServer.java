package dev.carve.cli.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * PostgreSQL run from zonky's embedded binaries for {@code carve up}: the demo monolith and one
 * database per service on one server with {@code wal_level=logical}. The data directory lives under
 * {@code .carve/postgres}, so a restart keeps the data, the replication slot and the targets.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
  /** The superuser of the embedded server. */
  public static final String USER = "postgres";

  private final EmbeddedPostgres postgres;

  private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /**
   * Starts the server on {@code port} with its data in {@code dataDir} (initialised when new).
   *
   * @throws EmbeddedStartException when the port is taken or the server does not start
   */
  public static EmbeddedPostgresServer start(Path dataDir, int port) {
    Ports.requireFree(port, "embedded PostgreSQL", "--postgres-port");
    try {
      Files.createDirectories(dataDir.getParent());
      EmbeddedPostgres pg =
          EmbeddedPostgres.builder()
              .setDataDirectory(dataDir)
              .setCleanDataDirectory(false)
              .setPort(port)
              .setPGStartupWait(Duration.ofSeconds(60))
              .setServerConfig("wal_level", "logical")
              .setServerConfig("max_replication_slots", "10")
              .setServerConfig("max_wal_senders", "10")
              .setServerConfig("max_connections", "200")
              .setServerConfig("max_slot_wal_keep_size", "4GB")
              .start();
      return new EmbeddedPostgresServer(pg);
    } catch (IOException e) {
      throw new EmbeddedStartException(
          "Embedded PostgreSQL did not start on port "
              + port
              + " (data in "
              + dataDir
              + "): "
              + e.getMessage()
              + ". If the data is damaged, start over with 'carve up --fresh'.",
          e);
    }
  }

  /** The port the server listens on. */
  public int port() {
    return postgres.getPort();
  }

  /** The JDBC URL of a database on this server. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://localhost:" + port() + "/" + database;
  }

  /** Opens a connection to a database as the superuser. */
  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), USER, "");
  }

  /**
   * Creates a database when it does not exist yet.
   *
   * @return true when it was created now
   */
  public boolean ensureDatabase(String name) throws SQLException {
    try (Connection c = connect("postgres")) {
      try (PreparedStatement ps =
          c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
        ps.setString(1, name);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            return false;
          }
        }
      }
      try (Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + dev.carve.core.SqlIdentifiers.quote(name));
      }
      return true;
    }
  }

  /** Stops the server (fast shutdown: in-flight transactions roll back). */
  @Override
  public void close() throws IOException {
    postgres.close();
  }
}
