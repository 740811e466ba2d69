package io.livegate.launcher.ops;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A node started from the built jar as a process of its own, on loopback, its output in a log file. */
final class JarNode implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final String name;
  final int bridgePort;
  final int apiPort;
  final Path log;
  private final Process process;

  private JarNode(String name, int bridgePort, int apiPort, Path log, Process process) {
    this.name = name;
    this.bridgePort = bridgePort;
    this.apiPort = apiPort;
    this.log = log;
    this.process = process;
  }

  /** Starts a node with every role that joins {@code members}; returns once it answers {@code /ready}. */
  static JarNode start(Path jar, Path logDir, String name, String clusterName, int clusterPort, List<String> members)
      throws Exception {
    int bridgePort = Ports.free();
    int apiPort = Ports.free();
    Path log = logDir.resolve(name + ".log");
    Files.createDirectories(logDir);
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx192m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
        "--http-host", "127.0.0.1", "--bridge-port", String.valueOf(bridgePort), "--api-port", String.valueOf(apiPort),
        "--cluster-host", "127.0.0.1", "--cluster-port", String.valueOf(clusterPort),
        "--members", String.join(",", members), "--cluster-name", clusterName));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    JarNode node = new JarNode(name, bridgePort, apiPort, log, process);
    node.awaitReady(60);
    return node;
  }

  long pid() {
    return process.pid();
  }

  /** kill -9. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** SIGTERM. */
  void terminate() {
    process.destroy();
  }

  /** The exit code, or fails if the process has not exited within {@code seconds}. */
  int awaitExit(int seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      throw new AssertionError(name + " did not exit within " + seconds + " s");
    }
    return process.exitValue();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  String logText() throws IOException {
    return Files.readString(log);
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + apiPort + path);
  }

  private void awaitReady(int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new AssertionError(name + " exited during start-up: " + logText());
      try {
        if (get("/ready").statusCode() == 200) return;
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new AssertionError(name + " not ready within " + seconds + " s: " + logText());
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) process.destroyForcibly().waitFor();
  }
}
