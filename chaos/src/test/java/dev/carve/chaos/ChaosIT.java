package dev.carve.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.examples.DataGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The short chaos run of every build: a fixed seed, the demo pipeline as separate processes, at
 * least one fault of each kind under load with large transactions, and every kind of bad input;
 * nothing may be lost.
 */
class ChaosIT {
  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void pipelineLosesNothingThroughEveryKindOfFaultAndBadInput() throws Exception {
    Path home = home();
    ChaosHarness.Options options =
        new ChaosHarness.Options(
            Path.of("target", "chaos-it").toAbsolutePath(),
            home,
            Duration.ofSeconds(30),
            7,
            60,
            Duration.ofSeconds(8),
            Duration.ofSeconds(10),
            3_000,
            10_000,
            new DataGenerator.Sizes(400, 40, 1_200),
            true,
            Duration.ofMinutes(4),
            Duration.ofMinutes(5));
    ChaosReport report = ChaosHarness.run(options, line -> System.out.println("[chaos] " + line));
    System.out.print(report.render());

    assertThat(report.faultCounts())
        .allSatisfy((kind, n) -> assertThat(n).as(kind.name()).isPositive());
    assertThat(report.faults())
        .allSatisfy(f -> assertThat(f.recovery()).as(f.fault().name()).isNotNull());
    assertThat(report.changesApplied().get("bulk_insert")).as("large transactions").isPositive();
    assertThat(report.services())
        .hasSize(3)
        .allSatisfy(s -> assertThat(s.ok()).as(s.detail()).isTrue());
    assertThat(report.services()).allSatisfy(s -> assertThat(s.rows()).isPositive());
    assertThat(report.badInput())
        .isNotEmpty()
        .allSatisfy(b -> assertThat(b.ok()).as(b.input() + ": " + b.found()).isTrue());
    assertThat(report.ok()).isTrue();
  }

  private static Path home() {
    Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve("carve.yaml"))) {
      p = p.getParent();
    }
    assertThat(p).as("carve.yaml above the working directory").isNotNull();
    return p;
  }
}
