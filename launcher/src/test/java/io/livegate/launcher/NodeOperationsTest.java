package io.livegate.launcher;

import static io.livegate.launcher.PrometheusText.delta;
import static io.livegate.launcher.PrometheusText.value;
import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.testing.BridgeClient;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What an operator sees and does on real clustered nodes in this JVM: /metrics, and drain through the API. */
class NodeOperationsTest {

  @Test
  void metricsMoveAsTrafficFlows() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode node = cluster.start("bridge,rest,simulator");
      String before = metrics(cluster, node);
      assertEquals(0, value(before, "livegate_bridge_connections"));
      assertEquals(1, value(before, "livegate_cluster_nodes"));
      assertEquals(1, value(before, "livegate_simulator_active"));
      assertTrue(value(before, "jvm_memory_used_bytes", "area=\"heap\"") > 0, "JVM memory");

      BridgeClient browser = cluster.connect(node);
      browser.subscribe("public.ops");
      for (int i = 0; i < 3; i++) {
        assertEquals(202, cluster.post(node, "/api/publish/public.ops", "{\"n\":" + i + "}").statusCode());
      }
      for (int i = 0; i < 3; i++) browser.next(f -> "public.ops".equals(f.getString("address")), 5);
      browser.writeTextAsync("not json");
      browser.next(f -> "err".equals(f.getString("type")), 5);
      browser.writeAsync(new JsonObject().put("type", "register").put("address", "gateway.internal.x"));
      browser.next(f -> "err".equals(f.getString("type")), 5);

      String after = metrics(cluster, node);
      assertEquals(1, value(after, "livegate_bridge_connections"));
      // Frames in counts accepted frames: the refused register is counted under its reason instead.
      assertEquals(1, delta(before, after, "livegate_bridge_frames_in_total", "type=\"register\""));
      assertTrue(delta(before, after, "livegate_bridge_frames_in_total", "type=\"send\"") >= 1, "the ping");
      assertTrue(delta(before, after, "livegate_bridge_frames_out_total", "type=\"rec\"") >= 4,
          "3 publications, 1 pong");
      assertEquals(2, delta(before, after, "livegate_bridge_frames_out_total", "type=\"err\""));
      assertEquals(1, delta(before, after, "livegate_bridge_frames_refused_total", "reason=\"invalid_json\""));
      assertEquals(1, delta(before, after, "livegate_bridge_frames_refused_total", "reason=\"access_denied\""));
      assertEquals(3, delta(before, after, "livegate_messages_published_total", "family=\"public\""));
      assertEquals(3, delta(before, after, "vertx_eventbus_published_total", "address=\"public\""), "one node");
      assertEquals(1, value(after, "vertx_eventbus_handlers", "address=\"public\""), "one consumer for the browsers");
      assertTrue(after.contains("vertx_eventbus_pending{address=\"public\""), "pending by family");
      assertTrue(!after.contains("address=\"public.ops\""), "families, not addresses");
    }
  }

  @Test
  void drainThroughTheApiClosesBridgeConnectionsWith1012HandsTheSimulatorOverAndLeavesTheCluster() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode a = cluster.start("bridge,rest,simulator");
      GatewayNode b = cluster.start("bridge,rest,simulator");
      eventually("B listed by A", 10, () -> ids(cluster, a).size() == 2);
      BridgeClient onA = cluster.connect(a);
      onA.subscribe("events.updates");
      assertEquals(0, value(metrics(cluster, b), "livegate_simulator_active"), "A, the oldest, runs the simulator");

      assertEquals(202, cluster.post(a, "/api/admin/drain", "").statusCode());

      eventually("A's client closed", 10, onA::isClosed);
      assertEquals((short) 1012, onA.closeStatusCode());
      assertEquals("node draining, reconnect", onA.closeReason());
      await(a.drained(), 20);
      eventually("A gone from B's list", 10, () -> ids(cluster, b).equals(List.of(b.nodeId())));
      eventually("B's simulator took over", 10,
          () -> value(metricsOrEmpty(cluster, b), "livegate_simulator_active") == 1);
    }
  }

  private static List<String> ids(TestCluster cluster, GatewayNode node) {
    try {
      return cluster.clusterNodeIds(node);
    } catch (Exception e) {
      return List.of();
    }
  }

  private static String metrics(TestCluster cluster, GatewayNode node) throws Exception {
    return cluster.get(node, "/metrics").bodyAsString();
  }

  private static String metricsOrEmpty(TestCluster cluster, GatewayNode node) {
    try {
      return metrics(cluster, node);
    } catch (Exception e) {
      return "";
    }
  }
}
