package io.livegate.launcher;

import static io.livegate.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.testing.BridgeClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * {@code --min-cluster-size}: a node that sees fewer members runs no simulator, answers {@code /ready} 503 with that
 * reason, closes its browsers with 1012 and refuses new ones; once enough members are there again, it serves again,
 * without a restart. (The hang and the split themselves: ops/HungNodeIT, on nodes from the jar.)
 */
class MinoritySideTest {

  @Test
  void belowTheMinimumANodeStopsServingAndServesAgainOnceMembersJoin() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode a = cluster.start("bridge,rest,simulator", "--min-cluster-size", "2");
      HttpResponse<Buffer> alone = cluster.get(a, "/ready");
      assertEquals(503, alone.statusCode(), "alone, below its minimum of two");
      assertTrue(alone.bodyAsString().contains("--min-cluster-size"), alone.bodyAsString());
      assertEquals(0, simulatorActive(cluster, a));

      GatewayNode b = cluster.start("bridge,rest", "--min-cluster-size", "2");
      eventually("A ready with two members", 10, () -> status(cluster, a) == 200);
      eventually("A runs the simulator", 10, () -> simulatorActive(cluster, a) == 1);
      BridgeClient onA = cluster.connect(a);
      onA.subscribe("events.updates");
      assertTrue(onA.poll("events.updates", 5000) != null, "scores flow");

      cluster.stop(b);

      eventually("A's browser sent elsewhere", 10, onA::isClosed);
      assertEquals((short) 1012, onA.closeStatusCode());
      assertEquals("node cut off from the cluster, reconnect", onA.closeReason());
      assertEquals(503, status(cluster, a));
      assertThrows(Exception.class, () -> cluster.connect(a), "new browsers refused while below the minimum");
      eventually("A's simulator stood down", 10, () -> simulatorActive(cluster, a) == 0);
      assertEquals(1, cluster.clusterNodeIds(a).size());

      cluster.start("bridge,rest", "--min-cluster-size", "2");
      eventually("A ready again", 10, () -> status(cluster, a) == 200);
      BridgeClient again = cluster.connect(a);
      again.subscribe("events.updates");
      assertTrue(again.poll("events.updates", 10_000) != null, "scores flow again, from A's simulator");
      assertEquals(1, simulatorActive(cluster, a));
    }
  }

  private static int status(TestCluster cluster, GatewayNode node) {
    try {
      return cluster.get(node, "/ready").statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private static int simulatorActive(TestCluster cluster, GatewayNode node) {
    try {
      return cluster.get(node, "/metrics").bodyAsString().lines()
          .filter(l -> l.startsWith("livegate_simulator_active")).mapToInt(l -> l.trim().endsWith(" 1.0") ? 1 : 0)
          .findFirst().orElse(-1);
    } catch (Exception e) {
      return -1;
    }
  }
}
