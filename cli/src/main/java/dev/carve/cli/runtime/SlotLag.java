package dev.carve.cli.runtime;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

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
    try (Connection c = DriverManager.getConnection(jdbcUrl, user, password);
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
