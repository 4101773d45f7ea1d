package dev.carve.sink;

import java.time.Instant;

/**
 * One record the sink could not write, as kept in the failure log ({@code carve_failures}).
 *
 * @param id the entry's id, for {@link FailureLog#show} and {@link FailureLog#retry}
 * @param service the service
 * @param topic the domain topic the record was read from
 * @param partition its partition
 * @param offset its offset
 * @param key a readable form of the key (Avro JSON, or {@code base64:...} when undecodable); may be
 *     null when the record had no key
 * @param error the last error, class and message
 * @param attempts how often writing it was attempted
 * @param firstSeen when it first failed
 * @param lastSeen when it last failed or was resolved
 * @param status open or resolved
 */
public record FailureEntry(
    long id,
    String service,
    String topic,
    int partition,
    long offset,
    String key,
    String error,
    int attempts,
    Instant firstSeen,
    Instant lastSeen,
    FailureStatus status) {}
