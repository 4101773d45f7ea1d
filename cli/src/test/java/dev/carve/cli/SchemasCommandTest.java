package dev.carve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carve.cli.config.CarveConfig;
import dev.carve.cli.runtime.ServiceRuntime;
import dev.carve.core.config.Substitution;
import dev.carve.schemas.registry.MockSchemaRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * An incompatible change of a contract is named with its subject, field and rule, by {@code carve
 * schemas check} and by a transformer that refuses to start (against the in-memory registry).
 */
class SchemasCommandTest {
  private static final String SCOPE = "schemas-command-test";
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private Path config;

  @BeforeEach
  void registerAnOlderOrderWithoutLineCount(@TempDir Path dir) throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode order =
        (ObjectNode)
            json.readTree(Files.readString(TestHome.dir().resolve("schemas/orders/Order.avsc")));
    ArrayNode fields = (ArrayNode) order.get("fields");
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).get("name").asText().equals("line_count")) {
        fields.remove(i);
        break;
      }
    }
    MockSchemaRegistry.client(SCOPE)
        .register("orders.order-value", new Schema.Parser().parse(order.toString()));
    config = dir.resolve("carve.yaml");
    Files.writeString(
        config,
        """
        kafka: {bootstrap-servers: "localhost:1"}
        schema-registry: {url: "mock://%s"}
        services:
          orders:
            topology: %s
            target: {jdbc-url: "jdbc:postgresql://localhost:1/orders", username: app}
        """
            .formatted(SCOPE, TestHome.dir().resolve("stream-transformer/topologies/orders.yaml")));
  }

  @AfterEach
  void dropRegistry() {
    MockSchemaRegistry.drop(SCOPE);
  }

  @Test
  void checkNamesTheSubjectTheFieldAndTheRule() {
    CommandLine cmd = Carve.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code =
        cmd.execute("schemas", "check", "--config", config.toString(), "--service", "orders");
    assertThat(code).as(out + " " + err).isEqualTo(1);
    assertThat(out.toString())
        .contains("orders.order-value")
        .contains("line_count")
        .contains("READER_FIELD_MISSING_DEFAULT_VALUE");
  }

  @Test
  void transformerRefusesToStartWithTheSameMessage(@TempDir Path state) {
    CarveConfig c = CarveConfig.load(config, new Substitution(n -> null));
    ServiceRuntime runtime =
        ServiceRuntime.create(c.service("orders"), c, "localhost:1", c.registryUrl(), state);
    assertThatThrownBy(() -> runtime.parts().get(0).start())
        .isInstanceOf(UserFacingException.class)
        .hasMessageContaining("The transformer of service 'orders' refuses to start")
        .hasMessageContaining("orders.order-value")
        .hasMessageContaining("line_count");
  }
}
