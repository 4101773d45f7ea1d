package dev.carve.schemas;

import dev.carve.core.Topics;
import java.util.Objects;
import org.apache.avro.Schema;

/**
 * The key and value schema of one entity of a service, as found in {@code
 * schemas/<service>/<Name>Key.avsc} and {@code schemas/<service>/<Name>.avsc}.
 *
 * @param service the service, e.g. {@code orders}; never null
 * @param entity the entity: snake_case of the record name, e.g. {@code order_line}; never null
 * @param key the key schema ({@code <Name>Key}); never null
 * @param value the value schema ({@code <Name>}); never null
 */
public record EntitySchemas(String service, String entity, Schema key, Schema value) {

  /** Checks that no component is null. */
  public EntitySchemas {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(entity, "entity");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
  }

  /** The domain topic of the entity, {@code <service>.<entity>}. */
  public String topic() {
    return Topics.domain(service, entity);
  }

  /** The subject of the key schema under the TopicNameStrategy, {@code <service>.<entity>-key}. */
  public String keySubject() {
    return topic() + "-key";
  }

  /**
   * The subject of the value schema under the TopicNameStrategy, {@code <service>.<entity>-value}.
   */
  public String valueSubject() {
    return topic() + "-value";
  }
}
