package dev.carve.sink;

/** The state of an entry of the failure log. */
public enum FailureStatus {
  /** The record has not been written. */
  OPEN,
  /** A retry wrote the record. */
  RESOLVED
}
