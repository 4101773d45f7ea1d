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
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carve keys get | set | unset} through the command line on the shared test broker: the
 * registry topic is the default {@code carve.legacy-keys}, so each test uses its own namespace.
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

  /** Records a transformer's claim ({@code <namespace>/<value>}), as a transformer does. */
  private static void claim(String namespace, String legacyValue, long key) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  KeyRegistry.DEFAULT_TOPIC,
                  KeyRegistry.recordKey(namespace, legacyValue),
                  Long.toString(key)))
          .get();
    }
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
        .contains("recorded '=kit_set/C1' = 4242 in carve.legacy-keys")
        .contains("carve verify keys_it --repair");
    assertThat(registry().read().keyOf("kit_set", "C1")).isEqualTo(4242L);
    KeyRegistryTopic.Lookup written = registry().lookup("kit_set", "C1");
    assertThat(written.set()).as("a set record =kit_set/C1").contains(4242L);
    assertThat(written.claimed()).isEmpty();

    Run get = keys("get", SERVICE, "kit_set", "C1");
    assertThat(get.out())
        .contains(
            "legacy value 'C1' of key namespace 'kit_set': key 4242, recorded in"
                + " carve.legacy-keys, set by an operator")
        .contains("its proposal would be " + KeyRegistry.proposal("kit_set", "C1"))
        .contains("no transformer's claim under it: carve keys unset falls back to its proposal");

    Run again = keys("set", SERVICE, "kit_set", "C1", "4242");
    assertThat(again.exit()).as(again.both()).isZero();
    assertThat(again.out())
        .contains("key 4242 is recorded already in carve.legacy-keys (set by an operator)")
        .contains("nothing written");
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
        .contains("would record '=kit_force/C1' = 11 in carve.legacy-keys at ")
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
    assertThat(dryRun.out()).contains("would record '=kit_dry/C1' = 5").contains("nothing written");
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
    assertThat(slash.err()).contains("NAMESPACE must be non-empty, must not contain '/'");

    Run set = keys("unset", SERVICE, "=kit_bad", "C1");
    assertThat(set.exit()).isEqualTo(2);
    assertThat(set.err()).contains("must not start with '='");

    Run unknown = keys("get", "no_such_service", "kit_bad", "C1");
    assertThat(unknown.exit()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(unknown.err()).contains("Unknown service 'no_such_service'");
  }

  @Test
  void setWinsOverAClaimAndUnsetFallsBackToIt() throws Exception {
    claim("kit_unset", "C1", 300);

    Run set = keys("set", SERVICE, "kit_unset", "C1", "301", "--force");
    assertThat(set.exit()).as(set.both()).isZero();
    assertThat(set.out())
        .contains("recorded '=kit_unset/C1' = 301 in carve.legacy-keys at ")
        .contains("(replacing key 300)")
        .contains("claim of key 300 stays under it: carve keys unset keys_it kit_unset 'C1'");
    claim("kit_unset", "C1", 302); // a claim committed later does not replace the set key
    assertThat(registry().read().keyOf("kit_unset", "C1")).isEqualTo(301L);

    Run get = keys("get", SERVICE, "kit_unset", "C1");
    assertThat(get.out())
        .contains("key 301, recorded in carve.legacy-keys, set by an operator")
        .contains("under it, a transformer's claim of key 302: carve keys unset falls back to it");

    Run dryRun = keys("unset", SERVICE, "kit_unset", "C1", "--dry-run");
    assertThat(dryRun.exit()).as(dryRun.both()).isZero();
    assertThat(dryRun.out())
        .contains("would unset '=kit_unset/C1' (key 301) in carve.legacy-keys at ")
        .contains("falls back to key 302, a transformer's claim")
        .contains("dry run: nothing written");
    assertThat(registry().read().keyOf("kit_unset", "C1")).isEqualTo(301L);

    Run unset = keys("unset", SERVICE, "kit_unset", "C1");
    assertThat(unset.exit()).as(unset.both()).isZero();
    assertThat(unset.out())
        .contains("unset '=kit_unset/C1' (key 301)")
        .contains("falls back to key 302, a transformer's claim")
        .contains("rows mapped from it carry key 301, new changes write key 302");
    assertThat(registry().read().keyOf("kit_unset", "C1")).isEqualTo(302L);
    assertThat(keys("get", SERVICE, "kit_unset", "C1").out())
        .contains("key 302, recorded in carve.legacy-keys, claimed by a transformer");

    Run again = keys("unset", SERVICE, "kit_unset", "C1");
    assertThat(again.exit()).as(again.both()).isZero();
    assertThat(again.out())
        .contains("no key set in carve.legacy-keys (key 302 is a transformer's claim)")
        .contains("nothing written");
  }

  @Test
  void unsetRefusesToFallBackToAProposalThatIsNowTheKeyOfAnotherValue() {
    long proposal = KeyRegistry.proposal("kit_unset_p", "NEW");
    assertThat(keys("set", SERVICE, "kit_unset_p", "NEW", "900").exit()).isZero();
    assertThat(keys("set", SERVICE, "kit_unset_p", "OLD", Long.toString(proposal)).exit()).isZero();

    Run unset = keys("unset", SERVICE, "kit_unset_p", "NEW");

    assertThat(unset.exit()).as(unset.both()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(unset.err())
        .contains(
            "would give it back key " + proposal + ", its proposal, which is now the key of 'OLD'")
        .contains("KEY COLLISION");
    assertThat(registry().read().keyOf("kit_unset_p", "NEW")).isEqualTo(900L);
  }

  /** Regression: the check ran only for a claim other than the proposal, the usual claim. */
  @Test
  void unsetRefusesToFallBackToAClaimedProposalThatIsNowTheKeyOfAnotherValue() throws Exception {
    long proposal = KeyRegistry.proposal("kit_unset_cp", "A");
    claim("kit_unset_cp", "A", proposal);
    assertThat(keys("set", SERVICE, "kit_unset_cp", "A", "83", "--force").exit()).isZero();
    assertThat(keys("set", SERVICE, "kit_unset_cp", "C", Long.toString(proposal)).exit())
        .as("A's claim is hidden under its set key")
        .isZero();

    Run unset = keys("unset", SERVICE, "kit_unset_cp", "A");

    assertThat(unset.exit()).as(unset.both()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(unset.err())
        .contains(
            "would give it back key "
                + proposal
                + ", a transformer's claim, which is now the key of 'C'");
    assertThat(registry().read().keyOf("kit_unset_cp", "A")).isEqualTo(83L);
  }

  @Test
  void getOfAValueWithARecordedKeyDoesNotSayATransformerRefusesIt() {
    long proposal = KeyRegistry.proposal("kit_resolved", "NEW");
    assertThat(keys("set", SERVICE, "kit_resolved", "OLD", Long.toString(proposal)).exit())
        .isZero();
    assertThat(keys("set", SERVICE, "kit_resolved", "NEW", "901").exit()).isZero();

    Run get = keys("get", SERVICE, "kit_resolved", "NEW");

    assertThat(get.exit()).as(get.both()).isZero();
    assertThat(get.out())
        .contains("key 901, recorded in carve.legacy-keys, set by an operator")
        .contains(
            "its proposal "
                + proposal
                + " is recorded for 'OLD' of the namespace; no conflict while 'NEW' keeps key 901")
        .doesNotContain("refuses")
        .doesNotContain("KEY COLLISION");
  }

  @Test
  void setRefusesTheClaimedKeyOfAnotherValueButNotAClaimUnderItsSetKey() throws Exception {
    claim("kit_claimed", "A", 81);
    claim("kit_claimed", "B", 82);
    assertThat(keys("set", SERVICE, "kit_claimed", "B", "83", "--force").exit()).isZero();

    Run refused = keys("set", SERVICE, "kit_claimed", "C", "81", "--force");
    assertThat(refused.exit()).as(refused.both()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(refused.err()).contains("key 81 of key namespace 'kit_claimed' is recorded for 'A'");

    Run allowed = keys("set", SERVICE, "kit_claimed", "C", "82");
    assertThat(allowed.exit()).as("82 is B's claim, but B's key is 83: " + allowed.both()).isZero();
    assertThat(registry().read().keyOf("kit_claimed", "C")).isEqualTo(82L);
  }

  @Test
  void unsetRefusesToFallBackToAClaimThatIsNowTheKeyOfAnotherValue() throws Exception {
    claim("kit_claim_taken", "B", 82);
    assertThat(keys("set", SERVICE, "kit_claim_taken", "B", "83", "--force").exit()).isZero();
    assertThat(keys("set", SERVICE, "kit_claim_taken", "C", "82").exit()).isZero();

    Run refused = keys("unset", SERVICE, "kit_claim_taken", "B");

    assertThat(refused.exit()).as(refused.both()).isEqualTo(Carve.EXIT_USAGE);
    assertThat(refused.err())
        .contains(
            "unsetting the key of legacy value 'B' of key namespace 'kit_claim_taken' would give"
                + " it back key 82, a transformer's claim, which is now the key of 'C'")
        .contains("carve keys set keys_it kit_claim_taken 'B' <key> --force");
    assertThat(registry().read().keyOf("kit_claim_taken", "B")).isEqualTo(83L);
    assertThat(keys("unset", SERVICE, "kit_claim_taken", "B", "--dry-run").exit())
        .as("a dry run says the same")
        .isEqualTo(Carve.EXIT_USAGE);
  }
}
