package dev.carve.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.core.config.Substitution;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PreflightTest {

  @Test
  void unboundedVariableLengthColumnsAreToastable() {
    assertThat(Preflight.toastable("text", -1, "x", 4)).isTrue();
    assertThat(Preflight.toastable("bytea", -1, "x", 4)).isTrue();
    assertThat(Preflight.toastable("jsonb", -1, "x", 4)).isTrue();
    assertThat(Preflight.toastable("varchar", -1, "x", 4)).as("varchar without length").isTrue();
    assertThat(Preflight.toastable("text", -1, "e", 4)).as("EXTERNAL storage").isTrue();
  }

  @Test
  void shortBoundedCharacterColumnsAndPlainOrMainStorageAreNot() {
    assertThat(Preflight.toastable("varchar", 200 + 4, "x", 4)).isFalse();
    assertThat(Preflight.toastable("bpchar", 1 + 4, "x", 4)).isFalse();
    assertThat(Preflight.toastable("varchar", 2048 + 4, "x", 4)).isTrue();
    assertThat(Preflight.toastable("varchar", 1000 + 4, "x", 1)).isFalse();
    assertThat(Preflight.toastable("numeric", 786_438, "m", 4)).isFalse();
    assertThat(Preflight.toastable("text", -1, "p", 4)).isFalse();
  }

  @Test
  void bytesAreShownInBinaryUnits() {
    assertThat(Preflight.bytes(512)).isEqualTo("512 B");
    assertThat(Preflight.bytes(1536)).isEqualTo("1.5 KiB");
    assertThat(Preflight.bytes(Preflight.DEFAULT_WAL_WARN_BYTES)).isEqualTo("1.0 GiB");
  }

  @Test
  void reasonIsTheFirstSentenceAndTheCause() {
    SQLException refused =
        new SQLException(
            "Connection to localhost:1 refused. Check that the hostname and port are correct.");
    assertThat(Preflight.reason(refused)).isEqualTo("Connection to localhost:1 refused");
    SQLException unknown =
        new SQLException("The connection attempt failed.", new UnknownHostException("nohost"));
    assertThat(Preflight.reason(unknown))
        .isEqualTo("The connection attempt failed: UnknownHostException nohost");
  }

  @Test
  void thresholdBelowOneByteIsRejected() {
    ConnectorConfig c =
        ConnectorConfig.load(Path.of("connectors/legacy-shop.json"), new Substitution(k -> null));
    Preflight p = Preflight.of(c);
    assertThat(p.walWarnBytes()).isEqualTo(Preflight.DEFAULT_WAL_WARN_BYTES);
    assertThat(p.withWalWarnBytes(1).walWarnBytes()).isEqualTo(1);
    assertThatThrownBy(() -> p.withWalWarnBytes(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1 byte, not 0");
  }

  @Test
  void walLevelOtherThanLogicalIsABlockerWithTheFix() {
    PreflightCheck replica = Preflight.walLevelCheck("replica");
    assertThat(replica.level()).isEqualTo(PreflightCheck.Level.BLOCKER);
    assertThat(replica.finding()).contains("'replica'");
    assertThat(replica.fix()).contains("ALTER SYSTEM SET wal_level = logical", "restart");
    assertThat(Preflight.walLevelCheck("logical").level()).isEqualTo(PreflightCheck.Level.OK);
  }

  @Test
  void unboundedOrUnsupportedWalKeepSizeWarnsAndABoundIsOk() {
    assertThat(Preflight.walKeepSizeCheck(-1L, "17.6").level())
        .isEqualTo(PreflightCheck.Level.WARN);
    assertThat(Preflight.walKeepSizeCheck(-1L, "17.6").finding()).contains("fill", "disk");
    assertThat(Preflight.walKeepSizeCheck(null, "12.4").finding()).contains("PostgreSQL 12.4");
    PreflightCheck bounded = Preflight.walKeepSizeCheck(10_240L, "17.6");
    assertThat(bounded.level()).isEqualTo(PreflightCheck.Level.OK);
    assertThat(bounded.finding()).contains("10.0 GiB");
  }

  @Test
  void missingOrZeroHeartbeatWarnsAndGarbageIsABlocker() {
    String query = "UPDATE hb SET t = now()";
    assertThat(Preflight.heartbeatCheck(null, query, "c.json").level())
        .isEqualTo(PreflightCheck.Level.WARN);
    assertThat(Preflight.heartbeatCheck("0", query, "c.json").finding()).contains("is 0", "WAL");
    assertThat(Preflight.heartbeatCheck("0", query, "c.json").fix()).contains("c.json");
    assertThat(Preflight.heartbeatCheck("10s", query, "c.json").level())
        .isEqualTo(PreflightCheck.Level.BLOCKER);
    assertThat(Preflight.heartbeatCheck("10000", query, "c.json").level())
        .isEqualTo(PreflightCheck.Level.OK);
  }

  @Test
  void heartbeatWithoutActionQueryWarnsThatOtherDatabasesWalIsRetained() {
    PreflightCheck check = Preflight.heartbeatCheck("10000", null, "c.json");

    assertThat(check.level()).isEqualTo(PreflightCheck.Level.WARN);
    assertThat(check.finding()).contains("no heartbeat.action.query", "other databases");
    assertThat(check.fix()).contains("heartbeat.action.query", "c.json", "table.include.list");
    assertThat(Preflight.heartbeatCheck("10000", " ", "c.json").level())
        .isEqualTo(PreflightCheck.Level.WARN);
  }

  /** Regression: a misspelt key was accepted by Carve, Connect and Debezium, and ignored. */
  @Test
  void misspeltConnectorKeyWarnsWithTheNearestKnownKey() {
    ConnectorConfig legacyShop =
        ConnectorConfig.load(
            Path.of("connectors/legacy-shop.json"), new Substitution(name -> null));

    assertThat(Preflight.configKeysCheck(legacyShop.config(), "c.json").level())
        .as("every key of legacy-shop.json is known")
        .isEqualTo(PreflightCheck.Level.OK);

    Map<String, String> typo = new LinkedHashMap<>(legacyShop.config());
    typo.put("decimal.handeling.mode", "string");
    typo.put("carve.colour", "blue");
    PreflightCheck check = Preflight.configKeysCheck(typo, "c.json");

    assertThat(check.level()).isEqualTo(PreflightCheck.Level.WARN);
    assertThat(check.finding())
        .contains("'decimal.handeling.mode' (did you mean 'decimal.handling.mode'?)")
        .contains("'carve.colour'")
        .doesNotContain("'key.converter.schemas.enable'")
        .doesNotContain("'topic.creation.default.partitions'");
    assertThat(check.fix()).contains("c.json");
  }
}
