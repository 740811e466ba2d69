package io.livegate.launcher;

import static io.livegate.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.livegate.testing.BridgeClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterMembershipTest {

  @Test
  void aThirdNodeStartedWhileOthersRunJoinsIsListedEverywhereAndItsClientsReceivePublicationsFromTheFirst()
      throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode a = cluster.start("bridge,rest,simulator");
      GatewayNode b = cluster.start("bridge,rest");
      GatewayNode c = cluster.start("bridge,rest");

      for (GatewayNode node : List.of(a, b, c)) {
        eventually("C listed by " + node.nodeId(), 10,
            () -> ids(cluster, node).contains(c.nodeId()) && ids(cluster, node).size() == 3);
      }
      BridgeClient onC = cluster.connect(c);
      onC.subscribe("public.scores");
      cluster.awaitDelivery(a, "public.scores", onC); // a client of the new node receives what A publishes
      assertEquals(202, cluster.post(a, "/api/publish/public.scores", "{\"x\":1}").statusCode());
      assertNotNull(onC.poll("public.scores", 5000), "and keeps receiving it");

      JsonObject entry = entry(cluster.clusterNodes(a), c.nodeId());
      assertEquals("127.0.0.1", entry.getString("host"));
      assertEquals(c.config().bridgePort(), entry.getInteger("bridgePort"));
      assertEquals(c.config().apiPort(), entry.getInteger("apiPort"));
      assertEquals(new JsonArray().add("bridge").add("rest"), entry.getJsonArray("roles"));
      assertEquals(1, entry.getInteger("connections"), "C holds one bridge connection");
      assertNotNull(entry.getString("startedAt"));
    }
  }

  @Test
  void aNodeThatLeavesDisappearsFromTheList() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode a = cluster.start("rest,simulator");
      GatewayNode b = cluster.start("bridge");
      eventually("B listed", 10, () -> ids(cluster, a).contains(b.nodeId()));
      cluster.stop(b);
      eventually("B gone", 10, () -> ids(cluster, a).equals(List.of(a.nodeId())));
    }
  }

  private static JsonObject entry(JsonArray nodes, String id) {
    return nodes.stream().map(JsonObject.class::cast).filter(n -> id.equals(n.getString("id"))).findFirst()
        .orElseThrow(() -> new AssertionError(id + " not in " + nodes.encode()));
  }

  private static List<String> ids(TestCluster cluster, GatewayNode node) {
    try {
      return cluster.clusterNodeIds(node);
    } catch (Exception e) {
      return List.of();
    }
  }
}
