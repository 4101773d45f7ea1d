package dev.carve.cli.verify;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Records spilled to disk as a file per bucket, read back one bucket at a time. */
final class Spill implements AutoCloseable {
  final Path dir;
  final int buckets;
  final DataOutputStream[] out;

  Spill(Path dir, int buckets) throws IOException {
    this.dir = Files.createDirectories(dir);
    this.buckets = buckets;
    this.out = new DataOutputStream[buckets];
  }

  DataOutputStream out(int bucket) throws IOException {
    if (out[bucket] == null) {
      out[bucket] =
          new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file(bucket)), 8192));
    }
    return out[bucket];
  }

  Path file(int bucket) {
    return dir.resolve(Integer.toString(bucket));
  }

  void forEach(int bucket, RecordReader reader) throws IOException {
    Path f = file(bucket);
    if (!Files.exists(f)) {
      return;
    }
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(Files.newInputStream(f), 65536))) {
      while (true) {
        try {
          in.mark(1);
          if (in.read() < 0) {
            return;
          }
          in.reset();
        } catch (EOFException end) {
          return;
        }
        reader.read(in);
      }
    }
  }

  @Override
  public void close() throws IOException {
    for (int i = 0; i < out.length; i++) {
      if (out[i] != null) {
        out[i].close();
        out[i] = null;
      }
    }
  }

  /** Reads one record of a bucket. */
  @FunctionalInterface
  interface RecordReader {
    void read(DataInputStream in) throws IOException;
  }

  static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  static String readString(DataInputStream in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  static void skipString(DataInputStream in) throws IOException {
    in.skipNBytes(in.readInt());
  }
}
