package dev.carve.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.testing.Harness;
import dev.carve.transform.testing.TestAvroSerdes;
import org.junit.jupiter.api.Test;

class TransformerRuntimeTest {
  private static TransformerRuntime runtime() {
    DomainTopology orders =
        TransformerRuntime.loadTopology(Harness.topologyFile("orders").toString());
    return TransformerRuntime.create(
        orders, TransformerOptions.of("localhost:1", "mock://runtime"), TestAvroSerdes.factory());
  }

  @Test
  void runtimeNeverStartedClosesStraightToStopped() {
    TransformerRuntime runtime = runtime();
    assertThat(runtime.state()).isEqualTo(TransformerRuntime.State.CREATED);
    runtime.close();
    assertThat(runtime.state()).isEqualTo(TransformerRuntime.State.STOPPED);
    assertThatThrownBy(runtime::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("state STOPPED")
        .hasMessageContaining("create a new one");
  }

  @Test
  void runtimeKnowsItsApplicationIdAndOutputTopics() {
    TransformerRuntime runtime = runtime();
    assertThat(runtime.applicationId()).isEqualTo("carve-orders");
    assertThat(runtime.outputTopics())
        .containsExactly("orders.order", "orders.order_line", "orders.dlq");
  }

  @Test
  void topologyIsLoadedByClassName() {
    assertThat(TransformerRuntime.loadTopology(PassthroughTopology.class.getName()).service())
        .isEqualTo("passthrough");
    assertThatThrownBy(() -> TransformerRuntime.loadTopology("com.example.Missing"))
        .hasMessageContaining("com.example.Missing")
        .hasMessageContaining("neither a YAML mapping");
    assertThatThrownBy(() -> TransformerRuntime.loadTopology(String.class.getName()))
        .hasMessageContaining("does not implement");
  }

  /** A minimal topology for loading by name. */
  public static final class PassthroughTopology implements DomainTopology {
    @Override
    public String service() {
      return "passthrough";
    }

    @Override
    public void define(
        org.apache.kafka.streams.StreamsBuilder builder,
        dev.carve.transform.api.TopologyContext ctx) {
      ctx.mapTable(builder, "orders", (change, scope) -> java.util.List.of());
    }
  }
}
