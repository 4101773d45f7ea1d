package dev.carve.schemas.registry;

import dev.carve.schemas.registry.internal.LocalSchemaRegistryClient;
import dev.carve.schemas.registry.internal.RegistryCore;
import dev.carve.schemas.registry.internal.RegistryStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory registries behind {@code schema.registry.url=mock://<scope>}, one per scope and
 * shared by every client of that scope in the JVM, for {@code TopologyTestDriver} and unit tests.
 * They run the same logic as the embedded registry (ids, versions, compatibility checks) with
 * nothing stored. This is the only JVM-wide state of Carve's schemas; give each test its own scope,
 * or {@link #drop} it after the test.
 */
public final class MockSchemaRegistry {
  /** The URL scheme that selects an in-memory registry. */
  public static final String SCHEME = "mock://";

  private static final Map<String, RegistryCore> SCOPES = new ConcurrentHashMap<>();

  private MockSchemaRegistry() {}

  /**
   * A client of the in-memory registry of a scope, creating the registry on first use.
   *
   * @param scope the scope: the part after {@code mock://}
   */
  public static SchemaRegistryClient client(String scope) {
    return new LocalSchemaRegistryClient(core(scope));
  }

  /** Forgets the registry of a scope and everything registered in it. */
  public static void drop(String scope) {
    SCOPES.remove(scope);
  }

  /** The scope of a {@code mock://<scope>} URL. */
  public static String scopeOf(String url) {
    return url.substring(SCHEME.length());
  }

  private static RegistryCore core(String scope) {
    return SCOPES.computeIfAbsent(
        scope, s -> new RegistryCore(RegistryStore.IN_MEMORY, CompatibilityLevel.BACKWARD));
  }
}
