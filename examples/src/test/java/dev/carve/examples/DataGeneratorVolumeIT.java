package dev.carve.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DataGeneratorVolumeIT {

  @Test
  void hundredThousandOrdersLoadWellUnderAMinute() throws SQLException {
    TestPostgres.createDatabase("examples_shop_volume");
    try (Connection c = TestPostgres.connect("examples_shop_volume")) {
      LegacyShop.createSchema(c);
      DataGenerator.Result result =
          DataGenerator.create(new DataGenerator.Sizes(34_000, 2_000, 100_000), 1)
              .generate(c, DataGenerator.Progress.NONE);

      assertThat(result.rowsPerTable()).containsEntry("orders", 100_000L);
      assertThat(result.took()).isLessThan(Duration.ofSeconds(40));
    }
  }
}
