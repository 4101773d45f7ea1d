package dev.carve.core;

/**
 * Names of the Kafka record headers Carve writes between stages. They are a contract with running
 * systems and with tools outside Carve: never rename one.
 */
public final class CarveHeaders {
  /** Decimal commit LSN of the change that produced the record (see {@link SourcePosition}). */
  public static final String COMMIT_LSN = "carve.commit.lsn";

  /** Decimal LSN of the change itself (see {@link SourcePosition}). */
  public static final String CHANGE_LSN = "carve.change.lsn";

  /** "true" on records re-emitted by {@code carve verify --repair}: they win a tie of positions. */
  public static final String REPAIR = "carve.repair";

  /** Dead letters: the stage that gave up on the record ({@code transform}, {@code sink}). */
  public static final String DLQ_STAGE = "carve.dlq.stage";

  /** Dead letters: the service the record belonged to. */
  public static final String DLQ_SERVICE = "carve.dlq.service";

  /** Dead letters: the error class and message. */
  public static final String DLQ_ERROR = "carve.dlq.error";

  /** Dead letters: the topic the original record was read from. */
  public static final String DLQ_TOPIC = "carve.dlq.topic";

  /** Dead letters: the partition the original record was read from (decimal). */
  public static final String DLQ_PARTITION = "carve.dlq.partition";

  /** Dead letters: the offset the original record was read from (decimal). */
  public static final String DLQ_OFFSET = "carve.dlq.offset";

  /** Dead letters: when the record was dead-lettered, epoch milliseconds (decimal). */
  public static final String DLQ_TIMESTAMP = "carve.dlq.timestamp";

  private CarveHeaders() {}
}
