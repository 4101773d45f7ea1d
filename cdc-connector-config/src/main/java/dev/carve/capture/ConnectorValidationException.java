package dev.carve.capture;

/** Kafka Connect's connector plugin found errors in a config; nothing was deployed. */
public class ConnectorValidationException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient ConnectClient.Validation validation;

  /** Creates the exception, listing every error with its key. */
  public ConnectorValidationException(String connector, ConnectClient.Validation validation) {
    super(
        "Kafka Connect rejected the config of connector '"
            + connector
            + "' ("
            + validation.errorCount()
            + " errors):"
            + System.lineSeparator()
            + "  - "
            + String.join(System.lineSeparator() + "  - ", validation.problems()));
    this.validation = validation;
  }

  /** The errors per key. */
  public ConnectClient.Validation validation() {
    return validation;
  }
}
