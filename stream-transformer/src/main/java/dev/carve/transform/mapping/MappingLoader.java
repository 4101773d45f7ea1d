package dev.carve.transform.mapping;

import dev.carve.core.config.ConfigException;
import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.internal.mapping.MappingCompiler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Compiles a declarative YAML mapping ({@code stream-transformer/topologies/<service>.yaml}) into a
 * {@link DomainTopology}. The format is described in the module's README. Every problem of the file
 * is reported at once, each with its line, key and what is allowed.
 */
public final class MappingLoader {
  private MappingLoader() {}

  /**
   * Loads a mapping file, finding the Avro schemas with {@link SchemaResolver#forMappingFile}.
   *
   * @throws ConfigException listing every problem with its line and key
   */
  public static DomainTopology load(Path file) {
    return load(file, SchemaResolver.forMappingFile(file));
  }

  /**
   * Loads a mapping file with the given schema lookup.
   *
   * @throws ConfigException listing every problem with its line and key
   */
  public static DomainTopology load(Path file, SchemaResolver schemas) {
    String yaml;
    try {
      yaml = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), "cannot read the mapping file: " + e);
    }
    return parse(yaml, file.toString(), schemas);
  }

  /**
   * Compiles mapping text.
   *
   * @param yaml the mapping
   * @param source the file name or origin, for messages
   * @param schemas where the Avro schemas are found
   * @throws ConfigException listing every problem with its line and key
   */
  public static DomainTopology parse(String yaml, String source, SchemaResolver schemas) {
    return MappingCompiler.compile(yaml, source, schemas);
  }
}
