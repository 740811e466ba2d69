package io.livegate.launcher.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assumptions;

/**
 * The cluster the ops tests run: nodes started from the built jar ({@code livegate.jar} names it), each a process
 * of its own on loopback, in a cluster of their own, behind nginx; stops every process it started.
 */
final class OpsCluster implements AutoCloseable {
  final Nginx nginx;
  private final Path jar;
  private final Path workDir;
  private final String clusterName;
  private final List<JarNode> started;

  private OpsCluster(Path jar, Path workDir, String clusterName, List<JarNode> started, Nginx nginx) {
    this.jar = jar;
    this.workDir = workDir;
    this.clusterName = clusterName;
    this.started = started;
    this.nginx = nginx;
  }

  /**
   * Starts {@code names.size()} nodes, the first alone (the oldest: the active simulator), then the others together,
   * and nginx in front of them. Skipped outside the integration-test phase, where there is no jar.
   */
  static OpsCluster start(Path workDir, List<String> names) throws Exception {
    String jarProperty = System.getProperty("livegate.jar");
    Assumptions.assumeTrue(jarProperty != null, "runs in the integration-test phase, against the built jar");
    Path jar = Path.of(jarProperty);
    assertTrue(Files.isRegularFile(jar), "the node jar is built: " + jar);
    assertTrue(Files.isExecutable(Nginx.BINARY),
        "these tests need Debian's nginx at /usr/sbin/nginx: scripts/test.sh installs it (apt-get install -y nginx)");
    String clusterName = "ops-it-" + UUID.randomUUID();
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) ports.add(Ports.free());
    List<String> members = ports.stream().map(p -> "127.0.0.1:" + p).toList();
    List<JarNode> started = new ArrayList<>();
    try {
      started.add(JarNode.start(jar, workDir, names.get(0), clusterName, ports.get(0), members));
      List<CompletableFuture<JarNode>> joining = new ArrayList<>();
      for (int i = 1; i < names.size(); i++) {
        int index = i;
        joining.add(CompletableFuture.supplyAsync(() -> startUnchecked(jar, workDir, names.get(index), clusterName,
            ports.get(index), members)));
      }
      Exception failed = null;
      for (CompletableFuture<JarNode> node : joining) {
        try {
          started.add(node.get(90, TimeUnit.SECONDS));
        } catch (ExecutionException | TimeoutException e) {
          failed = failed == null ? e : failed;
        }
      }
      if (failed != null) throw failed;
      Nginx nginx = Nginx.start(workDir.resolve("nginx"), started.stream().map(n -> n.bridgePort).toList());
      return new OpsCluster(jar, workDir, clusterName, started, nginx);
    } catch (Exception | AssertionError e) {
      for (JarNode node : started) node.close();
      throw e;
    }
  }

  /** The nodes started so far, in order, whether they still run or not. */
  List<JarNode> started() {
    synchronized (started) {
      return List.copyOf(started);
    }
  }

  /** The nodes whose process still runs. */
  List<JarNode> live() {
    return started().stream().filter(JarNode::isAlive).toList();
  }

  /** A new node that joins the live ones (it does not yet get browsers: {@link #routeTo}). */
  JarNode add(String name) throws Exception {
    int port = Ports.free();
    List<String> members = new ArrayList<>(live().stream().map(n -> "127.0.0.1:" + n.clusterPort).toList());
    members.add("127.0.0.1:" + port);
    JarNode node = JarNode.start(jar, workDir, name, clusterName, port, members);
    synchronized (started) {
      started.add(node);
    }
    return node;
  }

  /** Points nginx at these nodes' bridges, as an operator does: a new configuration and a reload. */
  void routeTo(List<JarNode> nodes) throws Exception {
    nginx.reload(nodes.stream().map(n -> n.bridgePort).toList());
  }

  /** nginx, then every node: SIGTERM (each leaves the cluster cleanly), SIGKILL for one that lingers. */
  @Override
  public void close() throws Exception {
    nginx.close();
    List<JarNode> nodes = started();
    for (JarNode node : nodes) node.terminate();
    for (JarNode node : nodes) {
      try {
        node.awaitExit(20);
      } finally {
        node.close();
      }
    }
  }

  private static JarNode startUnchecked(Path jar, Path workDir, String name, String clusterName, int port,
      List<String> members) {
    try {
      return JarNode.start(jar, workDir, name, clusterName, port, members);
    } catch (Exception e) {
      throw new IllegalStateException(name + " did not start", e);
    }
  }
}
