package dev.carve.cli;

import dev.carve.transform.api.DomainTopology;
import dev.carve.transform.api.TopologyContext;
import java.util.List;
import org.apache.kafka.streams.StreamsBuilder;

/** A service whose topology maps raw table {@code items} to nothing: enough to reset it. */
public final class ResetCliTopology implements DomainTopology {
  @Override
  public String service() {
    return "reset_cli";
  }

  @Override
  public void define(StreamsBuilder builder, TopologyContext ctx) {
    ctx.domainTopic("item");
    ctx.mapTable(builder, "items", (change, scope) -> List.of());
  }
}
