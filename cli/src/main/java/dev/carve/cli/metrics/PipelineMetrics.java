package dev.carve.cli.metrics;

import dev.carve.cli.embedded.EmbeddedPostgresServer;
import dev.carve.cli.runtime.EmbeddedPipeline;
import dev.carve.cli.runtime.Part;
import dev.carve.cli.runtime.ServiceRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Wires the metrics of every part of an {@link EmbeddedPipeline} ({@code carve up}). */
public final class PipelineMetrics {
  private PipelineMetrics() {}

  /**
   * Registers the parts' status and the sources of capture and of every service's transformer and
   * sink with {@code server}.
   *
   * @param pipeline a started pipeline
   */
  public static void register(MetricsServer server, EmbeddedPipeline pipeline) {
    // The parts as started: the pipeline forgets them once closed, the endpoint should not.
    List<Part> parts = pipeline.parts();
    server.parts(() -> status(pipeline, parts));
    server.add(
        ComponentMetrics.capture(
            pipeline.capture(),
            ComponentMetrics.slotLag(
                pipeline.postgres().jdbcUrl(EmbeddedPipeline.MONOLITH_DB),
                EmbeddedPostgresServer.USER,
                "",
                pipeline.capture().connector().get("slot.name"))));
    for (ServiceRuntime service : pipeline.services().values()) {
      server.add(ComponentMetrics.transformer(service));
      server.add(ComponentMetrics.sink(service.sink()));
    }
  }

  /** Each started part: up unless it failed or the pipeline is stopping. */
  static List<PartStatus> status(EmbeddedPipeline pipeline, List<Part> parts) {
    EmbeddedPipeline.State state = pipeline.state();
    boolean live =
        state == EmbeddedPipeline.State.RUNNING || state == EmbeddedPipeline.State.STARTING;
    List<PartStatus> out = new ArrayList<>();
    for (Part p : parts) {
      Optional<Throwable> failure = p.failure();
      if (failure.isPresent()) {
        out.add(PartStatus.down(p.name(), "failed: " + failure.get().getMessage()));
      } else if (live) {
        out.add(PartStatus.up(p.name()));
      } else {
        out.add(PartStatus.down(p.name(), state.name().toLowerCase(Locale.ROOT)));
      }
    }
    return out;
  }
}
