package io.livegate.launcher.ops;

import static io.livegate.testing.FreePorts.freePort;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;

/** A node started from the built jar as a process of its own, on loopback, its output in a log file. */
final class JarNode implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final String name;
  final int bridgePort;
  final int apiPort;
  final int clusterPort;
  final Path log;
  private final Process process;
  private volatile String id;

  private JarNode(String name, int bridgePort, int apiPort, int clusterPort, Path log, Process process) {
    this.name = name;
    this.bridgePort = bridgePort;
    this.apiPort = apiPort;
    this.clusterPort = clusterPort;
    this.log = log;
    this.process = process;
  }

  /**
   * Starts a node with every role that joins {@code members}, with these settings besides ({@code --flag value}, ...);
   * returns once it answers {@code /ready}.
   */
  static JarNode start(Path jar, Path logDir, String name, String clusterName, int clusterPort, List<String> members,
      List<String> settings) throws Exception {
    JarNode node = launch(jar, logDir, name, clusterName, clusterPort, members, settings);
    try {
      node.awaitReady(60);
    } catch (Exception | AssertionError e) {
      node.close();
      throw e;
    }
    return node;
  }

  /** Starts a node as {@link #start} does, without waiting for anything. */
  /** The node jar the integration-test phase built; the test is skipped outside that phase. */
  static Path jarUnderTest() {
    String jarProperty = System.getProperty("livegate.jar");
    Assumptions.assumeTrue(jarProperty != null, "runs in the integration-test phase, against the built jar");
    Path jar = Path.of(jarProperty);
    if (!Files.isRegularFile(jar)) throw new AssertionError("the node jar is built: " + jar);
    return jar;
  }

  static JarNode launch(Path jar, Path logDir, String name, String clusterName, int clusterPort, List<String> members,
      List<String> settings) throws Exception {
    int bridgePort = freePort();
    int apiPort = freePort();
    Path log = logDir.resolve(name + ".log");
    Files.createDirectories(logDir);
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx192m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
        "--http-host", "127.0.0.1", "--bridge-port", String.valueOf(bridgePort), "--api-port", String.valueOf(apiPort),
        "--cluster-host", "127.0.0.1", "--cluster-port", String.valueOf(clusterPort),
        "--members", String.join(",", members), "--cluster-name", clusterName));
    command.addAll(settings);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new JarNode(name, bridgePort, apiPort, clusterPort, log, process);
  }

  long pid() {
    return process.pid();
  }

  /** kill -9. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** SIGSTOP: the process hangs, as in a long GC pause, until {@link #resume()}. */
  void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** SIGCONT. */
  void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String name) throws IOException, InterruptedException {
    if (!process.isAlive()) return;
    int exit = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start().waitFor();
    if (exit != 0) throw new AssertionError("kill -" + name + " " + process.pid() + " exited " + exit);
  }

  /**
   * Stops every node a test started: resumed if hung, SIGTERM, and kill -9 for one still there after 20 s. Only these
   * processes, by their PIDs.
   */
  static void stopAll(List<JarNode> nodes) throws Exception {
    for (JarNode node : nodes) node.resume();
    for (JarNode node : nodes) node.terminate();
    for (JarNode node : nodes) {
      try {
        node.awaitExit(20);
      } catch (AssertionError lingering) {
        // killed by close()
      } finally {
        node.close();
      }
    }
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

  String metrics() throws IOException, InterruptedException {
    return get("/metrics").body();
  }

  JsonArray clusterNodes() throws IOException, InterruptedException {
    return new JsonArray(get("/api/cluster/nodes").body());
  }

  /** Its id in the cluster, as {@code /api/cluster/nodes} and the bridge's {@code bridge.ping} name it. */
  String id() throws IOException, InterruptedException {
    if (id == null) {
      id = clusterNodes().stream().map(JsonObject.class::cast).filter(n -> n.getBoolean("self"))
          .findFirst().orElseThrow().getString("id");
    }
    return id;
  }

  /** The ids this node lists in {@code /api/cluster/nodes}, or none if it does not answer. */
  Set<String> listedIds() {
    try {
      return clusterNodes().stream().map(n -> ((JsonObject) n).getString("id")).collect(Collectors.toSet());
    } catch (Exception e) {
      return Set.of();
    }
  }

  /** The connections this node reports for the node {@code id}, or -1. */
  long connectionsOf(String id) {
    try {
      return clusterNodes().stream().map(JsonObject.class::cast).filter(n -> id.equals(n.getString("id")))
          .findFirst().map(n -> n.getLong("connections", -1L)).orElse(-1L);
    } catch (Exception e) {
      return -1;
    }
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + apiPort + path);
  }

  /** Returns once {@code /ready} answers 200; fails if it does not within {@code seconds}. */
  void awaitReady(int seconds) throws Exception {
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

  /** Whether {@code /health} answers at all: the process has deployed its REST API (ready or not). */
  boolean answers() {
    try {
      get("/health");
      return true;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** The id this node gives itself in {@code /api/cluster/nodes} now (it changes after a merge), or null. */
  String currentId() {
    try {
      return clusterNodes().stream().map(JsonObject.class::cast).filter(n -> n.getBoolean("self"))
          .findFirst().map(n -> n.getString("id")).orElse(null);
    } catch (Exception e) {
      return null;
    }
  }

  /** Whether this node's simulator is the active one ({@code livegate_simulator_active}). */
  boolean simulatorActive() {
    try {
      return metrics().lines().anyMatch(l -> l.startsWith("livegate_simulator_active") && l.trim().endsWith(" 1.0"));
    } catch (Exception e) {
      return false;
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) process.destroyForcibly().waitFor();
  }
}
