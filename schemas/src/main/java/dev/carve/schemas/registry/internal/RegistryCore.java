package dev.carve.schemas.registry.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.schemas.registry.CompatibilityLevel;
import dev.carve.schemas.registry.CompatibilityResult;
import dev.carve.schemas.registry.RegisteredSchema;
import dev.carve.schemas.registry.RegistryException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The logic of a Confluent-compatible schema registry: subjects, versions, ids, compatibility
 * levels and checks, over a {@link RegistryStore}. The embedded registry serves it over HTTP; the
 * {@code mock://} registry calls it directly with an in-memory store.
 *
 * <p>Records use the layout of Confluent's {@code _schemas} topic: key {@code
 * {"keytype":"SCHEMA","subject":..,"version":..,"magic":1}} with value {@code
 * {"subject":..,"version":..,"id":..,"schema":..,"deleted":..}}, and key {@code
 * {"keytype":"CONFIG","subject":..|null,"magic":0}} with value {@code {"compatibilityLevel":..}}. A
 * record is written to the store before the in-memory state changes, so an acknowledged change
 * survives a restart. One registry instance writes to a store at a time.
 */
public final class RegistryCore {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryCore.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RegistryStore store;
  private final CompatibilityLevel defaultLevel;
  private final Map<Integer, StoredSchema> byId = new HashMap<>();
  private final Map<String, Integer> idByCanonical = new HashMap<>();
  private final Map<String, TreeMap<Integer, VersionEntry>> subjects = new TreeMap<>();
  private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
  private CompatibilityLevel globalLevel;
  private int maxId;

  /**
   * A store write failed. It may still land (a Kafka send that timed out is retried by the
   * producer), so memory may lack a record the store has, such as the id it took: nothing is
   * written again until the store has been re-read.
   */
  private boolean stale;

  private record StoredSchema(int id, String canonical, Schema schema) {}

  private record VersionEntry(int version, int id, boolean deleted) {}

  /**
   * Creates a registry and loads everything in the store.
   *
   * @param store where records are kept
   * @param defaultLevel the global level until one is configured
   */
  public RegistryCore(RegistryStore store, CompatibilityLevel defaultLevel) {
    this.store = store;
    this.defaultLevel = defaultLevel;
    this.globalLevel = defaultLevel;
    store.replay(this::apply);
    LOG.info(
        "Schema registry loaded {} schemas under {} subjects from {}",
        byId.size(),
        subjects.size(),
        store.describe());
  }

  /**
   * Registers a schema under a subject.
   *
   * @param schemaType null or {@code AVRO}
   * @return the schema's id
   */
  public synchronized int register(String subject, String schemaText, String schemaType) {
    Schema schema = parse(schemaText, schemaType);
    resyncIfStale();
    String canonical = schema.toString();
    TreeMap<Integer, VersionEntry> versions = subjects.get(subject);
    List<Compatibility.Version> live = liveVersions(subject);
    for (Compatibility.Version v : live) {
      VersionEntry e = versions.get(v.version());
      if (byId.get(e.id()).canonical().equals(canonical)) {
        return e.id();
      }
    }
    CompatibilityLevel level = effectiveLevel(subject);
    List<Compatibility.Violation> violations = Compatibility.check(level, schema, live);
    if (!violations.isEmpty()) {
      throw RegistryException.of(
          RegistryException.INCOMPATIBLE_SCHEMA,
          "Schema being registered is incompatible with an earlier schema for subject \""
              + subject
              + "\", details: "
              + messages(violations, level));
    }
    Integer existingId = idByCanonical.get(canonical);
    int id = existingId != null ? existingId : maxId + 1;
    int version = versions == null || versions.isEmpty() ? 1 : versions.lastKey() + 1;
    ObjectNode value = JSON.createObjectNode();
    value.put("subject", subject);
    value.put("version", version);
    value.put("id", id);
    value.put("schema", canonical);
    value.put("deleted", false);
    writeAndApply(schemaKey(subject, version), json(value));
    LOG.info("Registered schema id {} as version {} of subject '{}'", id, version, subject);
    return id;
  }

  /** Finds a schema under a subject. */
  public synchronized RegisteredSchema lookup(String subject, String schemaText, String type) {
    Schema schema = parse(schemaText, type);
    String canonical = schema.toString();
    List<Compatibility.Version> live = requireSubject(subject);
    for (Compatibility.Version v : live) {
      VersionEntry e = subjects.get(subject).get(v.version());
      StoredSchema stored = byId.get(e.id());
      if (stored.canonical().equals(canonical)) {
        return new RegisteredSchema(subject, e.id(), e.version(), stored.schema());
      }
    }
    throw RegistryException.of(
        RegistryException.SCHEMA_NOT_FOUND, "Schema not found under subject '" + subject + "'.");
  }

  /** The schema with an id, including ids of deleted subjects. */
  public synchronized Schema schemaById(int id) {
    StoredSchema stored = byId.get(id);
    if (stored == null) {
      throw RegistryException.of(RegistryException.SCHEMA_NOT_FOUND, "Schema " + id + " not found");
    }
    return stored.schema();
  }

  /** The subjects, sorted; with {@code includeDeleted} also the soft-deleted ones. */
  public synchronized List<String> subjects(boolean includeDeleted) {
    List<String> out = new ArrayList<>();
    subjects.forEach(
        (subject, versions) -> {
          if (versions.values().stream().anyMatch(v -> includeDeleted || !v.deleted())) {
            out.add(subject);
          }
        });
    return out;
  }

  /** The live versions of a subject, ascending. */
  public synchronized List<Integer> versions(String subject) {
    return requireSubject(subject).stream().map(Compatibility.Version::version).toList();
  }

  /**
   * One version of a subject.
   *
   * @param version a positive number, {@code -1} or {@code latest}
   */
  public synchronized RegisteredSchema version(String subject, String version) {
    int number = parseVersion(version);
    List<Compatibility.Version> live = requireSubject(subject);
    Compatibility.Version found = null;
    if (number == -1) {
      found = live.get(live.size() - 1);
    } else {
      for (Compatibility.Version v : live) {
        if (v.version() == number) {
          found = v;
        }
      }
    }
    if (found == null) {
      throw RegistryException.of(
          RegistryException.VERSION_NOT_FOUND,
          "Version " + version + " not found for subject '" + subject + "'.");
    }
    VersionEntry e = subjects.get(subject).get(found.version());
    return new RegisteredSchema(subject, e.id(), e.version(), found.schema());
  }

  /**
   * Tests a schema for a subject.
   *
   * @param version the version to test against ({@code latest}, a number), or null for every
   *     version the subject's level checks, as a registration would
   */
  public synchronized CompatibilityResult testCompatibility(
      String subject, String version, String schemaText, String schemaType) {
    Schema schema = parse(schemaText, schemaType);
    CompatibilityLevel level = effectiveLevel(subject);
    List<Compatibility.Version> live = liveVersions(subject);
    List<Compatibility.Version> against;
    if (version == null) {
      against = live;
    } else {
      int number = parseVersion(version);
      if (live.isEmpty()) {
        if (number != -1) {
          throw RegistryException.of(
              RegistryException.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
        }
        against = List.of();
      } else if (number == -1) {
        against = List.of(live.get(live.size() - 1));
      } else {
        against = live.stream().filter(v -> v.version() == number).toList();
        if (against.isEmpty()) {
          throw RegistryException.of(
              RegistryException.VERSION_NOT_FOUND,
              "Version " + version + " not found for subject '" + subject + "'.");
        }
      }
    }
    List<Compatibility.Violation> violations = Compatibility.check(level, schema, against);
    return new CompatibilityResult(violations.isEmpty(), messages(violations, level));
  }

  /** The global compatibility level. */
  public synchronized CompatibilityLevel globalLevel() {
    return globalLevel;
  }

  /** The level set on a subject itself, if any. */
  public synchronized Optional<CompatibilityLevel> subjectLevel(String subject) {
    return Optional.ofNullable(subjectLevels.get(subject));
  }

  /**
   * Sets the level of a subject, or the global level when {@code subject} is null.
   *
   * @param level the level's name
   * @return the level set
   */
  public synchronized CompatibilityLevel setLevel(String subject, String level) {
    CompatibilityLevel parsed;
    try {
      parsed = CompatibilityLevel.parse(level);
    } catch (IllegalArgumentException e) {
      throw RegistryException.of(RegistryException.INVALID_COMPATIBILITY_LEVEL, e.getMessage());
    }
    resyncIfStale();
    ObjectNode value = JSON.createObjectNode();
    value.put("compatibilityLevel", parsed.name());
    writeAndApply(configKey(subject), json(value));
    LOG.info(
        "Compatibility level of {} set to {}",
        subject == null ? "the registry" : "subject '" + subject + "'",
        parsed);
    return parsed;
  }

  /**
   * Removes the level of a subject, so the global level applies again.
   *
   * @return the level removed
   */
  public synchronized CompatibilityLevel deleteSubjectLevel(String subject) {
    resyncIfStale();
    CompatibilityLevel previous = subjectLevels.get(subject);
    if (previous == null) {
      throw RegistryException.of(
          RegistryException.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
    }
    writeAndApply(configKey(subject), null);
    return previous;
  }

  /**
   * Deletes a subject: softly (versions hidden, ids and subject level kept), or permanently after a
   * soft delete (versions and subject level gone).
   *
   * @return the versions deleted
   */
  public synchronized List<Integer> deleteSubject(String subject, boolean permanent) {
    resyncIfStale();
    TreeMap<Integer, VersionEntry> versions = subjects.get(subject);
    if (versions == null || versions.isEmpty()) {
      throw RegistryException.of(
          RegistryException.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
    }
    boolean allDeleted = versions.values().stream().allMatch(VersionEntry::deleted);
    List<Integer> deleted = new ArrayList<>();
    if (permanent) {
      if (!allDeleted) {
        throw RegistryException.of(
            RegistryException.SUBJECT_NOT_SOFT_DELETED,
            "Subject '"
                + subject
                + "' was not deleted first before being permanently deleted; delete it without"
                + " permanent=true first.");
      }
      for (VersionEntry e : List.copyOf(versions.values())) {
        writeAndApply(schemaKey(subject, e.version()), null);
        deleted.add(e.version());
      }
      // "Deletes the specified subject and its associated compatibility level if registered":
      // Confluent removes the level with the subject on a permanent delete only (a soft delete
      // keeps it, schema-registry#3810), so a new subject of that name starts at the global level.
      if (subjectLevels.containsKey(subject)) {
        writeAndApply(configKey(subject), null);
      }
      LOG.info("Permanently deleted subject '{}' (versions {})", subject, deleted);
      return deleted;
    }
    if (allDeleted) {
      throw RegistryException.of(
          RegistryException.SUBJECT_SOFT_DELETED,
          "Subject '" + subject + "' was soft deleted. Set permanent=true to delete permanently.");
    }
    for (VersionEntry e : List.copyOf(versions.values())) {
      if (!e.deleted()) {
        ObjectNode value = JSON.createObjectNode();
        value.put("subject", subject);
        value.put("version", e.version());
        value.put("id", e.id());
        value.put("schema", byId.get(e.id()).canonical());
        value.put("deleted", true);
        writeAndApply(schemaKey(subject, e.version()), json(value));
        deleted.add(e.version());
      }
    }
    LOG.info("Soft-deleted subject '{}' (versions {})", subject, deleted);
    return deleted;
  }

  /** The store's description, for messages. */
  public String storeDescription() {
    return store.describe();
  }

  private CompatibilityLevel effectiveLevel(String subject) {
    return subjectLevels.getOrDefault(subject, globalLevel);
  }

  private List<Compatibility.Version> liveVersions(String subject) {
    TreeMap<Integer, VersionEntry> versions = subjects.get(subject);
    if (versions == null) {
      return List.of();
    }
    List<Compatibility.Version> out = new ArrayList<>();
    for (VersionEntry e : versions.values()) {
      if (!e.deleted()) {
        out.add(new Compatibility.Version(e.version(), byId.get(e.id()).schema()));
      }
    }
    return out;
  }

  private List<Compatibility.Version> requireSubject(String subject) {
    List<Compatibility.Version> live = liveVersions(subject);
    if (live.isEmpty()) {
      throw RegistryException.of(
          RegistryException.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
    }
    return live;
  }

  private static List<String> messages(
      List<Compatibility.Violation> violations, CompatibilityLevel level) {
    List<String> out = new ArrayList<>();
    for (Compatibility.Violation v : violations) {
      out.add(Compatibility.confluentMessage(v));
    }
    if (!out.isEmpty()) {
      out.add("{compatibility: '" + level.name() + "'}");
    }
    return out;
  }

  private static int parseVersion(String version) {
    if (version != null && version.toLowerCase(Locale.ROOT).equals("latest")) {
      return -1;
    }
    try {
      int n = Integer.parseInt(version);
      if (n == -1 || n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // Falls through to the registry's own error below.
    }
    throw RegistryException.of(
        RegistryException.INVALID_VERSION,
        "The specified version '"
            + version
            + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string"
            + " \"latest\"");
  }

  private static Schema parse(String text, String schemaType) {
    if (schemaType != null && !schemaType.equalsIgnoreCase("AVRO")) {
      throw RegistryException.of(
          RegistryException.INVALID_SCHEMA,
          "Invalid schema type '" + schemaType + "': this registry stores AVRO schemas only");
    }
    if (text == null || text.isBlank()) {
      throw RegistryException.of(
          RegistryException.INVALID_SCHEMA, "Invalid schema: the request has no 'schema'");
    }
    try {
      return new Schema.Parser().parse(text);
    } catch (RuntimeException e) {
      throw RegistryException.of(
          RegistryException.INVALID_SCHEMA, "Invalid schema " + text + ": " + e.getMessage());
    }
  }

  private void writeAndApply(String key, String value) {
    resyncIfStale();
    try {
      store.write(key, value);
    } catch (RuntimeException e) {
      stale = true;
      throw new RegistryException(
          500,
          RegistryException.STORE_ERROR,
          "Error in the backend data store " + store.describe() + ": " + e.getMessage(),
          e);
    }
    apply(key, value);
  }

  /**
   * After a failed write, waits for it to settle and re-reads the store, so that an id the write
   * may have taken after all is not given to another schema.
   *
   * @throws RegistryException 50001 while the failed write is still in flight or the store cannot
   *     be read; memory is then left as it was
   */
  private void resyncIfStale() {
    if (!stale) {
      return;
    }
    if (!store.awaitPendingWrites()) {
      throw RegistryException.of(
          RegistryException.STORE_ERROR,
          "Error in the backend data store "
              + store.describe()
              + ": an earlier write timed out and has not completed yet; nothing is written until"
              + " it has, so that no schema id is given twice. Try again later.");
    }
    Map<Integer, StoredSchema> savedById = new HashMap<>(byId);
    Map<String, Integer> savedIds = new HashMap<>(idByCanonical);
    Map<String, TreeMap<Integer, VersionEntry>> savedSubjects = new TreeMap<>();
    subjects.forEach((subject, versions) -> savedSubjects.put(subject, new TreeMap<>(versions)));
    Map<String, CompatibilityLevel> savedLevels = new HashMap<>(subjectLevels);
    CompatibilityLevel savedGlobal = globalLevel;
    int savedMaxId = maxId;
    byId.clear();
    idByCanonical.clear();
    subjects.clear();
    subjectLevels.clear();
    globalLevel = defaultLevel;
    try {
      store.replay(this::apply);
    } catch (RuntimeException e) {
      byId.clear();
      byId.putAll(savedById);
      idByCanonical.clear();
      idByCanonical.putAll(savedIds);
      subjects.clear();
      subjects.putAll(savedSubjects);
      subjectLevels.clear();
      subjectLevels.putAll(savedLevels);
      globalLevel = savedGlobal;
      maxId = savedMaxId;
      throw new RegistryException(
          500,
          RegistryException.STORE_ERROR,
          "Error in the backend data store "
              + store.describe()
              + ": could not re-read it after a failed write: "
              + e.getMessage(),
          e);
    }
    // Ids of permanently deleted subjects may be compacted away; they are still never reused.
    maxId = Math.max(maxId, savedMaxId);
    stale = false;
    LOG.warn(
        "Re-read {} after a failed write: {} schemas under {} subjects",
        store.describe(),
        byId.size(),
        subjects.size());
  }

  /** Applies one stored record to the in-memory state. */
  private void apply(String keyText, String valueText) {
    JsonNode key = read(keyText);
    String keyType = key.path("keytype").asText("");
    String subject = key.path("subject").isNull() ? null : key.path("subject").asText(null);
    switch (keyType) {
      case "SCHEMA" -> {
        int version = key.path("version").asInt();
        if (valueText == null) {
          TreeMap<Integer, VersionEntry> versions = subjects.get(subject);
          if (versions != null) {
            versions.remove(version);
            if (versions.isEmpty()) {
              subjects.remove(subject);
            }
          }
          return;
        }
        JsonNode value = read(valueText);
        int id = value.path("id").asInt();
        String text = value.path("schema").asText();
        StoredSchema stored = byId.get(id);
        if (stored == null) {
          Schema schema = new Schema.Parser().parse(text);
          stored = new StoredSchema(id, schema.toString(), schema);
          byId.put(id, stored);
          idByCanonical.putIfAbsent(stored.canonical(), id);
        } else if (!stored.canonical().equals(text)
            && !stored.canonical().equals(new Schema.Parser().parse(text).toString())) {
          // Two schemas under one id: records written with it could be read with the wrong one.
          throw new IllegalStateException(
              "schema id "
                  + id
                  + " arrives again with a different schema, as version "
                  + version
                  + " of subject '"
                  + subject
                  + "' (the id is "
                  + stored.canonical()
                  + ", this record has "
                  + text
                  + "); the store gave one id to two schemas and must be repaired by hand");
        }
        maxId = Math.max(maxId, id);
        subjects
            .computeIfAbsent(subject, s -> new TreeMap<>())
            .put(version, new VersionEntry(version, id, value.path("deleted").asBoolean(false)));
      }
      case "CONFIG" -> {
        CompatibilityLevel level =
            valueText == null
                ? null
                : CompatibilityLevel.parse(read(valueText).path("compatibilityLevel").asText());
        if (subject == null) {
          globalLevel = level == null ? defaultLevel : level;
        } else if (level == null) {
          subjectLevels.remove(subject);
        } else {
          subjectLevels.put(subject, level);
        }
      }
      default -> LOG.debug("Ignoring registry record with key {}", keyText);
    }
  }

  private static String schemaKey(String subject, int version) {
    ObjectNode key = JSON.createObjectNode();
    key.put("keytype", "SCHEMA");
    key.put("subject", subject);
    key.put("version", version);
    key.put("magic", 1);
    return json(key);
  }

  private static String configKey(String subject) {
    ObjectNode key = JSON.createObjectNode();
    key.put("keytype", "CONFIG");
    if (subject == null) {
      key.putNull("subject");
    } else {
      key.put("subject", subject);
    }
    key.put("magic", 0);
    return json(key);
  }

  private static String json(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Could not write JSON", e);
    }
  }

  private static JsonNode read(String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("A registry record is not JSON: " + text, e);
    }
  }

  /** The subjects (including soft-deleted ones) and their versions, for tests and messages. */
  synchronized Map<String, TreeSet<Integer>> snapshot() {
    Map<String, TreeSet<Integer>> out = new TreeMap<>();
    subjects.forEach((s, v) -> out.put(s, new TreeSet<>(v.keySet())));
    return out;
  }
}
