package io.livegate.launcher.ops;

import static io.livegate.testing.Await.eventually;
import static io.livegate.testing.FreePorts.freePort;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.PartitionService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The cluster the ops tests run: nodes started from the built jar ({@code livegate.jar} names it), each a process
 * of its own on loopback, in a cluster of their own, behind nginx; stops every process it started.
 */
final class OpsCluster implements AutoCloseable {
  final Nginx nginx;
  private final Path jar;
  private final Path workDir;
  private final String clusterName;
  private final List<String> settings;
  private final List<JarNode> started;

  private OpsCluster(Path jar, Path workDir, String clusterName, List<String> settings, List<JarNode> started,
      Nginx nginx) {
    this.jar = jar;
    this.workDir = workDir;
    this.clusterName = clusterName;
    this.settings = settings;
    this.started = started;
    this.nginx = nginx;
  }

  /**
   * Starts {@code names.size()} nodes, the first alone (the oldest: the active simulator), then the others together,
   * and nginx in front of them; every node, and each one added later, with these settings besides the defaults.
   * Skipped outside the integration-test phase, where there is no jar.
   */
  static OpsCluster start(Path workDir, List<String> names, List<String> settings) throws Exception {
    Path jar = JarNode.jarUnderTest();
    assertTrue(Files.isExecutable(Nginx.BINARY),
        "these tests need Debian's nginx at /usr/sbin/nginx: scripts/test.sh installs it (apt-get install -y nginx)");
    String clusterName = "ops-it-" + UUID.randomUUID();
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) ports.add(freePort());
    List<String> members = ports.stream().map(p -> "127.0.0.1:" + p).toList();
    List<JarNode> started = new ArrayList<>();
    try {
      started.add(JarNode.start(jar, workDir, names.get(0), clusterName, ports.get(0), members, settings));
      List<CompletableFuture<JarNode>> joining = new ArrayList<>();
      for (int i = 1; i < names.size(); i++) {
        int index = i;
        joining.add(CompletableFuture.supplyAsync(() -> startUnchecked(jar, workDir, names.get(index), clusterName,
            ports.get(index), members, settings)));
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
      return new OpsCluster(jar, workDir, clusterName, settings, started, nginx);
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
    int port = freePort();
    List<String> members = new ArrayList<>(live().stream().map(n -> "127.0.0.1:" + n.clusterPort).toList());
    members.add("127.0.0.1:" + port);
    JarNode node = JarNode.start(jar, workDir, name, clusterName, port, members, settings);
    synchronized (started) {
      started.add(node);
    }
    return node;
  }

  /** Points nginx at these nodes' bridges, as an operator does: a new configuration and a reload. */
  void routeTo(List<JarNode> nodes) throws Exception {
    nginx.reload(nodes.stream().map(n -> n.bridgePort).toList());
  }

  /**
   * The live node that holds the primary copy of each key's Hazelcast partition (where a map keeps the entry of that
   * key), asked of the cluster by a Hazelcast client, which holds no data and leaves before this returns.
   */
  Map<String, JarNode> partitionOwners(List<String> keys) throws Exception {
    List<JarNode> live = live();
    ClientConfig config = new ClientConfig();
    config.setClusterName(clusterName);
    config.setProperty("hazelcast.logging.type", "jdk");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.getNetworkConfig().setAddresses(live.stream().map(n -> "127.0.0.1:" + n.clusterPort).toList());
    config.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(10_000);
    HazelcastInstance client = HazelcastClient.newHazelcastClient(config);
    try {
      PartitionService partitions = client.getPartitionService();
      // The client learns the partition table shortly after it connects.
      eventually("the client knows every key's partition owner", 10,
          () -> keys.stream().allMatch(key -> partitions.getPartition(key).getOwner() != null));
      Map<String, JarNode> owners = new LinkedHashMap<>();
      for (String key : keys) {
        Member owner = partitions.getPartition(key).getOwner();
        owners.put(key, live.stream().filter(n -> n.clusterPort == owner.getAddress().getPort()).findFirst()
            .orElseThrow(() -> new AssertionError("no live node is " + owner)));
      }
      return owners;
    } finally {
      client.shutdown();
    }
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
      List<String> members, List<String> settings) {
    try {
      return JarNode.start(jar, workDir, name, clusterName, port, members, settings);
    } catch (Exception e) {
      throw new IllegalStateException(name + " did not start", e);
    }
  }
}
