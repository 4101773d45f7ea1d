package dev.carve.schemas;

import dev.carve.core.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * The Avro contracts of the services: for each service, the key and value schema of each entity.
 *
 * <p>Contracts are laid out as {@code <service>/<Name>.avsc} (the value) beside {@code
 * <service>/<Name>Key.avsc} (the key). The entity name is the snake_case of the record name ({@code
 * OrderLine} → {@code order_line}). The build packages the repository's {@code schemas/} directory
 * into the jar as {@code avro/<service>/<Name>.avsc}, which {@link #fromClasspath()} reads.
 *
 * <p>Loading validates everything before returning and fails once with every problem, each naming
 * the file: unparsable JSON or Avro, a record name that differs from the file name, a value without
 * its key or a key without its value, a schema that is not a record.
 */
public final class SchemaCatalog {
  /** The classpath folder holding {@code <service>/<Name>.avsc}. */
  public static final String CLASSPATH_ROOT = "avro";

  private static final String KEY_SUFFIX = "Key";
  private static final String EXTENSION = ".avsc";

  private final Map<String, Map<String, EntitySchemas>> services;

  private SchemaCatalog(Map<String, Map<String, EntitySchemas>> services) {
    this.services = services;
  }

  /**
   * Loads contracts from a directory: either a root holding one sub-directory per service ({@code
   * schemas/}), or one service's directory holding {@code .avsc} files directly ({@code
   * schemas/orders}, the service then being the directory's name).
   *
   * @param dir the directory; must exist
   * @throws SchemaCatalogException listing every invalid file
   * @throws UncheckedIOException when the directory cannot be read
   */
  public static SchemaCatalog load(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new SchemaCatalogException(
          dir.toString(), List.of("'" + dir + "' is not a directory of Avro schemas"));
    }
    List<SchemaFile> files = new ArrayList<>();
    try {
      try (Stream<Path> direct = Files.list(dir)) {
        List<Path> avsc = direct.filter(SchemaCatalog::isAvsc).sorted().toList();
        if (!avsc.isEmpty()) {
          String service = dir.toAbsolutePath().normalize().getFileName().toString();
          for (Path p : avsc) {
            files.add(new SchemaFile(service, p.toString(), Files.readString(p)));
          }
          return build(dir.toString(), files);
        }
      }
      try (Stream<Path> subdirs = Files.list(dir)) {
        for (Path serviceDir : subdirs.filter(Files::isDirectory).sorted().toList()) {
          String service = serviceDir.getFileName().toString();
          if (service.equals("src") || service.equals("target") || service.startsWith(".")) {
            continue;
          }
          try (Stream<Path> inService = Files.list(serviceDir)) {
            for (Path p : inService.filter(SchemaCatalog::isAvsc).sorted().toList()) {
              files.add(new SchemaFile(service, p.toString(), Files.readString(p)));
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read Avro schemas under '" + dir + "'", e);
    }
    return build(dir.toString(), files);
  }

  /**
   * Loads the contracts packaged on the classpath as {@code avro/<service>/<Name>.avsc} (the ones
   * of this module's jar, plus any others on the classpath).
   *
   * @throws SchemaCatalogException listing every invalid file
   * @throws UncheckedIOException when the classpath cannot be read
   */
  public static SchemaCatalog fromClasspath() {
    return fromClasspath(SchemaCatalog.class.getClassLoader());
  }

  /**
   * Loads the contracts packaged as {@code avro/<service>/<Name>.avsc} visible to a class loader.
   *
   * @param loader the class loader to search; never null
   * @throws SchemaCatalogException listing every invalid file
   */
  public static SchemaCatalog fromClasspath(ClassLoader loader) {
    List<SchemaFile> files = new ArrayList<>();
    try {
      Enumeration<URL> roots = loader.getResources(CLASSPATH_ROOT + "/");
      for (URL root : Collections.list(roots)) {
        files.addAll(listClasspath(root));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not list Avro schemas on the classpath", e);
    }
    files.sort((a, b) -> a.location().compareTo(b.location()));
    return build("the classpath (" + CLASSPATH_ROOT + "/<service>/<Name>.avsc)", files);
  }

  /** The services, sorted. */
  public Set<String> services() {
    return Collections.unmodifiableSet(services.keySet());
  }

  /**
   * The entities of a service, sorted by entity name.
   *
   * @return the entities; empty when the service is unknown
   */
  public List<EntitySchemas> entities(String service) {
    Map<String, EntitySchemas> entities = services.get(service);
    return entities == null ? List.of() : List.copyOf(entities.values());
  }

  /** Every entity of every service, sorted by service and entity. */
  public List<EntitySchemas> all() {
    return services.values().stream().flatMap(m -> m.values().stream()).toList();
  }

  /**
   * One entity.
   *
   * @return the entity, or empty when the service or entity is unknown
   */
  public Optional<EntitySchemas> entity(String service, String entity) {
    Map<String, EntitySchemas> entities = services.get(service);
    return Optional.ofNullable(entities == null ? null : entities.get(entity));
  }

  /**
   * One entity, which must exist.
   *
   * @throws IllegalArgumentException naming the known services or entities when it does not
   */
  public EntitySchemas require(String service, String entity) {
    Map<String, EntitySchemas> entities = services.get(service);
    if (entities == null) {
      throw new IllegalArgumentException(
          "No Avro schemas for service '" + service + "'; known services: " + services.keySet());
    }
    EntitySchemas found = entities.get(entity);
    if (found == null) {
      throw new IllegalArgumentException(
          "No Avro schemas for entity '"
              + entity
              + "' of service '"
              + service
              + "'; known entities: "
              + entities.keySet());
    }
    return found;
  }

  /**
   * The entity name of a record name: snake_case without a trailing {@code Key} ({@code
   * OrderLineKey} → {@code order_line}).
   */
  public static String entityName(String recordName) {
    String base =
        recordName.endsWith(KEY_SUFFIX) && recordName.length() > KEY_SUFFIX.length()
            ? recordName.substring(0, recordName.length() - KEY_SUFFIX.length())
            : recordName;
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < base.length(); i++) {
      char c = base.charAt(i);
      if (Character.isUpperCase(c)) {
        boolean boundary =
            i > 0
                && (Character.isLowerCase(base.charAt(i - 1))
                    || Character.isDigit(base.charAt(i - 1))
                    || (i + 1 < base.length() && Character.isLowerCase(base.charAt(i + 1))));
        if (boundary && sb.length() > 0 && sb.charAt(sb.length() - 1) != '_') {
          sb.append('_');
        }
        sb.append(Character.toLowerCase(c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("SchemaCatalog{");
    services.forEach((s, e) -> sb.append(s).append('=').append(e.keySet()).append(' '));
    return sb.toString().trim() + "}";
  }

  private static boolean isAvsc(Path p) {
    return Files.isRegularFile(p) && p.getFileName().toString().endsWith(EXTENSION);
  }

  private static List<SchemaFile> listClasspath(URL root) throws IOException {
    List<SchemaFile> files = new ArrayList<>();
    if (root.getProtocol().equals("file")) {
      Path dir;
      try {
        dir = Path.of(root.toURI());
      } catch (URISyntaxException e) {
        throw new IOException("Unreadable classpath folder " + root, e);
      }
      try (Stream<Path> services = Files.list(dir)) {
        for (Path serviceDir : services.filter(Files::isDirectory).sorted().toList()) {
          try (Stream<Path> inService = Files.list(serviceDir)) {
            for (Path p : inService.filter(SchemaCatalog::isAvsc).sorted().toList()) {
              files.add(
                  new SchemaFile(
                      serviceDir.getFileName().toString(),
                      CLASSPATH_ROOT + "/" + serviceDir.getFileName() + "/" + p.getFileName(),
                      Files.readString(p)));
            }
          }
        }
      }
    } else if (root.getProtocol().equals("jar")) {
      JarURLConnection connection = (JarURLConnection) root.openConnection();
      connection.setUseCaches(false);
      try (JarFile jar = connection.getJarFile()) {
        for (JarEntry entry : Collections.list(jar.entries())) {
          String[] parts = entry.getName().split("/");
          if (parts.length == 3
              && parts[0].equals(CLASSPATH_ROOT)
              && parts[2].endsWith(EXTENSION)
              && !entry.isDirectory()) {
            try (InputStream in = jar.getInputStream(entry)) {
              files.add(
                  new SchemaFile(
                      parts[1],
                      entry.getName(),
                      new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            }
          }
        }
      }
    } else {
      throw new IOException(
          "Cannot list Avro schemas at "
              + root
              + ": only file and jar classpath entries are supported");
    }
    return files;
  }

  private static SchemaCatalog build(String source, List<SchemaFile> files) {
    if (files.isEmpty()) {
      throw new SchemaCatalogException(
          source,
          List.of(
              "no Avro schemas found; expected <service>/<Name>.avsc files (e.g."
                  + " orders/Order.avsc beside orders/OrderKey.avsc)"));
    }
    List<String> problems = new ArrayList<>();
    Map<String, Map<String, Schema>> keys = new TreeMap<>();
    Map<String, Map<String, Schema>> values = new TreeMap<>();
    Map<String, String> locations = new TreeMap<>();
    for (SchemaFile file : files) {
      try {
        Topics.checkName("service", file.service());
      } catch (IllegalArgumentException e) {
        problems.add(file.location() + ": " + e.getMessage());
        continue;
      }
      Schema schema;
      try {
        schema = new Schema.Parser().parse(file.text());
      } catch (SchemaParseException e) {
        problems.add(file.location() + ": not a valid Avro schema: " + e.getMessage());
        continue;
      } catch (RuntimeException e) {
        problems.add(file.location() + ": not a valid Avro schema: " + e);
        continue;
      }
      if (schema.getType() != Schema.Type.RECORD) {
        problems.add(
            file.location()
                + ": the top-level type is "
                + schema.getType().getName()
                + "; a contract must be a record");
        continue;
      }
      String fileName = Path.of(file.location()).getFileName().toString();
      String expectedName = fileName.substring(0, fileName.length() - EXTENSION.length());
      if (!schema.getName().equals(expectedName)) {
        problems.add(
            file.location()
                + ": the record is named '"
                + schema.getName()
                + "' but the file is named '"
                + fileName
                + "'; name the file after the record ("
                + schema.getName()
                + EXTENSION
                + ")");
        continue;
      }
      boolean isKey = schema.getName().endsWith(KEY_SUFFIX);
      String entity = entityName(schema.getName());
      Map<String, Map<String, Schema>> target = isKey ? keys : values;
      Schema previous =
          target.computeIfAbsent(file.service(), s -> new TreeMap<>()).put(entity, schema);
      String where = file.service() + "/" + entity + (isKey ? "/key" : "/value");
      if (previous != null) {
        problems.add(
            file.location()
                + ": a second "
                + (isKey ? "key" : "value")
                + " schema for entity '"
                + entity
                + "' of service '"
                + file.service()
                + "' (the other is "
                + locations.get(where)
                + ")");
      }
      locations.put(where, file.location());
    }
    Map<String, Map<String, EntitySchemas>> services = new TreeMap<>();
    values.forEach(
        (service, entities) ->
            entities.forEach(
                (entity, value) -> {
                  Schema key = keys.getOrDefault(service, Map.of()).get(entity);
                  if (key == null) {
                    problems.add(
                        locations.get(service + "/" + entity + "/value")
                            + ": no key schema beside it; add "
                            + value.getName()
                            + KEY_SUFFIX
                            + EXTENSION
                            + " with the primary key fields of entity '"
                            + entity
                            + "'");
                    return;
                  }
                  services
                      .computeIfAbsent(service, s -> new TreeMap<>())
                      .put(entity, new EntitySchemas(service, entity, key, value));
                }));
    keys.forEach(
        (service, entities) ->
            entities.forEach(
                (entity, key) -> {
                  if (!values.getOrDefault(service, Map.of()).containsKey(entity)) {
                    problems.add(
                        locations.get(service + "/" + entity + "/key")
                            + ": a key schema without its value schema "
                            + key.getName()
                                .substring(0, key.getName().length() - KEY_SUFFIX.length())
                            + EXTENSION);
                  }
                }));
    if (!problems.isEmpty()) {
      throw new SchemaCatalogException(source, problems);
    }
    return new SchemaCatalog(Collections.unmodifiableMap(services));
  }

  private record SchemaFile(String service, String location, String text) {}
}
