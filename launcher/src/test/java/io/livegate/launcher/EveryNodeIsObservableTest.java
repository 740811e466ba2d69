package io.livegate.launcher;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.eventually;
import static io.livegate.testing.Await.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Whatever its roles, a node answers {@code /health}, {@code /ready} and {@code /metrics} on the port the cluster view
 * names for it, and the cluster view names no port a node does not listen on.
 */
class EveryNodeIsObservableTest {

  @Test
  void bridgeOnlyRestOnlyAndSimulatorOnlyNodesAnswerTheProbesOnThePortsTheClusterListsForThem() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode rest = cluster.start("rest");
      GatewayNode bridge = cluster.start("bridge", "--node-name", "edge-1");
      GatewayNode simulator = cluster.start("simulator");
      eventually("three nodes listed", 15, () -> listed(cluster, rest).size() == 3);
      Map<String, JsonObject> byId = listed(cluster, rest).stream().map(o -> (JsonObject) o)
          .collect(Collectors.toMap(n -> n.getString("id"), n -> n));

      JsonObject r = byId.get(rest.nodeId());
      assertNull(r.getValue("bridgePort"), r.encode());
      assertEquals(rest.config().apiPort(), r.getInteger("apiPort"));
      assertEquals(rest.config().apiPort(), r.getInteger("managementPort"));
      assertEquals("127.0.0.1:" + rest.config().apiPort(), r.getString("name"));

      JsonObject b = byId.get(bridge.nodeId());
      assertEquals(bridge.config().bridgePort(), b.getInteger("bridgePort"));
      assertNull(b.getValue("apiPort"), "a bridge-only node listens on no REST port: " + b.encode());
      assertEquals(bridge.config().bridgePort(), b.getInteger("managementPort"));
      assertEquals("edge-1", b.getString("name"));
      assertEquals("ready", b.getString("state"));

      JsonObject s = byId.get(simulator.nodeId());
      assertNull(s.getValue("bridgePort"));
      assertNull(s.getValue("apiPort"));
      assertEquals(simulator.config().apiPort(), s.getInteger("managementPort"));

      for (JsonObject node : byId.values()) {
        int port = node.getInteger("managementPort");
        HttpResponse<Buffer> health = get(cluster, port, "/health");
        assertEquals(200, health.statusCode(), node.encode());
        assertEquals("UP", health.bodyAsJsonObject().getString("status"));
        HttpResponse<Buffer> ready = get(cluster, port, "/ready");
        assertEquals(200, ready.statusCode(), ready.bodyAsString());
        assertEquals("ready", ready.bodyAsJsonObject().getString("state"));
        HttpResponse<Buffer> metrics = get(cluster, port, "/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.getHeader("Content-Type").startsWith("text/plain"), metrics.getHeader("Content-Type"));
        assertTrue(metrics.bodyAsString().contains("livegate_cluster_nodes 3.0"), "metrics of " + node.encode());
      }
      // The bridge-only node's other port stays closed: nothing was listed there, nothing listens.
      assertRefused(cluster, bridge.config().apiPort());
      // The bridge port still serves the page and refuses what is no probe as before.
      assertEquals(200, get(cluster, bridge.config().bridgePort(), "/").statusCode());
      // The simulator's management port serves the probes only.
      HttpResponse<Buffer> other = get(cluster, simulator.config().apiPort(), "/api/cluster/nodes");
      assertEquals(404, other.statusCode());
      assertEquals(404, other.bodyAsJsonObject().getInteger("status"));
      assertEquals(405, await(cluster.http.post(bridge.config().bridgePort(), "127.0.0.1", "/ready").send(), 15)
          .statusCode());
    }
  }

  private static JsonArray listed(TestCluster cluster, GatewayNode node) {
    try {
      return cluster.clusterNodes(node);
    } catch (Exception e) {
      return new JsonArray();
    }
  }

  private static HttpResponse<Buffer> get(TestCluster cluster, int port, String path) throws Exception {
    return await(cluster.http.get(port, "127.0.0.1", path).send(), 15);
  }

  private static void assertRefused(TestCluster cluster, int port) {
    Throwable refused = failure(cluster.http.get(port, "127.0.0.1", "/health").send(), 15);
    assertTrue(String.valueOf(refused).contains("onnection refused"), "nothing answers on port " + port + ": " + refused);
  }
}
