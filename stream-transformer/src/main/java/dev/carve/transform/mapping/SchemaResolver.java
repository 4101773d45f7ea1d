package dev.carve.transform.mapping;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * Finds the Avro schema of an entity's key or value: {@code <service>/<Name>.avsc}, e.g. {@code
 * orders/OrderLine.avsc}.
 */
@FunctionalInterface
public interface SchemaResolver {

  /**
   * Finds a schema.
   *
   * @param service the service, e.g. {@code orders}
   * @param name the schema's file name without {@code .avsc}, e.g. {@code OrderLineKey}
   * @return the schema, or null when there is none
   * @throws IllegalArgumentException when the file exists but is not a valid Avro schema
   */
  Schema find(String service, String name);

  /**
   * Looks on the classpath ({@code avro/<service>/<Name>.avsc}, as packaged by carve-schemas), then
   * in each directory ({@code <dir>/<service>/<Name>.avsc}).
   */
  static SchemaResolver classpathThenDirectories(List<Path> directories) {
    List<Path> dirs = List.copyOf(directories);
    return (service, name) -> {
      String resource = "avro/" + service + "/" + name + ".avsc";
      ClassLoader loader = Thread.currentThread().getContextClassLoader();
      if (loader == null) {
        loader = SchemaResolver.class.getClassLoader();
      }
      try (InputStream in = loader.getResourceAsStream(resource)) {
        if (in != null) {
          return new Schema.Parser().parse(in);
        }
      } catch (IOException | SchemaParseException e) {
        throw new IllegalArgumentException(
            "classpath resource " + resource + " is not a valid Avro schema: " + e.getMessage(), e);
      }
      for (Path dir : dirs) {
        Path file = dir.resolve(service).resolve(name + ".avsc");
        if (Files.isRegularFile(file)) {
          try {
            return new Schema.Parser().parse(file.toFile());
          } catch (IOException | SchemaParseException e) {
            throw new IllegalArgumentException(
                file + " is not a valid Avro schema: " + e.getMessage(), e);
          }
        }
      }
      return null;
    };
  }

  /**
   * The default for a mapping file: the classpath, then every {@code schemas} directory found in
   * the file's directory or one of its parents (so {@code
   * stream-transformer/topologies/orders.yaml} finds {@code schemas/orders/*.avsc} of the
   * repository).
   */
  static SchemaResolver forMappingFile(Path mappingFile) {
    List<Path> dirs = new ArrayList<>();
    for (Path dir = mappingFile.toAbsolutePath().getParent(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("schemas");
      if (Files.isDirectory(candidate)) {
        dirs.add(candidate);
      }
    }
    return classpathThenDirectories(dirs);
  }
}
