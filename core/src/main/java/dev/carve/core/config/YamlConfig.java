package dev.carve.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Loads a YAML configuration file into nested maps after {@link Substitution}. */
public final class YamlConfig {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private YamlConfig() {}

  /**
   * Reads and substitutes a YAML file.
   *
   * @throws ConfigException when the file cannot be read, a reference is unresolved or the YAML is
   *     malformed (with the line)
   */
  public static Map<String, Object> load(Path file, Substitution substitution) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), "cannot read the file: " + e);
    }
    return parse(substitution.apply(text, file.toString()), file.toString());
  }

  /** Parses YAML text (already substituted) into nested maps; an empty document is an empty map. */
  public static Map<String, Object> parse(String text, String source) {
    try {
      Map<String, Object> map =
          YAML.readValue(text, new TypeReference<LinkedHashMap<String, Object>>() {});
      return map == null ? new LinkedHashMap<>() : map;
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : "line " + e.getLocation().getLineNr() + ": ";
      throw new ConfigException(source, where + e.getOriginalMessage());
    }
  }

  /**
   * Writes nested maps as a YAML document that {@link #parse} reads back into equal maps.
   *
   * @throws IllegalArgumentException when a value cannot be written as YAML
   */
  public static String write(Map<String, Object> config) {
    try {
      return YAML.writeValueAsString(config);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write the configuration as YAML: " + e, e);
    }
  }
}
