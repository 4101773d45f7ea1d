package dev.carve.cli.runtime;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;

/**
 * The capture lag as PostgreSQL sees it: how much WAL the replication slot still retains beyond
 * what the connector confirmed ({@code pg_current_wal_lsn() - confirmed_flush_lsn}).
 */
public final class SlotLag {
  private SlotLag() {}

  /**
   * Bytes of WAL between the server's current position and the slot's confirmed position.
   *
   * @return the lag in bytes, or -1 when the slot does not exist (yet)
   */
  public static long bytes(String jdbcUrl, String user, String password, String slot)
      throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    if (password != null) {
      p.setProperty("password", password);
    }
    return bytes(jdbcUrl, p, slot);
  }

  /**
   * Bytes of WAL between the server's current position and the slot's confirmed position, read with
   * the given connection properties (a connector's {@code ConnectorConfig.jdbcProperties()}, with
   * its TLS settings).
   *
   * @param properties pgjdbc properties, user and password included; never null
   * @return the lag in bytes, or -1 when the slot does not exist (yet)
   */
  public static long bytes(String jdbcUrl, Properties properties, String slot) throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl, properties);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint"
                    + " FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : -1;
      }
    }
  }
}
