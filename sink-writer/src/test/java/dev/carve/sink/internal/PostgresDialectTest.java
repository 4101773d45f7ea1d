package dev.carve.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.sink.Orders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PostgresDialectTest {
  @Test
  void identifiersAreDoubleQuotedWithEmbeddedQuotesDoubled() {
    assertThat(PostgresDialect.quoteIdentifier("order")).isEqualTo("\"order\"");
    assertThat(PostgresDialect.quoteIdentifier("a\"; DROP TABLE x; --"))
        .isEqualTo("\"a\"\"; DROP TABLE x; --\"");
    assertThatThrownBy(() -> PostgresDialect.quoteIdentifier(""))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theUpsertGuardComparesPositionsAndARepairWinsATie() {
    TableSpec spec = AvroColumns.tableSpec("public", "order", Orders.KEY, Orders.VALUE);

    assertThat(PostgresDialect.upsert(spec, false, true))
        .contains("ON CONFLICT (\"order_id\") DO UPDATE")
        .contains(
            "WHERE (t.\"carve_commit_lsn\", t.\"carve_change_lsn\") < (EXCLUDED.\"carve_commit_lsn\","
                + " EXCLUDED.\"carve_change_lsn\")")
        .endsWith(
            " OR ((t.\"carve_commit_lsn\", t.\"carve_change_lsn\") = (0, 0) AND"
                + " (EXCLUDED.\"carve_commit_lsn\", EXCLUDED.\"carve_change_lsn\") = (0, 0))");
    assertThat(PostgresDialect.upsert(spec, true, true))
        .contains("<= (EXCLUDED.\"carve_commit_lsn\", EXCLUDED.\"carve_change_lsn\")");
  }

  @Test
  void theUpsertBindsAFixedNumberOfParametersWhateverTheBatchSize() {
    TableSpec spec = AvroColumns.tableSpec("public", "order", Orders.KEY, Orders.VALUE);
    String sql = PostgresDialect.upsert(spec, false, true);

    assertThat(sql.chars().filter(ch -> ch == '?').count())
        .isEqualTo(PostgresDialect.upsertParameterCount(spec, true));
    assertThat(PostgresDialect.upsert(spec, false, false).chars().filter(ch -> ch == '?').count())
        .isEqualTo(PostgresDialect.upsertParameterCount(spec, false));
    assertThat(PostgresDialect.delete(spec, false).chars().filter(ch -> ch == '?').count())
        .isEqualTo(PostgresDialect.deleteParameterCount(spec));
  }

  @Test
  void avroTypesMapToPostgresTypes() {
    TableSpec spec = AvroColumns.tableSpec("public", "order", Orders.KEY, Orders.VALUE);

    assertThat(spec.keyColumns()).containsExactly(new Column("order_id", "bigint", false));
    assertThat(spec.valueColumns())
        .contains(
            new Column("ordered_at", "timestamp with time zone", false),
            new Column("status", "text", false),
            new Column("total", "numeric(12,2)", false),
            new Column("ship_name", "text", true),
            new Column("line_count", "integer", false));
    assertThat(spec.valueColumns()).extracting(Column::name).doesNotContain("order_id");
  }

  @Test
  void tableDdlHasThePrimaryKeyAndTheBookkeepingColumns() {
    TableSpec spec =
        new TableSpec(
            "s",
            "t",
            List.of(new Column("id", "bigint", false)),
            List.of(new Column("v", "text", true)));

    assertThat(PostgresDialect.createTable(spec))
        .isEqualTo(
            "CREATE TABLE IF NOT EXISTS \"s\".\"t\" (\"id\" bigint NOT NULL, \"v\" text,"
                + " \"carve_commit_lsn\" bigint NOT NULL, \"carve_change_lsn\" bigint NOT NULL,"
                + " \"carve_updated_at\" timestamp with time zone NOT NULL DEFAULT now(),"
                + " PRIMARY KEY (\"id\"))");
  }

  @Test
  void replacedTablesAreDroppedInOneStatementSoForeignKeysBetweenThemDoNotBlockIt() {
    assertThat(PostgresDialect.dropTablesRestrict("p__old", List.of("order", "order_line")))
        .isEqualTo("DROP TABLE \"p__old\".\"order\", \"p__old\".\"order_line\" RESTRICT");
  }

  @Test
  void scratchSchemasArePerServiceAndNeverLongerThanPostgresKeeps() {
    assertThat(PostgresDialect.scratchSchema("public", "shadow", "orders"))
        .isEqualTo("public__shadow__orders");
    String schema = "a_very_long_schema_name_of_a_team_that_likes_long_names_x";
    String one = PostgresDialect.scratchSchema(schema, "shadow", "orders_service_one");
    String two = PostgresDialect.scratchSchema(schema, "shadow", "orders_service_two");
    String replaced = PostgresDialect.scratchSchema(schema, "replaced", "orders_service_one");
    assertThat(List.of(one, two, replaced))
        .allSatisfy(
            n -> assertThat(n.getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(63))
        .doesNotHaveDuplicates();
    assertThat(one).startsWith(schema.substring(0, 40));
    String wide =
        PostgresDialect.scratchSchema("schéma_ünïcødé_€€€€€€€€€€€€€€€€€€€", "shadow", "orders");
    assertThat(wide.getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(63);
    assertThat(wide).startsWith("schéma_ünïcødé");
  }

  @Test
  void aTablesWriteLockKeyIsStableAndDiffersBetweenTablesAndSchemas() {
    long order = PostgresDialect.tableLockKey("public", "order");

    assertThat(PostgresDialect.tableLockKey("public", "order")).isEqualTo(order);
    assertThat(PostgresDialect.tableLockKey("public", "order_line")).isNotEqualTo(order);
    assertThat(PostgresDialect.tableLockKey("billing", "order")).isNotEqualTo(order);
    // "a.b"."c" and "a"."b.c" are different tables and must not share a lock.
    assertThat(PostgresDialect.tableLockKey("a.b", "c"))
        .isNotEqualTo(PostgresDialect.tableLockKey("a", "b.c"));
    assertThat(PostgresDialect.lockTable()).isEqualTo("SELECT pg_advisory_xact_lock(?)");
  }
}
