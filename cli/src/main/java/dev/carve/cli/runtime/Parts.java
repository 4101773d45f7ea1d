package dev.carve.cli.runtime;

import dev.carve.capture.EmbeddedCapture;
import dev.carve.examples.LoadGenerator;
import dev.carve.sink.ServiceSink;
import dev.carve.sink.SinkState;
import java.time.Duration;
import java.util.Optional;

/** Adapters from each component's own lifecycle to {@link Part}. */
public final class Parts {
  private Parts() {}

  public static Part capture(EmbeddedCapture capture) {
    return new Part() {
      @Override
      public String name() {
        return "capture";
      }

      @Override
      public void start() {
        capture.start();
      }

      @Override
      public boolean stop(Duration timeout) {
        capture.close(timeout);
        return capture.state() == EmbeddedCapture.State.STOPPED
            || capture.state() == EmbeddedCapture.State.FAILED;
      }

      @Override
      public Optional<Throwable> failure() {
        return capture.state() == EmbeddedCapture.State.FAILED
            ? capture.failure()
            : Optional.empty();
      }
    };
  }

  public static Part sink(ServiceSink sink) {
    return new Part() {
      @Override
      public String name() {
        return "sink " + sink.service();
      }

      @Override
      public void start() {
        sink.start();
      }

      @Override
      public boolean stop(Duration timeout) {
        return sink.close(timeout);
      }

      @Override
      public Optional<Throwable> failure() {
        return sink.state() == SinkState.FAILED
            ? Optional.ofNullable(sink.failure())
            : Optional.empty();
      }
    };
  }

  public static Part load(LoadGenerator load) {
    return new Part() {
      @Override
      public String name() {
        return "load generator";
      }

      @Override
      public void start() {
        load.start();
      }

      @Override
      public boolean stop(Duration timeout) {
        return load.stop(timeout);
      }

      @Override
      public Optional<Throwable> failure() {
        return load.failure();
      }
    };
  }
}
