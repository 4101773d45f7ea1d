package dev.carve.schemas.registry.embedded;

import com.sun.net.httpserver.HttpServer;
import dev.carve.schemas.registry.CompatibilityLevel;
import dev.carve.schemas.registry.internal.KafkaRegistryStore;
import dev.carve.schemas.registry.internal.RegistryCore;
import dev.carve.schemas.registry.internal.RegistryHttpHandler;
import dev.carve.schemas.registry.internal.RegistryStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schema registry in this JVM that serves the Confluent Schema Registry REST API (the endpoints,
 * JSON bodies, content type {@code application/vnd.schemaregistry.v1+json} and error codes), so
 * that Carve's client and Confluent's own serializers both work against it.
 *
 * <p>It keeps its records in a compacted, single-partition Kafka topic (default {@code _schemas})
 * in the layout of Confluent's: on start it reads the topic to its end, and every change is written
 * with {@code acks=all} before it is acknowledged, so ids and versions survive a restart. Only one
 * registry may write to a topic at a time. {@link Options#inMemory()} keeps everything in memory
 * instead (tests).
 *
 * <pre>{@code
 * try (EmbeddedSchemaRegistry registry =
 *     EmbeddedSchemaRegistry.start(EmbeddedSchemaRegistry.Options.kafka("localhost:9092"))) {
 *   String url = registry.url(); // http://127.0.0.1:<port>
 * }
 * }</pre>
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);

  /** The lifecycle of a registry. */
  public enum State {
    /** Serving requests. */
    RUNNING,
    /** Closed; start a new registry to serve again. */
    CLOSED
  }

  /**
   * How to run an embedded registry.
   *
   * @param bootstrapServers the Kafka brokers holding the topic, or null to keep everything in
   *     memory
   * @param topic the compacted topic of the records (default {@code _schemas}); never null
   * @param host the address to listen on (default {@code 127.0.0.1}); never null
   * @param port the port, 0 for an ephemeral one (default 0)
   * @param kafkaProperties extra Kafka client properties (security.protocol, sasl.*, ssl.*); never
   *     null
   * @param defaultCompatibility the global level until one is configured (default BACKWARD)
   * @param basicAuthUserInfo {@code user:password} that every request must present with HTTP basic
   *     authentication, or null for none
   * @param kafkaTimeout how long to wait for Kafka on start and on each write (default 30 s)
   */
  public record Options(
      String bootstrapServers,
      String topic,
      String host,
      int port,
      Map<String, Object> kafkaProperties,
      CompatibilityLevel defaultCompatibility,
      String basicAuthUserInfo,
      Duration kafkaTimeout) {

    /** The default topic. */
    public static final String DEFAULT_TOPIC = "_schemas";

    /** Checks the options. */
    public Options {
      Objects.requireNonNull(topic, "topic");
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(defaultCompatibility, "defaultCompatibility");
      Objects.requireNonNull(kafkaTimeout, "kafkaTimeout");
      kafkaProperties = Map.copyOf(kafkaProperties);
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
      }
    }

    /** A registry stored in the topic {@code _schemas} of these brokers. */
    public static Options kafka(String bootstrapServers) {
      return new Options(
          Objects.requireNonNull(bootstrapServers, "bootstrapServers"),
          DEFAULT_TOPIC,
          "127.0.0.1",
          0,
          Map.of(),
          CompatibilityLevel.BACKWARD,
          null,
          Duration.ofSeconds(30));
    }

    /** A registry that keeps everything in memory and loses it on close. */
    public static Options inMemory() {
      return new Options(
          null,
          DEFAULT_TOPIC,
          "127.0.0.1",
          0,
          Map.of(),
          CompatibilityLevel.BACKWARD,
          null,
          Duration.ofSeconds(30));
    }

    /** These options with another topic. */
    public Options withTopic(String topic) {
      return new Options(
          bootstrapServers,
          topic,
          host,
          port,
          kafkaProperties,
          defaultCompatibility,
          basicAuthUserInfo,
          kafkaTimeout);
    }

    /** These options with another host and port (0 = ephemeral). */
    public Options withAddress(String host, int port) {
      return new Options(
          bootstrapServers,
          topic,
          host,
          port,
          kafkaProperties,
          defaultCompatibility,
          basicAuthUserInfo,
          kafkaTimeout);
    }

    /** These options with extra Kafka client properties. */
    public Options withKafkaProperties(Map<String, Object> properties) {
      return new Options(
          bootstrapServers,
          topic,
          host,
          port,
          properties,
          defaultCompatibility,
          basicAuthUserInfo,
          kafkaTimeout);
    }

    /** These options with another default global compatibility level. */
    public Options withDefaultCompatibility(CompatibilityLevel level) {
      return new Options(
          bootstrapServers,
          topic,
          host,
          port,
          kafkaProperties,
          level,
          basicAuthUserInfo,
          kafkaTimeout);
    }

    /** These options requiring HTTP basic authentication with {@code user:password}. */
    public Options withBasicAuth(String userInfo) {
      return new Options(
          bootstrapServers,
          topic,
          host,
          port,
          kafkaProperties,
          defaultCompatibility,
          userInfo,
          kafkaTimeout);
    }

    @Override
    public String toString() {
      return "Options[bootstrapServers="
          + bootstrapServers
          + ", topic="
          + topic
          + ", host="
          + host
          + ", port="
          + port
          + ", defaultCompatibility="
          + defaultCompatibility
          + ", basicAuth="
          + (basicAuthUserInfo == null ? "none" : "****")
          + "]";
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final RegistryStore store;
  private final String url;
  private volatile State state = State.RUNNING;

  private EmbeddedSchemaRegistry(
      HttpServer server, ExecutorService executor, RegistryStore store, String url) {
    this.server = server;
    this.executor = executor;
    this.store = store;
    this.url = url;
  }

  /**
   * Starts a registry: reads its topic to the end, then serves HTTP.
   *
   * @throws IllegalStateException naming the topic when Kafka cannot be used
   * @throws UncheckedIOException naming the address when the port cannot be bound
   */
  public static EmbeddedSchemaRegistry start(Options options) {
    RegistryStore store =
        options.bootstrapServers() == null
            ? RegistryStore.IN_MEMORY
            : new KafkaRegistryStore(
                options.bootstrapServers(),
                options.topic(),
                options.kafkaProperties(),
                options.kafkaTimeout());
    HttpServer server;
    ExecutorService executor;
    try {
      RegistryCore core = new RegistryCore(store, options.defaultCompatibility());
      server = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 0);
      server.createContext("/", new RegistryHttpHandler(core, options.basicAuthUserInfo()));
      AtomicInteger threads = new AtomicInteger();
      executor =
          Executors.newFixedThreadPool(
              4,
              r -> {
                Thread t = new Thread(r, "carve-schema-registry-" + threads.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      server.setExecutor(executor);
      server.start();
    } catch (IOException e) {
      store.close();
      throw new UncheckedIOException(
          "Could not listen on " + options.host() + ":" + options.port() + " for the registry", e);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    String url = "http://" + hostForUrl(options.host()) + ":" + server.getAddress().getPort();
    LOG.info("Embedded schema registry serving {} from {}", url, store.describe());
    return new EmbeddedSchemaRegistry(server, executor, store, url);
  }

  private static String hostForUrl(String host) {
    if (host.equals("0.0.0.0")) {
      return "127.0.0.1";
    }
    return host.contains(":") ? "[" + host + "]" : host;
  }

  /**
   * The base URL, e.g. {@code http://127.0.0.1:34567}.
   *
   * @throws IllegalStateException when the registry is closed
   */
  public String url() {
    if (state == State.CLOSED) {
      throw new IllegalStateException(
          "The embedded schema registry at " + url + " is closed; start a new one");
    }
    return url;
  }

  /** The lifecycle state. */
  public State state() {
    return state;
  }

  /** Stops serving and releases the port and the Kafka clients. Closing twice does nothing. */
  @Override
  public synchronized void close() {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    server.stop(0);
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      executor.shutdownNow();
    }
    store.close();
    LOG.info("Embedded schema registry at {} closed", url);
  }
}
