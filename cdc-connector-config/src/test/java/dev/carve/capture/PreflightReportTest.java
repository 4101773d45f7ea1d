package dev.carve.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carve.capture.PreflightCheck.Level;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreflightReportTest {
  private static final String LONG_FIX =
      "ALTER TABLE \"public\".\"audit_log\" REPLICA IDENTITY FULL; or add a primary key: ALTER"
          + " TABLE \"public\".\"audit_log\" ADD PRIMARY KEY (<key columns>);";

  private static PreflightReport report(PreflightCheck... checks) {
    return new PreflightReport("legacy-shop", "db.example:5432/legacy_shop", List.of(checks));
  }

  @Test
  void renderShowsLevelCheckFindingAndFixColumnsAndAVerdict() {
    PreflightReport r =
        report(
            PreflightCheck.ok("wal_level", "wal_level is logical"),
            PreflightCheck.warn("heartbeat", "heartbeat.interval.ms is not set", "set it"),
            PreflightCheck.blocker("replica identity", "public.audit_log has no key", "fix it"));

    String text = r.render();

    List<String> lines = text.lines().toList();
    assertThat(lines.get(0)).startsWith("LEVEL").contains("CHECK", "FINDING", "FIX");
    assertThat(lines.get(1)).startsWith("-------");
    assertThat(lines.get(2)).startsWith("OK       wal_level").contains("wal_level is logical");
    assertThat(lines.get(3)).startsWith("WARN     heartbeat").endsWith("set it");
    assertThat(lines.get(4)).startsWith("BLOCKER  replica identity").endsWith("fix it");
    assertThat(r.verdict())
        .isEqualTo(
            "connector 'legacy-shop' on db.example:5432/legacy_shop: 1 blocker, 1 warning;"
                + " fix the blockers before deploying the connector");
    assertThat(text.strip().replaceAll("\\s+", " ")).endsWith(r.verdict());
  }

  @Test
  void longFindingsAndFixesWrapWithinTheirColumnsAndTheWidth() {
    PreflightReport r =
        report(
            PreflightCheck.blocker(
                "replica identity",
                "public.audit_log has no primary key and REPLICA IDENTITY DEFAULT: once it is in"
                    + " the publication PostgreSQL rejects its UPDATEs and DELETEs",
                LONG_FIX));

    String text = r.render(100);

    List<String> lines = text.lines().toList();
    assertThat(lines).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(100));
    List<String> rows = lines.subList(2, lines.indexOf(""));
    assertThat(rows.size()).isGreaterThan(1);
    assertThat(rows.get(0)).startsWith("BLOCKER  replica identity");
    assertThat(rows.subList(1, rows.size())).allSatisfy(l -> assertThat(l).startsWith("         "));
    int fixColumn = rows.get(0).indexOf("ALTER");
    String fixText =
        String.join(
            " ",
            rows.stream()
                .filter(l -> l.length() > fixColumn)
                .map(l -> l.substring(fixColumn).strip())
                .toList());
    assertThat(fixText).as("the fix reads back whole, words unbroken").isEqualTo(LONG_FIX);
  }

  @Test
  void exitCodeIsOneOnlyWithABlocker() {
    assertThat(report(PreflightCheck.ok("a", "fine")).exitCode()).isZero();
    assertThat(report(PreflightCheck.warn("a", "hm", "look")).exitCode()).isZero();
    assertThat(report(PreflightCheck.warn("a", "hm", "look")).ready()).isTrue();
    PreflightReport blocked =
        report(PreflightCheck.ok("a", "fine"), PreflightCheck.blocker("b", "broken", "repair"));
    assertThat(blocked.exitCode()).isEqualTo(1);
    assertThat(blocked.blockers()).extracting(PreflightCheck::name).containsExactly("b");
    assertThat(blocked.verdict()).contains("1 blocker, 0 warnings");
  }

  @Test
  void verdictWithoutProblemsSaysReady() {
    assertThat(report(PreflightCheck.ok("a", "fine")).verdict())
        .endsWith("0 blockers, 0 warnings; ready to deploy");
  }

  @Test
  void jsonHoldsEveryResultWithANullFixForOk() throws Exception {
    PreflightReport r =
        report(PreflightCheck.ok("wal_level", "logical"), PreflightCheck.blocker("b", "x", "y"));

    JsonNode json = new ObjectMapper().readTree(r.toJson());

    assertThat(json.get("connector").asText()).isEqualTo("legacy-shop");
    assertThat(json.get("ready").asBoolean()).isFalse();
    assertThat(json.get("blockers").asInt()).isEqualTo(1);
    assertThat(json.get("results")).hasSize(2);
    assertThat(json.get("results").get(0).get("fix").isNull()).isTrue();
    assertThat(json.get("results").get(1).get("level").asText()).isEqualTo("BLOCKER");
    assertThat(json.get("results").get(1).get("check").asText()).isEqualTo("b");
  }

  @Test
  void aWarningOrBlockerWithoutAFixIsRejected() {
    assertThatThrownBy(() -> PreflightCheck.blocker("slot", "active", " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'slot' is BLOCKER and needs a fix");
  }

  @Test
  void findingsAreFlattenedToOneLine() {
    PreflightCheck c = new PreflightCheck("x", Level.WARN, "first\n  second", "a\r\nb");
    assertThat(c.finding()).isEqualTo("first second");
    assertThat(c.fix()).isEqualTo("a b");
  }
}
