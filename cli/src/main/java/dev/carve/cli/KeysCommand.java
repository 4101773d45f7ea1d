package dev.carve.cli;

import dev.carve.cli.runtime.ServiceRuntime;
import dev.carve.transform.keys.KeyRegistry;
import dev.carve.transform.keys.KeyRegistryTopic;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code carve keys get|set|unset <service> <namespace> <legacy value> [<key>]}: the key registry,
 * the compacted topic holding the new key of every legacy value (see {@link KeyRegistry}): a
 * transformer's claim {@code <namespace>/<value>}, or a key an operator set {@code
 * =<namespace>/<value>}, which wins over the claim. The service names whose transformer settings
 * (Kafka, its properties, the registry topic) to use; the registry itself is shared by every
 * service.
 */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    header = "Shows and records the new keys of legacy keys (the key registry).",
    description = {
      "Shows and records the new key of a legacy value in the key registry: the compacted topic",
      "(carve.legacy-keys) every transformer reads, where a legacy value's key is recorded the first",
      "time it is mapped. Use it to resolve a KEY COLLISION the transformer dead-lettered, or to",
      "import a key before the first run."
    },
    subcommands = {KeysCommand.Get.class, KeysCommand.Set.class, KeysCommand.Unset.class})
public final class KeysCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /** A subcommand on one legacy value: the service, namespace and legacy value it takes. */
  abstract static class LegacyValueCommand implements Callable<Integer> {
    @CommandLine.Mixin ServiceArgs args;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(
        index = "1",
        paramLabel = "NAMESPACE",
        description = "The key namespace, as in allocate: (e.g. customer, order).")
    String namespace;

    @Parameters(
        index = "2",
        paramLabel = "LEGACY_VALUE",
        description = "The legacy key as text (e.g. C00000042).")
    String legacyValue;

    /** The registry of the service's transformer; checks the namespace first. */
    KeyRegistryTopic registry() {
      try {
        KeyRegistry.recordKey(namespace, legacyValue); // the registry's own rule for namespaces
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "NAMESPACE must be non-empty, must not contain '/' and must not start with '=', was '"
                + namespace
                + "'");
      }
      return ServiceRuntime.keyRegistry(args.settings(), args.config());
    }

    String service() {
      return args.service;
    }

    String what() {
      return "legacy value '" + legacyValue + "' of key namespace '" + namespace + "'";
    }
  }

  private static <T> T reading(java.util.function.Supplier<T> call) {
    try {
      return call.get();
    } catch (KeyRegistryTopic.UnavailableException e) {
      throw new UserFacingException(e.getMessage(), e);
    }
  }

  /** Shows the key of a legacy value. */
  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = {
        "Shows the key of a legacy value: the one an operator set (and the transformer's claim",
        "under it), else the one a transformer claimed, else the proposal it would get and who",
        "else holds that proposal (a transformer refuses a proposal recorded for another value)."
      })
  static final class Get extends LegacyValueCommand {
    @Override
    public Integer call() {
      KeyRegistryTopic registry = registry();
      long proposal = KeyRegistry.proposal(namespace, legacyValue);
      KeyRegistryTopic.Lookup found =
          reading(() -> registry.lookup(namespace, legacyValue, proposal));
      PrintWriter out = spec.commandLine().getOut();
      List<String> others = found.otherHolders(proposal);
      if (found.recorded().isPresent()) {
        long key = found.recorded().get();
        out.printf(
            Locale.ROOT,
            "%s: key %d, recorded in %s, %s%s%n",
            what(),
            key,
            registry.topic(),
            found.set().isPresent() ? "set by an operator" : "claimed by a transformer",
            key == proposal ? " (its proposal)" : " (its proposal would be " + proposal + ")");
        if (found.set().isPresent()) {
          out.println(
              found
                  .claimed()
                  .map(
                      claim ->
                          "under it, a transformer's claim of key "
                              + claim
                              + ": carve keys unset falls back to it")
                  .orElse(
                      "no transformer's claim under it: carve keys unset falls back to its"
                          + " proposal "
                          + proposal));
        }
        if (!others.isEmpty() && key == proposal) {
          out.printf(
              Locale.ROOT,
              "KEY COLLISION: key %d is also recorded for %s of the namespace; their rows are one"
                  + " row in the targets. Set another key for one of them: carve keys set %s %s"
                  + " '<value>' <key>%n",
              key,
              quoted(others),
              service(),
              namespace);
        } else if (!others.isEmpty()) {
          out.printf(
              Locale.ROOT,
              "its proposal %d is recorded for %s of the namespace; no conflict while '%s' keeps"
                  + " key %d%n",
              proposal,
              quoted(others),
              legacyValue,
              key);
        }
      } else {
        out.printf(
            Locale.ROOT,
            "%s: not recorded in %s%s; it would get its proposal %d%n",
            what(),
            registry.topic(),
            found.topicExists() ? "" : " (the topic does not exist yet)",
            proposal);
        if (!others.isEmpty()) {
          out.printf(
              Locale.ROOT,
              "key %d is recorded for %s of the namespace: a transformer refuses it for '%s' (KEY"
                  + " COLLISION); record another key: carve keys set %s %s '%s' <key>%n",
              proposal,
              quoted(others),
              legacyValue,
              service(),
              namespace,
              legacyValue);
        }
      }
      out.flush();
      return 0;
    }
  }

  /** Records the key of a legacy value. */
  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description = {
        "Sets a key for a legacy value: a record =<namespace>/<value> that wins over a",
        "transformer's claim, also one committed later. Refused when the key is the key of",
        "another legacy value of the namespace (their rows would become one row in the targets),",
        "and when the legacy value has another key already (its rows in the targets use that",
        "key), unless --force. carve keys unset forgets it again."
      })
  static final class Set extends LegacyValueCommand {
    @Parameters(index = "3", paramLabel = "KEY", description = "The new key: a positive number.")
    String key;

    @Option(
        names = "--force",
        description =
            "Record the key although the legacy value has another one recorded (its existing"
                + " target rows keep the old key: re-map the service afterwards).")
    boolean force;

    @Option(names = "--dry-run", description = "Say what would be recorded; write nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
      long newKey = parseKey();
      KeyRegistryTopic registry = registry();
      KeyRegistryTopic.Lookup found =
          reading(() -> registry.lookup(namespace, legacyValue, newKey));
      List<String> others = found.otherHolders(newKey);
      if (!others.isEmpty()) {
        throw new UserFacingException(
            String.format(
                Locale.ROOT,
                "Refused: key %d of key namespace '%s' is recorded for %s in %s; recording it for"
                    + " '%s' too would make their rows one row in the targets. Choose another key"
                    + " (carve keys get %s %s '%s' shows its proposal)",
                newKey,
                namespace,
                quoted(others),
                registry.topic(),
                legacyValue,
                service(),
                namespace,
                legacyValue));
      }
      PrintWriter out = spec.commandLine().getOut();
      if (found.recorded().isPresent() && found.recorded().get() == newKey) {
        out.printf(
            Locale.ROOT,
            "%s: key %d is recorded already in %s (%s); nothing written%n",
            what(),
            newKey,
            registry.topic(),
            found.set().isPresent() ? "set by an operator" : "claimed by a transformer");
        out.flush();
        return 0;
      }
      if (found.recorded().isPresent() && !force) {
        throw new UserFacingException(
            String.format(
                Locale.ROOT,
                "Refused: %s has key %d recorded in %s; the rows mapped from it carry that key, and"
                    + " recording %d would leave them orphaned in the targets while new changes"
                    + " write key %d. --force records it anyway; then re-map the services using"
                    + " the namespace (carve transform <service> --reset, carve replay <service>)",
                what(),
                found.recorded().get(),
                registry.topic(),
                newKey,
                newKey));
      }
      String change =
          String.format(
              Locale.ROOT,
              "'%s' = %d in %s at %s%s",
              KeyRegistry.setRecordKey(namespace, legacyValue),
              newKey,
              registry.topic(),
              registry.bootstrapServers(),
              found.recorded().map(old -> " (replacing key " + old + ")").orElse(""));
      if (dryRun) {
        out.println("would record " + change + "; dry run: nothing written");
        out.flush();
        return 0;
      }
      reading(
          () -> {
            registry.set(namespace, legacyValue, newKey);
            return null;
          });
      out.println("recorded " + change);
      found
          .claimed()
          .filter(claim -> claim != newKey)
          .ifPresent(
              claim ->
                  out.printf(
                      Locale.ROOT,
                      "The transformer's claim of key %d stays under it: carve keys unset %s %s"
                          + " '%s' falls back to it.%n",
                      claim,
                      service(),
                      namespace,
                      legacyValue));
      out.printf(
          Locale.ROOT,
          "Next: every service maps %s to key %d from its next change on. Changes a transformer"
              + " dead-lettered for it (KEY COLLISION, in <service>.dlq) are not retried by"
              + " themselves: carve verify %s --repair expects the row under key %d and re-emits"
              + " it.%n",
          what(),
          newKey,
          service(),
          newKey);
      out.flush();
      return 0;
    }

    private long parseKey() {
      long parsed;
      try {
        parsed = Long.parseLong(key.trim());
      } catch (NumberFormatException e) {
        parsed = 0;
      }
      if (parsed < 1) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "KEY must be a positive whole number (at most "
                + Long.MAX_VALUE
                + "), was '"
                + key
                + "'");
      }
      return parsed;
    }
  }

  /** Forgets the key an operator set for a legacy value. */
  @Command(
      name = "unset",
      mixinStandardHelpOptions = true,
      description = {
        "Forgets the key an operator set for a legacy value (a tombstone of =<namespace>/<value>):",
        "the value falls back to the key a transformer claimed for it, or, without one, to the",
        "proposal it gets on its next change. A transformer's claim cannot be unset. Refused",
        "when that claim or proposal is now the key of another legacy value."
      })
  static final class Unset extends LegacyValueCommand {
    @Option(names = "--dry-run", description = "Say what would be forgotten; write nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
      KeyRegistryTopic registry = registry();
      long proposal = KeyRegistry.proposal(namespace, legacyValue);
      KeyRegistryTopic.Lookup found =
          reading(() -> registry.lookup(namespace, legacyValue, proposal));
      PrintWriter out = spec.commandLine().getOut();
      if (found.set().isEmpty()) {
        out.printf(
            Locale.ROOT,
            "%s: no key set in %s%s; nothing written%n",
            what(),
            registry.topic(),
            found.claimed().map(c -> " (key " + c + " is a transformer's claim)").orElse(""));
        out.flush();
        return 0;
      }
      long key = found.set().get();
      // Without the set key the value falls back to its claim, else to its proposal. Either may
      // have become another value's key meanwhile (carve keys set checks the effective keys, and a
      // claim hidden under a set key is none): a transformer would then refuse the value's changes
      // (KEY COLLISION) from its next change on.
      long next = found.claimed().orElse(proposal);
      List<String> holders =
          next == proposal
              ? found.otherHolders(proposal)
              : reading(() -> registry.lookup(namespace, legacyValue, next)).otherHolders(next);
      if (!holders.isEmpty()) {
        throw new UserFacingException(
            String.format(
                Locale.ROOT,
                "Refused: unsetting the key of %s would give it back key %d, %s, which is now the"
                    + " key of %s in %s: a transformer would refuse its changes (KEY COLLISION)."
                    + " Set it another key instead (carve keys set %s %s '%s' <key> --force)",
                what(),
                next,
                found.claimed().isPresent() ? "a transformer's claim" : "its proposal",
                quoted(holders),
                registry.topic(),
                service(),
                namespace,
                legacyValue));
      }
      String fallback =
          found
              .claimed()
              .map(c -> "falls back to key " + c + ", a transformer's claim")
              .orElse(
                  "falls back to its proposal "
                      + proposal
                      + ", which a transformer records at its next change");
      String change =
          String.format(
              Locale.ROOT,
              "'%s' (key %d) in %s at %s: %s %s",
              KeyRegistry.setRecordKey(namespace, legacyValue),
              key,
              registry.topic(),
              registry.bootstrapServers(),
              what(),
              fallback);
      if (dryRun) {
        out.println("would unset " + change + "; dry run: nothing written");
        out.flush();
        return 0;
      }
      reading(
          () -> {
            registry.unset(namespace, legacyValue);
            return null;
          });
      out.println("unset " + change);
      if (next != key) {
        out.printf(
            Locale.ROOT,
            "Next: the rows mapped from it carry key %d, new changes write key %d: re-map the"
                + " services using the namespace (carve transform <service> --reset, carve replay"
                + " <service>), or carve verify %s --repair.%n",
            key,
            next,
            service());
      }
      out.flush();
      return 0;
    }
  }

  private static String quoted(List<String> values) {
    return values.stream().map(v -> "'" + v + "'").reduce((a, b) -> a + ", " + b).orElse("nobody");
  }
}
