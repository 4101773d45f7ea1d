package dev.carve.capture.internal;

import java.security.GeneralSecurityException;
import javax.net.ssl.SSLException;

/**
 * Tells a connection failure caused by the TLS settings ({@code database.sslmode} and friends) from
 * the others, so the message names those settings instead of the host and port.
 */
public final class TlsFailure {
  /** The config keys to name in the fix of a TLS failure. */
  public static final String KEYS =
      "database.sslmode, database.sslrootcert, database.sslcert, database.sslkey and"
          + " database.sslpassword";

  private TlsFailure() {}

  /**
   * Whether {@code e} or one of its causes is a TLS failure: pgjdbc's "The server does not support
   * SSL", "SSL error: ..." (a certificate the root certificate does not trust), an unreadable
   * certificate or key file, a host name the certificate does not name, an invalid sslmode, or an
   * SSL or security exception of the JDK.
   *
   * @param e the failure, may be null
   */
  public static boolean is(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SSLException || t instanceof GeneralSecurityException) {
        return true;
      }
      String m = t.getMessage();
      if (m != null
          && (m.contains("SSL") || m.contains("sslmode") || m.contains("hostnameverifier"))) {
        return true;
      }
    }
    return false;
  }
}
