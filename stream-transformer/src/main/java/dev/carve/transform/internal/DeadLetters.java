package dev.carve.transform.internal;

import dev.carve.core.CarveHeaders;
import dev.carve.core.error.Decision;
import dev.carve.core.error.OnError;
import dev.carve.core.error.PoisonRecordPolicy;
import dev.carve.schemas.registry.RegistryException;
import dev.carve.schemas.serde.AvroSerdeException;
import dev.carve.transform.TransformerMetrics;
import dev.carve.transform.api.ChangeEvent.SourceOffset;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a change that cannot be mapped into a dead letter (its original key and bytes with the
 * headers of contracts §2), or stops the service when its {@code on-error} is {@code fail}.
 */
final class DeadLetters {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
  private static final String STAGE = "transform";

  private final String service;
  private final String deadLetterTopic;
  private final PoisonRecordPolicy policy;
  private final TransformerMetrics metrics;

  DeadLetters(String service, String deadLetterTopic, OnError onError, TransformerMetrics metrics) {
    this.service = service;
    this.deadLetterTopic = deadLetterTopic;
    this.policy = new PoisonRecordPolicy(onError, 1, e -> false);
    this.metrics = metrics;
  }

  /**
   * The headers of the dead letter of a change, and the value routed to the dead-letter topic.
   *
   * @param key the original key (may be null)
   * @param value the original value bytes
   * @param headers the original headers; a copy is extended
   * @throws TransformFailedException when the service's {@code on-error} is {@code fail}
   * @throws RegistryUnavailableException when the change failed because the schema registry could
   *     not be used: that is not the change's fault, so it is never dead-lettered
   */
  Letter letter(
      byte[] key,
      byte[] value,
      Headers headers,
      SourceOffset source,
      String table,
      Exception error) {
    String shownKey = key == null ? "null" : new String(key, StandardCharsets.UTF_8);
    String message =
        "Service '"
            + service
            + "' cannot map the change of table '"
            + table
            + "' with key "
            + shownKey
            + " at "
            + source
            + ": "
            + error.getMessage();
    if (registryUnavailable(error)) {
      throw new RegistryUnavailableException(
          message
              + " (the schema registry could not be used: the change is not dead-lettered; the"
              + " service stops before committing its offset and resumes there once restarted)",
          error);
    }
    if (policy.decide(error, 1) == Decision.FAIL) {
      throw new TransformFailedException(message + " (on-error: fail stops the service)", error);
    }
    LOG.warn("Dead-lettering to {}: {}", deadLetterTopic, message);
    Headers out = new RecordHeaders(headers.toArray());
    InternalHeaders.strip(out);
    put(out, CarveHeaders.DLQ_STAGE, STAGE);
    put(out, CarveHeaders.DLQ_SERVICE, service);
    put(out, CarveHeaders.DLQ_ERROR, error.getClass().getName() + ": " + message);
    put(out, CarveHeaders.DLQ_TOPIC, source.topic());
    put(out, CarveHeaders.DLQ_PARTITION, Integer.toString(source.partition()));
    put(out, CarveHeaders.DLQ_OFFSET, Long.toString(source.offset()));
    put(out, CarveHeaders.DLQ_TIMESTAMP, Long.toString(System.currentTimeMillis()));
    metrics.recordDeadLetter(table);
    return new Letter(new Routed(deadLetterTopic, value), out);
  }

  /**
   * Did {@code error} (or a cause) come from a schema registry that could not be used, rather than
   * from the change? Such an answer (no answer, 5xx, 401/403, a 404 of no registry endpoint) would
   * fail every change alike.
   */
  static boolean registryUnavailable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if ((t instanceof AvroSerdeException s && s.retriable())
          || (t instanceof RegistryException r && r.unavailable())) {
        return true;
      }
    }
    return false;
  }

  /** A dead letter: the routed value and its headers. */
  record Letter(Routed value, Headers headers) {}

  private static void put(Headers headers, String name, String value) {
    headers.remove(name);
    headers.add(name, value.getBytes(StandardCharsets.UTF_8));
  }
}
