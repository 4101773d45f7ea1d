package dev.carve.schemas.registry;

/**
 * A schema registry refused a request or could not be reached. Carries the registry's {@code
 * error_code} and message as the Confluent REST API returns them ({@code {"error_code": 40401,
 * "message": "Subject 'orders.order-value' not found."}}).
 */
public class RegistryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Error code for a request that got no response (connection refused, timeout, I/O error). */
  public static final int NO_RESPONSE = -1;

  /** Subject not found. */
  public static final int SUBJECT_NOT_FOUND = 40401;

  /** Version not found. */
  public static final int VERSION_NOT_FOUND = 40402;

  /** Schema not found. */
  public static final int SCHEMA_NOT_FOUND = 40403;

  /** Subject was soft-deleted (set permanent=true to delete it for good). */
  public static final int SUBJECT_SOFT_DELETED = 40404;

  /** Subject must be soft-deleted before it is deleted permanently. */
  public static final int SUBJECT_NOT_SOFT_DELETED = 40405;

  /** The subject has no subject-level compatibility configured. */
  public static final int SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED = 40408;

  /** The schema is incompatible with an earlier schema of the subject. */
  public static final int INCOMPATIBLE_SCHEMA = 409;

  /** Invalid schema (or schema type). */
  public static final int INVALID_SCHEMA = 42201;

  /** Invalid version. */
  public static final int INVALID_VERSION = 42202;

  /** Invalid compatibility level. */
  public static final int INVALID_COMPATIBILITY_LEVEL = 42203;

  /** Error in the backend data store. */
  public static final int STORE_ERROR = 50001;

  private final int httpStatus;
  private final int errorCode;

  /**
   * Creates the exception.
   *
   * @param httpStatus the HTTP status, or {@link #NO_RESPONSE}
   * @param errorCode the registry's {@code error_code}, or {@link #NO_RESPONSE}
   * @param message what failed, with the subject, version or id and the registry's message
   * @param cause the underlying error; may be null
   */
  public RegistryException(int httpStatus, int errorCode, String message, Throwable cause) {
    super(message, cause);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
  }

  /**
   * An error as the registry would answer it: the HTTP status is the first three digits of a
   * five-digit error code, else the code itself.
   */
  public static RegistryException of(int errorCode, String message) {
    return new RegistryException(httpStatusOf(errorCode), errorCode, message, null);
  }

  /** The HTTP status belonging to a Confluent error code (40401 → 404, 409 → 409). */
  public static int httpStatusOf(int errorCode) {
    return errorCode >= 10000 ? errorCode / 100 : errorCode;
  }

  /**
   * The registry's {@code error_code}, or {@link #NO_RESPONSE} when there was no answer or the
   * answer carried none (it did not come from the registry's API: a proxy's page, say).
   */
  public int errorCode() {
    return errorCode;
  }

  /** The HTTP status, or {@link #NO_RESPONSE} when there was no answer. */
  public int httpStatus() {
    return httpStatus;
  }

  /**
   * True when another attempt may succeed: no response, a server error (5xx), too many requests
   * (429) or a request timeout (408).
   */
  public boolean retriable() {
    return httpStatus == NO_RESPONSE || httpStatus >= 500 || httpStatus == 429 || httpStatus == 408;
  }

  /**
   * True when the registry could not be used, whatever was asked: {@link #retriable()}, or an
   * answer that says nothing about the subject, schema or id asked for. That is a refusal of the
   * client (401, 403, 407: credentials; a redirect), a 4xx with a generic HTTP code instead of one
   * of the registry's own ({@code 404} of no such endpoint: a wrong URL, or a path behind a proxy;
   * 405, 415), or an answer without an {@code error_code} or not in the registry's format. Nothing
   * is wrong with a record that met this: a pipeline holds it back until the registry, or the
   * client's configuration, is fixed, and never dead-letters it. False for the registry's own
   * answers about the request (40401, 40403, 409, 42201, …).
   */
  public boolean unavailable() {
    if (retriable() || errorCode == NO_RESPONSE) {
      return true;
    }
    if (httpStatus >= 300 && httpStatus < 400) {
      return true;
    }
    if (httpStatus == 401 || httpStatus == 403 || httpStatus == 407) {
      return true;
    }
    // The registry's own answers carry five-digit codes (40401, 42201), or 409 for an
    // incompatible schema; a three-digit code in a 4xx is the web server's, not the registry's.
    return httpStatus >= 400
        && httpStatus < 500
        && errorCode < 10000
        && errorCode != INCOMPATIBLE_SCHEMA;
  }
}
