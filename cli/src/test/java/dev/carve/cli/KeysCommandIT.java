package dev.carve.cli;

import static dev.carve.cli.CommandItSupport.carve;
import static org.assertj.core.api.Assertions.assertThat;

import dev.carve.cli.CommandItSupport.Run;
import dev.carve.testkit.TestKafka;
import dev.carve.transform.keys.KeyRegistry;
import dev.carve.transform.keys.KeyRegistryTopic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carve keys get | set} through the command line on the shared test broker: the registry
 * topic is the default {@code carve.legacy-keys}, so each test uses its own namespace.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KeysCommandIT {
  private static final String SERVICE = "keys_it";

  @TempDir static Path dir;
  private static Path config;

  @BeforeAll
  static void writeConfig() throws Exception {
    config = dir.resolve("carve.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "kafka:",
            "  bootstrap-servers: " + TestKafka.bootstrapServers(),
            "schema-registry:",
            "  url: mock://keys-command-it",
            "services:",
            "  " + SERVICE + ":",
            "    topology: never-loaded.yaml",
            "    target:",
            "      jdbc-url: jdbc:postgresql://localhost:1/never_connected",
            "      username: nobody",
            ""));
  }

  private static Run keys(String... args) {
    String[] all = new String[args.length + 3];
    all[0] = "keys";
    System.arraycopy(args, 0, all, 1, args.length);
    all[args.length + 1] = "--config";
    all[args.length + 2] = config.toString();
    return carve(all);
  }

  private static KeyRegistryTopic registry() {
    return KeyRegistryTopic.of(KeyRegistry.DEFAULT_TOPIC, TestKafka.bootstrapServers(), Map.of());
  }

  @Test
  void getOfAValueNotRecordedNamesItsProposal() {
    long proposal = KeyRegistry.proposal("kit_get", "C1");

    Run get = keys("get", SERVICE, "kit_get", "C1");

    assertThat(get.exit()).as(get.both()).isZero();
    assertThat(get.out())
        .contains("legacy value 'C1' of key namespace 'kit_get': not recorded in carve.legacy-keys")
        .contains("it would get its proposal " + proposal);
  }

  @Test
  void setRecordsTheKeyThenGetShowsItAndTheNextStep() {
    Run set = keys("set", SERVICE, "kit_set", "C1", "4242");

    assertThat(set.exit()).as(set.both()).isZero();
    assertThat(set.out())
        .contains("recorded 'kit_set/C1' = 4242 in carve.legacy-keys")
        .contains("carve verify keys_it --repair");
    assertThat(registry().read().keyOf("kit_set", "C1")).isEqualTo(4242L);

    Run get = keys("get", SERVICE, "kit_set", "C1");
    assertThat(get.out())
        .contains("legacy value 'C1' of key namespace 'kit_set': key 4242, recorded in")
        .contains("its proposal would be " + KeyRegistry.proposal("kit_set", "C1"));

    Run again = keys("set", SERVICE, "kit_set", "C1", "4242");
    assertThat(again.exit()).as(again.both()).isZero();
    assertThat(again.out()).contains("key 4242 is recorded already").contains("nothing written");
  }

  @Test
  void setRefusesAKeyRecordedForAnotherLegacyValueEvenWithForce() {
    assertThat(keys("set", SERVICE, "kit_taken", "A", "77").exit()).isZero();

    Run refused = keys("set", SERVICE, "kit_taken", "B", "77", "--force");

    assertThat(refused.exit()).as(refused.both()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(refused.err())
        .contains("key 77 of key namespace 'kit_taken' is recorded for 'A'")
        .contains("recording it for 'B' too would make their rows one row");
    assertThat(registry().read().keyOf("kit_taken", "B")).isNull();
    assertThat(keys("set", SERVICE, "other_ns", "B", "77").exit())
        .as("the same key in another namespace is another key")
        .isZero();
  }

  @Test
  void getNamesWhoHoldsTheProposal() {
    long proposal = KeyRegistry.proposal("kit_holder", "NEW");
    assertThat(keys("set", SERVICE, "kit_holder", "OLD", Long.toString(proposal)).exit()).isZero();

    Run get = keys("get", SERVICE, "kit_holder", "NEW");

    assertThat(get.exit()).as(get.both()).isZero();
    assertThat(get.out())
        .contains("it would get its proposal " + proposal)
        .contains("key " + proposal + " is recorded for 'OLD' of the namespace")
        .contains("carve keys set keys_it kit_holder 'NEW' <key>");
  }

  @Test
  void setRefusesToReplaceARecordedKeyUnlessForced() {
    assertThat(keys("set", SERVICE, "kit_force", "C1", "10").exit()).isZero();

    Run refused = keys("set", SERVICE, "kit_force", "C1", "11");
    assertThat(refused.exit()).as(refused.both()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(refused.err())
        .contains(
            "legacy value 'C1' of key namespace 'kit_force' has key 10 recorded in"
                + " carve.legacy-keys")
        .contains("--force");

    Run dryRun = keys("set", SERVICE, "kit_force", "C1", "11", "--force", "--dry-run");
    assertThat(dryRun.exit()).as(dryRun.both()).isZero();
    assertThat(dryRun.out())
        .contains("would record 'kit_force/C1' = 11 in carve.legacy-keys at ")
        .contains("(replacing key 10)")
        .contains("dry run: nothing written");
    assertThat(registry().read().keyOf("kit_force", "C1")).isEqualTo(10L);

    Run forced = keys("set", SERVICE, "kit_force", "C1", "11", "--force");
    assertThat(forced.exit()).as(forced.both()).isZero();
    assertThat(registry().read().keyOf("kit_force", "C1")).isEqualTo(11L);
    assertThat(registry().read().legacyValueOf("kit_force", 10)).isNull();
  }

  @Test
  void dryRunOfANewKeyWritesNothing() {
    Run dryRun = keys("set", SERVICE, "kit_dry", "C1", "5", "--dry-run");

    assertThat(dryRun.exit()).as(dryRun.both()).isZero();
    assertThat(dryRun.out()).contains("would record 'kit_dry/C1' = 5").contains("nothing written");
    assertThat(registry().read().keyOf("kit_dry", "C1")).isNull();
  }

  @Test
  void badKeyAndNamespaceAreRejectedNamingTheParameter() {
    Run zero = keys("set", SERVICE, "kit_bad", "C1", "0");
    assertThat(zero.exit()).isEqualTo(2);
    assertThat(zero.err()).contains("KEY must be a positive whole number").contains("'0'");

    Run text = keys("set", SERVICE, "kit_bad", "C1", "abc");
    assertThat(text.err()).contains("KEY must be a positive whole number").contains("'abc'");

    Run slash = keys("get", SERVICE, "kit/bad", "C1");
    assertThat(slash.exit()).isEqualTo(2);
    assertThat(slash.err()).contains("NAMESPACE must be non-empty and must not contain '/'");

    Run unknown = keys("get", "no_such_service", "kit_bad", "C1");
    assertThat(unknown.exit()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(unknown.err()).contains("Unknown service 'no_such_service'");
  }
}
