package dev.carve.capture.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates missing topics from a connector's {@code topic.creation.*} settings (KIP-158), as Kafka
 * Connect does for source connectors: the {@code default} group applies to every topic not matched
 * by a group listed in {@code topic.creation.groups} ({@code include}/{@code exclude} regexes);
 * {@code replication.factor} and {@code partitions} of -1 mean the broker's default; every other
 * key of a group is a topic config (e.g. {@code cleanup.policy}).
 */
public final class TopicCreator {
  private static final Logger LOG = LoggerFactory.getLogger(TopicCreator.class);
  private static final String PREFIX = "topic.creation.";

  private final Admin admin;
  private final String connector;
  private final List<Group> groups;
  private final Group defaultGroup;
  private final Set<String> known = new HashSet<>();

  private record Group(
      String name,
      List<Pattern> include,
      List<Pattern> exclude,
      int partitions,
      short replicationFactor,
      Map<String, String> configs) {
    boolean matches(String topic) {
      return include.stream().anyMatch(p -> p.matcher(topic).matches())
          && exclude.stream().noneMatch(p -> p.matcher(topic).matches());
    }
  }

  /**
   * Creates the creator.
   *
   * @param admin the admin client used to create topics; not closed by this class
   * @param connector the connector's name, for messages
   * @param config the connector config
   * @throws IllegalArgumentException naming the key of an invalid setting
   */
  public TopicCreator(Admin admin, String connector, Map<String, String> config) {
    this.admin = admin;
    this.connector = connector;
    this.defaultGroup =
        config.containsKey(PREFIX + "default.replication.factor")
            ? group("default", config, null)
            : null;
    List<Group> list = new ArrayList<>();
    String names = config.get(PREFIX + "groups");
    if (defaultGroup != null && names != null) {
      for (String n : names.split(",")) {
        if (!n.isBlank()) {
          list.add(group(n.trim(), config, defaultGroup));
        }
      }
    }
    this.groups = List.copyOf(list);
  }

  /** True when the connector config enables topic creation ({@code topic.creation.default.*}). */
  public boolean enabled() {
    return defaultGroup != null;
  }

  private static Group group(String name, Map<String, String> config, Group defaults) {
    String p = PREFIX + name + ".";
    Map<String, String> topicConfigs =
        new LinkedHashMap<>(defaults == null ? Map.of() : defaults.configs());
    int partitions = defaults == null ? -1 : defaults.partitions();
    short rf = defaults == null ? -1 : defaults.replicationFactor();
    List<Pattern> include = new ArrayList<>();
    List<Pattern> exclude = new ArrayList<>();
    for (Map.Entry<String, String> e : config.entrySet()) {
      if (!e.getKey().startsWith(p)) {
        continue;
      }
      String k = e.getKey().substring(p.length());
      String v = e.getValue().trim();
      try {
        switch (k) {
          case "partitions" -> partitions = Integer.parseInt(v);
          case "replication.factor" -> rf = Short.parseShort(v);
          case "include" -> include.addAll(patterns(v));
          case "exclude" -> exclude.addAll(patterns(v));
          default -> topicConfigs.put(k, v);
        }
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException(
            "Connector config key '"
                + e.getKey()
                + "' is '"
                + v
                + "'; expected a whole number (-1 = broker default)");
      }
    }
    if (partitions == 0 || partitions < -1 || rf == 0 || rf < -1) {
      throw new IllegalArgumentException(
          "Connector config keys '"
              + p
              + "partitions' and '"
              + p
              + "replication.factor' must be positive or -1 (broker default)");
    }
    return new Group(name, include, exclude, partitions, rf, topicConfigs);
  }

  private static List<Pattern> patterns(String list) {
    List<Pattern> out = new ArrayList<>();
    for (String s : list.split(",")) {
      if (!s.isBlank()) {
        out.add(Pattern.compile(s.trim()));
      }
    }
    return out;
  }

  /**
   * Creates the topics of {@code topics} that do not exist yet (remembering those it has seen).
   *
   * @throws IllegalStateException naming the topic when creation fails
   * @throws InterruptedException when interrupted (the flag is restored)
   */
  public void ensure(Set<String> topics) throws InterruptedException {
    if (defaultGroup == null) {
      return;
    }
    Map<String, NewTopic> missing = new HashMap<>();
    for (String topic : topics) {
      if (!known.contains(topic)) {
        Group g = groups.stream().filter(x -> x.matches(topic)).findFirst().orElse(defaultGroup);
        missing.put(
            topic,
            new NewTopic(
                    topic,
                    g.partitions() < 0 ? Optional.empty() : Optional.of(g.partitions()),
                    g.replicationFactor() < 0
                        ? Optional.empty()
                        : Optional.of(g.replicationFactor()))
                .configs(g.configs()));
      }
    }
    if (missing.isEmpty()) {
      return;
    }
    try {
      Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
      missing
          .keySet()
          .removeIf(
              t -> {
                if (existing.contains(t)) {
                  known.add(t);
                  return true;
                }
                return false;
              });
      for (NewTopic t : missing.values()) {
        try {
          admin.createTopics(List.of(t)).all().get(60, TimeUnit.SECONDS);
          LOG.info(
              "Connector '{}' created topic '{}' ({} partitions, replication {}, configs {})",
              connector,
              t.name(),
              t.numPartitions() < 0 ? "default" : t.numPartitions(),
              t.replicationFactor() < 0 ? "default" : t.replicationFactor(),
              t.configs());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException(
                "Connector '"
                    + connector
                    + "' could not create topic '"
                    + t.name()
                    + "': "
                    + e.getCause(),
                e.getCause());
          }
        }
        known.add(t.name());
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Connector '"
              + connector
              + "' could not list topics to create "
              + missing.keySet()
              + ": "
              + e,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw e;
    }
  }
}
