package dev.carve.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.sink.internal.SqlErrors.Kind;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class SqlErrorsTest {
  private static Kind classify(String state) {
    return SqlErrors.classify(new SQLException("boom", state));
  }

  @Test
  void onlyDataExceptionsAndIntegrityViolationsBelongToTheRow() {
    assertThat(classify("22021")).as("invalid byte sequence (NUL)").isEqualTo(Kind.RECORD);
    assertThat(classify("22P02")).as("invalid text representation").isEqualTo(Kind.RECORD);
    assertThat(classify("22003")).as("numeric value out of range").isEqualTo(Kind.RECORD);
    assertThat(classify("23502")).as("not null violation").isEqualTo(Kind.RECORD);
    assertThat(classify("23503")).as("foreign key violation").isEqualTo(Kind.RECORD);
    assertThat(classify("23505")).as("unique violation").isEqualTo(Kind.RECORD);
    assertThat(classify("23514")).as("check violation").isEqualTo(Kind.RECORD);
  }

  @Test
  void timeoutsResourcesConnectionsAndConflictsAreTransient() {
    for (String state :
        new String[] {
          "55P03", "57014", "53000", "53100", "53200", "53300", "53400", "08006", "08001", "40001",
          "40P01", "57P01", "57P02", "57P03"
        }) {
      assertThat(classify(state)).as(state).isEqualTo(Kind.TRANSIENT);
    }
    assertThat(SqlErrors.classify(new TargetUnavailableException("down", null)))
        .isEqualTo(Kind.TRANSIENT);
  }

  /**
   * Regression: every error outside a short transient list was taken for a bad row, so a missing
   * privilege or table dead-lettered every row of every batch and the offsets were committed.
   */
  @Test
  void errorsOfTheDatabaseOrTheSetupAreFatal() {
    for (String state : new String[] {"42501", "42P01", "42703", "25P02", "XX000", "0A000"}) {
      assertThat(classify(state)).as(state).isEqualTo(Kind.FATAL);
    }
    assertThat(SqlErrors.classify(new SQLException("no state"))).isEqualTo(Kind.FATAL);
    assertThat(SqlErrors.classify(null)).isEqualTo(Kind.FATAL);
  }

  @Test
  void theFirstSqlStateOfTheCauseChainDecides() {
    SQLException wrapped = new SQLException("context", null, new SQLException("inner", "23505"));
    assertThat(SqlErrors.classify(wrapped)).isEqualTo(Kind.RECORD);
    assertThat(SqlErrors.sqlState(new RuntimeException(new SQLException("x", "42501"))))
        .isEqualTo("42501");
    assertThat(SqlErrors.classify(new RuntimeException(new SQLException("x", "55P03"))))
        .isEqualTo(Kind.TRANSIENT);
  }
}
