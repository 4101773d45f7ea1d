package dev.carve.transform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.TopologyDescription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resets a service's Kafka Streams application so that its next start maps every raw change again
 * from the earliest offset, with the mapping as it is now: what a domain team needs after changing
 * a mapping (or adding a join) of a service that already ran.
 *
 * <p>It deletes, for application {@code carve-<service>} only: the committed offsets (the consumer
 * group), the internal topics its topology names (repartition, foreign-key join and changelog
 * topics), the service's domain topics (a compacted topic cannot be emptied in place, and the old
 * mapping's records must not stay before the new ones), and the local state under the state
 * directory. It keeps the raw topics, the dead-letter topic and the registered schemas. The domain
 * topics are created again by the next start.
 *
 * <p>Nothing is deleted while a member of the application's group, or of any group given as {@code
 * idleGroups} (the service's sink, which reads the domain topics), is connected. After the
 * transformer has run again, {@code carve replay <service>} rebuilds the service's store from the
 * new records (the sink's ordering guard would ignore re-mapped records of positions it already
 * applied).
 */
public final class TransformerReset {
  private static final Logger LOG = LoggerFactory.getLogger(TransformerReset.class);

  private final TransformerRuntime runtime;

  /**
   * A reset of the application of {@code runtime}, which must not be started.
   *
   * @throws IllegalStateException when the runtime was started
   */
  public TransformerReset(TransformerRuntime runtime) {
    if (runtime.state() != TransformerRuntime.State.CREATED) {
      throw new IllegalStateException(
          "Cannot reset the transformer of '"
              + runtime.service()
              + "' from a runtime in state "
              + runtime.state()
              + "; use a runtime that was not started");
    }
    this.runtime = runtime;
  }

  /**
   * What a reset deletes, as found now.
   *
   * @param applicationId the Streams application
   * @param groupExists whether the application has a consumer group (committed offsets)
   * @param members members of the application's group and of the idle groups now connected, by
   *     group; a reset refuses while any is
   * @param internalTopics existing internal topics of the application
   * @param domainTopics existing domain topics of the service
   * @param localState the application's directory under the state directory, when it exists
   */
  public record Plan(
      String applicationId,
      boolean groupExists,
      List<String> members,
      List<String> internalTopics,
      List<String> domainTopics,
      Path localState) {

    /** Whether nothing is connected, so a reset may run. */
    public boolean idle() {
      return members.isEmpty();
    }

    /** Lines a person reads: what is deleted and what is kept. */
    public String describe() {
      StringBuilder sb = new StringBuilder();
      sb.append("application ").append(applicationId).append('\n');
      sb.append("  committed offsets: ")
          .append(groupExists ? "consumer group " + applicationId : "none")
          .append('\n');
      sb.append("  internal topics:   ").append(list(internalTopics)).append('\n');
      sb.append("  domain topics:     ").append(list(domainTopics)).append('\n');
      sb.append("  local state:       ")
          .append(localState == null ? "none" : localState.toString())
          .append('\n');
      if (!members.isEmpty()) {
        sb.append("  still connected:   ").append(String.join(", ", members)).append('\n');
      }
      return sb.toString();
    }

    private static String list(List<String> topics) {
      return topics.isEmpty() ? "none" : topics.size() + " " + topics;
    }
  }

  /**
   * Looks the application up on the cluster and on disk; changes nothing.
   *
   * @param idleGroups other consumer groups that must have no member for a reset (the sink's)
   */
  public Plan plan(Collection<String> idleGroups) throws InterruptedException {
    try (Admin admin = Admin.create(runtime.adminProperties())) {
      return plan(admin, idleGroups);
    }
  }

  /**
   * Deletes what {@link #plan} lists and waits until the broker has deleted the topics.
   *
   * @param idleGroups other consumer groups that must have no member (the service's sink)
   * @param timeout how long to wait for the topics' deletion
   * @return the plan that was carried out
   * @throws IllegalStateException when a group still has members (nothing is deleted), or the
   *     topics are not gone within {@code timeout}
   */
  public Plan run(Collection<String> idleGroups, Duration timeout) throws InterruptedException {
    try (Admin admin = Admin.create(runtime.adminProperties())) {
      Plan plan = plan(admin, idleGroups);
      if (!plan.idle()) {
        throw new IllegalStateException(
            "Cannot reset the transformer of '"
                + runtime.service()
                + "' while these are connected: "
                + String.join(", ", plan.members())
                + "; stop the service's transformer and sink first");
      }
      if (plan.groupExists()) {
        try {
          admin.deleteConsumerGroups(List.of(plan.applicationId())).all().get();
          LOG.info("Deleted consumer group {}", plan.applicationId());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof GroupIdNotFoundException)) {
            throw failure("delete consumer group " + plan.applicationId(), e);
          }
        }
      }
      List<String> topics = new ArrayList<>(plan.internalTopics());
      topics.addAll(plan.domainTopics());
      if (!topics.isEmpty()) {
        try {
          admin.deleteTopics(topics).all().get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
            throw failure("delete topics " + topics, e);
          }
        }
        awaitDeleted(admin, topics, timeout);
        LOG.info("Deleted topics {} of application {}", topics, plan.applicationId());
      }
      if (plan.localState() != null) {
        deleteRecursively(plan.localState());
        LOG.info("Deleted local state {}", plan.localState());
      }
      return plan;
    }
  }

  private Plan plan(Admin admin, Collection<String> idleGroups) throws InterruptedException {
    String app = runtime.applicationId();
    List<String> members = new ArrayList<>();
    boolean groupExists = false;
    Set<String> groups = new LinkedHashSet<>();
    groups.add(app);
    groups.addAll(idleGroups);
    for (String group : groups) {
      ConsumerGroupDescription d = describe(admin, group);
      if (d == null) {
        continue;
      }
      if (group.equals(app)) {
        groupExists = true;
      }
      if (!d.members().isEmpty()) {
        members.add("consumer group " + group + " (" + d.members().size() + " member(s))");
      }
    }
    Set<String> existing;
    try {
      existing = admin.listTopics().names().get();
    } catch (ExecutionException e) {
      throw failure("list the topics", e);
    }
    List<String> internal = internalTopics().stream().filter(existing::contains).toList();
    List<String> domain =
        runtime.domainTopics().stream().filter(existing::contains).sorted().toList();
    Path local = runtime.localStateDir();
    return new Plan(
        app,
        groupExists,
        List.copyOf(members),
        internal,
        domain,
        Files.isDirectory(local) ? local : null);
  }

  /**
   * The internal topics the topology names: its repartition and foreign-key join topics (sources
   * and sinks that are neither raw, domain nor dead-letter topics) and the changelog of every
   * store, each prefixed by the application id as Kafka Streams does.
   */
  Set<String> internalTopics() {
    Set<String> external = new LinkedHashSet<>(runtime.rawTopics());
    external.addAll(runtime.domainTopics());
    external.add(runtime.deadLetterTopic());
    String prefix = runtime.applicationId() + "-";
    Set<String> out = new TreeSet<>();
    for (TopologyDescription.Subtopology s : runtime.topology().describe().subtopologies()) {
      for (TopologyDescription.Node node : s.nodes()) {
        if (node instanceof TopologyDescription.Source source && source.topicSet() != null) {
          source.topicSet().stream()
              .filter(t -> !external.contains(t))
              .forEach(t -> out.add(prefix + t));
        } else if (node instanceof TopologyDescription.Sink sink && sink.topic() != null) {
          if (!external.contains(sink.topic())) {
            out.add(prefix + sink.topic());
          }
        } else if (node instanceof TopologyDescription.Processor processor) {
          processor.stores().forEach(store -> out.add(prefix + store + "-changelog"));
        }
      }
    }
    return out;
  }

  private static ConsumerGroupDescription describe(Admin admin, String group)
      throws InterruptedException {
    try {
      ConsumerGroupDescription d =
          admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
      // A group that never existed is described as DEAD with no members by some brokers.
      return d.groupState() == org.apache.kafka.common.GroupState.DEAD ? null : d;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) {
        return null;
      }
      throw failure("describe consumer group " + group, e);
    }
  }

  private static void awaitDeleted(Admin admin, List<String> topics, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Set<String> left;
      try {
        left = new TreeSet<>(admin.listTopics().names().get());
      } catch (ExecutionException e) {
        throw failure("list the topics", e);
      }
      left.retainAll(topics);
      if (left.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Topics " + left + " were not deleted within " + timeout + "; run the reset again");
      }
      Thread.sleep(200);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not delete the local state " + dir, e);
    }
  }

  private static IllegalStateException failure(String what, ExecutionException e) {
    return new IllegalStateException("Could not " + what + ": " + e.getCause(), e.getCause());
  }
}
