package dev.carve.transform.api;

import java.util.Map;

/**
 * Finds the row of the primary table a change of a joined (secondary) table belongs to, e.g. a
 * payment's {@code order_ref}. Used by {@link TopologyContext#joinTables}.
 */
@FunctionalInterface
public interface PartitionKey {
  /**
   * The primary key columns of the primary-table row this change belongs to, exactly as Debezium's
   * record key of the primary table holds them (e.g. {@code {"order_ref": "ORD-1"}}).
   *
   * @param change a change of the secondary table that is not a delete (deletes reuse the key
   *     remembered for their source key, since their {@code before} holds only the primary key)
   * @return the key columns; null when the row belongs to no primary row (the change goes to the
   *     dead-letter topic)
   * @throws MappingException when the row is malformed
   */
  Map<String, Object> of(ChangeEvent change);
}
