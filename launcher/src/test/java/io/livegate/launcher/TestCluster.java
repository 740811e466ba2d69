package io.livegate.launcher;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.eventually;
import static io.livegate.testing.FreePorts.freePort;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import io.livegate.core.NodeSettings;
import io.livegate.testing.BridgeClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Real clustered nodes in this JVM, on loopback and free ports, in a cluster of their own (a unique
 * name, an explicit member list), plus a client Vert.x for HTTP and WebSocket clients.
 */
final class TestCluster implements AutoCloseable {
  final String name = "test-" + UUID.randomUUID();
  final Vertx clientVertx = Vertx.vertx();
  final WebClient http = WebClient.create(clientVertx);
  private final List<GatewayNode> nodes = new CopyOnWriteArrayList<>();
  private final List<String> memberList = new ArrayList<>();
  private final List<BridgeClient> clients = new CopyOnWriteArrayList<>();

  /** Starts a node with these roles (and extra flags) that joins the nodes started before it. */
  GatewayNode start(String roles, String... extraArgs) throws Exception {
    int clusterPort = freePort();
    memberList.add("127.0.0.1:" + clusterPort);
    List<String> args = new ArrayList<>(List.of(
        "--roles", roles,
        "--http-host", "127.0.0.1",
        "--bridge-port", String.valueOf(freePort()),
        "--api-port", String.valueOf(freePort()),
        "--cluster-host", "127.0.0.1",
        "--cluster-port", String.valueOf(clusterPort),
        "--members", String.join(",", memberList),
        "--cluster-name", name,
        "--simulator-min-ms", "200",
        "--simulator-max-ms", "600",
        // Most tests want a node at once; WarmUpTest turns it on.
        "--warm-up", "false"));
    args.addAll(List.of(extraArgs));
    // A warm-up over TLS took 50 s with another process busy on one of the two cores.
    GatewayNode node = await(GatewayNode.start(NodeSettings.parse(args.toArray(String[]::new), Map.of()).config()), 120);
    nodes.add(node);
    return node;
  }

  /** A member started elsewhere (another process) that later nodes should join. */
  void addMember(String hostAndPort) {
    memberList.add(hostAndPort);
  }

  BridgeClient connect(GatewayNode node) throws Exception {
    BridgeClient client = await(BridgeClient.open(clientVertx, node.config().bridgePort()), 10).keepAlive(5000);
    clients.add(client);
    return client;
  }

  /**
   * Publishes probes on {@code address} through {@code node}'s REST API until each client has one, then lets the
   * late probes pass. A browser's registration reaches the other nodes' view of the subscriptions a moment after
   * its bridge has taken it (the pong of {@link BridgeClient#register} does not wait for that).
   */
  void awaitDelivery(GatewayNode node, String address, BridgeClient... clients) throws Exception {
    for (BridgeClient client : clients) {
      eventually(address + " reaches a client from " + node.nodeId(), 10, () -> {
        try {
          post(node, "/api/publish/" + address, "{\"probe\":true}");
          return client.poll(address, 200) != null;
        } catch (Exception e) {
          return false;
        }
      });
    }
    for (BridgeClient client : clients) {
      while (client.poll(address, 300) != null) {
        // a probe published before the first one arrived
      }
    }
  }

  /** A backend service: a clustered Vert.x with the stock cluster manager and the node's cluster settings, but none of a node's member attributes. */
  record Service(Vertx vertx, HazelcastInstance hazelcast) {
    void close() throws Exception {
      await(vertx.close(), 30);
    }
  }

  static Service joinService(GatewayNode node, boolean liteMember) throws Exception {
    Config config = HazelcastSetup.build(node.config(), System.currentTimeMillis());
    config.getMemberAttributeConfig().setAttributes(new HashMap<>());
    config.setLiteMember(liteMember);
    HazelcastClusterManager manager = new HazelcastClusterManager(config);
    Vertx vertx = await(Vertx.builder().withClusterManager(manager).buildClustered(), 60);
    return new Service(vertx, manager.getHazelcastInstance());
  }

  HttpResponse<Buffer> post(GatewayNode node, String path, String body) throws Exception {
    return await(http.post(node.config().apiPort(), "127.0.0.1", path).sendBuffer(Buffer.buffer(body)), 15);
  }

  HttpResponse<Buffer> get(GatewayNode node, String path) throws Exception {
    return await(http.get(node.config().apiPort(), "127.0.0.1", path).send(), 15);
  }

  JsonArray clusterNodes(GatewayNode node) throws Exception {
    return get(node, "/api/cluster/nodes").bodyAsJsonArray();
  }

  List<String> clusterNodeIds(GatewayNode node) throws Exception {
    return clusterNodes(node).stream().map(o -> ((JsonObject) o).getString("id")).toList();
  }

  /** The Hazelcast member under a node (tests read the cluster's structures through it). */
  static HazelcastInstance hazelcast(GatewayNode node) {
    return ((HazelcastClusterManager) ((VertxInternal) node.vertx()).clusterManager()).getHazelcastInstance();
  }

  /**
   * The node's member dies as a killed process's would, without leaving: the others lose its connections at once
   * and drop it. Its Vert.x is closed after (its browsers' sockets with it).
   */
  void crash(GatewayNode node) throws Exception {
    nodes.remove(node);
    hazelcast(node).getLifecycleService().terminate();
    await(node.vertx().close().recover(e -> Future.succeededFuture()), 30);
  }

  void stop(GatewayNode node) throws Exception {
    nodes.remove(node);
    await(node.close(), 30);
  }

  @Override
  public void close() throws Exception {
    for (BridgeClient client : clients) client.close();
    List<Future<Void>> closing = nodes.stream().map(GatewayNode::close).toList();
    await(Future.join(closing), 60);
    await(clientVertx.close(), 10);
  }
}
