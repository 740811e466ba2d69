package io.livegate.launcher;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.map.IMap;
import io.livegate.core.Addresses;
import io.livegate.testing.BridgeClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Presence across the cluster, with real nodes in one JVM: who registers on one node is seen, joining and leaving, on
 * every node (bridge and REST API); a member that dies takes its entries with it everywhere within seconds.
 */
class PresenceClusterTest {
  private static final String ROOM = "chat.room";
  private static final String PRESENCE = "presence." + ROOM;

  @Test
  void joinsAndLeavesOfOneNodesBrowsersReachEveryNodeOfThree() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode a = cluster.start("bridge,rest");
      GatewayNode b = cluster.start("bridge");
      GatewayNode c = cluster.start("bridge,rest");
      List<BridgeClient> listeners = List.of(cluster.connect(a), cluster.connect(b), cluster.connect(c));
      for (BridgeClient listener : listeners) listener.subscribe(PRESENCE);

      BridgeClient bea = cluster.connect(b);
      bea.writeAsync(register(ROOM, "Bea"));
      for (BridgeClient listener : listeners) {
        JsonObject joined = event(listener);
        assertEquals("join", joined.getString("action"), joined.encode());
        assertEquals("Bea", joined.getJsonObject("member").getString("name"));
      }
      JsonObject listed = cluster.get(c, "/api/presence/" + ROOM).bodyAsJsonObject();
      assertEquals(1, listed.getInteger("count"), listed.encode());
      assertEquals("Bea", listed.getJsonArray("members").getJsonObject(0).getString("name"));
      assertEquals(1, ask(listeners.get(0), ROOM).getInteger("count"), "A's bridge lists who is on B");

      bea.close();
      for (BridgeClient listener : listeners) {
        JsonObject left = event(listener);
        assertEquals("leave", left.getString("action"), left.encode());
        assertEquals(0, left.getInteger("count"));
      }
      assertEquals(0, cluster.get(a, "/api/presence/" + ROOM).bodyAsJsonObject().getInteger("count"));
    }
  }

  @Test
  void theEntriesOfAMemberThatDiesLeaveEveryNodeWithinFiveSeconds() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode a = cluster.start("bridge,rest");
      GatewayNode b = cluster.start("bridge");
      BridgeClient listener = cluster.connect(a);
      listener.subscribe(PRESENCE);
      Set<String> joined = new HashSet<>();
      for (int i = 0; i < 20; i++) cluster.connect(b).writeAsync(register(ROOM, "b-" + i));
      while (joined.size() < 20) joined.add(member(event(listener), "join"));
      IMap<String, Object> entries = TestCluster.hazelcast(a).getMap(Addresses.PRESENCE_MAP);
      assertEquals(20, entries.size());

      long crashedAt = System.nanoTime();
      cluster.crash(b);
      Set<String> left = new HashSet<>();
      while (left.size() < 20) left.add(member(event(listener), "leave"));
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - crashedAt);
      assertEquals(joined, left, "each of B's browsers left, once");
      assertTrue(tookMs < 5000, "all 20 left within 5 s of B's death: " + tookMs + " ms");
      assertEquals(0, ask(listener, ROOM).getInteger("count"));
      eventually("the oldest member removed B's entries from the map", 10, entries::isEmpty);
      System.out.println("presence: 20 entries of a dead member left in " + tookMs + " ms");
    }
  }

  @Test
  void aStormOfRegistersReachesTheClusterInBatchesAndEveryNodeListsEachOnce() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode a = cluster.start("bridge,rest");
      GatewayNode b = cluster.start("bridge,rest");
      List<BridgeClient> storm = new ArrayList<>();
      for (int i = 0; i < 40; i++) storm.add(cluster.connect(a));
      for (int i = 0; i < storm.size(); i++) {
        for (int k = 0; k < 25; k++) storm.get(i).writeAsync(register("chat.storm." + k, "s" + i));
      }
      for (BridgeClient client : storm) client.awaitHandled();
      eventually("B lists the 40 on each of the 25 rooms", 20, () -> {
        for (int k = 0; k < 25; k++) {
          if (listed(cluster, b, "chat.storm." + k) != 40) return false;
        }
        return true;
      });
      double batches = PrometheusText.value(cluster.get(a, "/metrics").bodyAsString(), "livegate_presence_batches_total");
      assertTrue(batches < 1000 / 4.0, "1,000 joins in " + batches + " batches");
      for (BridgeClient client : storm) client.close();
      eventually("B lists none once they closed", 20, () -> listed(cluster, b, "chat.storm.0") == 0);
      System.out.println("presence: 1,000 joins in " + batches + " batches");
    }
  }

  @Test
  void theRestApiListsOnlyWhatKeepsPresenceAndRefusesBadAddresses() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode a = cluster.start("bridge,rest");
      assertEquals(404, cluster.get(a, "/api/presence/public.news").statusCode(), "keeps no presence");
      assertEquals(400, cluster.get(a, "/api/presence/" + "x".repeat(300)).statusCode());
      assertEquals(400, cluster.get(a, "/api/presence/chat.a%20b").statusCode());
      assertEquals(403, cluster.get(a, "/api/presence/gateway.internal.x").statusCode());
      assertEquals(403, cluster.post(a, "/api/publish/" + PRESENCE, "{\"action\":\"join\"}").statusCode(),
          "nobody publishes who is there but the nodes");
      JsonObject empty = cluster.get(a, "/api/presence/" + ROOM).bodyAsJsonObject();
      assertEquals(new JsonObject().put("address", ROOM).put("count", 0).put("members", new JsonArray()).put("more", false),
          empty);
    }
  }

  /** How many GET /api/presence/{address} on {@code node} lists. */
  private static int listed(TestCluster cluster, GatewayNode node, String address) {
    try {
      return cluster.get(node, "/api/presence/" + address).bodyAsJsonObject().getInteger("count");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static JsonObject register(String address, String name) {
    return new JsonObject().put("type", "register").put("address", address)
        .put("headers", new JsonObject().put("name", name));
  }

  /** The next presence event a listener hears (others are skipped). */
  private static JsonObject event(BridgeClient listener) {
    return listener.next(frame -> PRESENCE.equals(frame.getString("address")), 10).getJsonObject("body");
  }

  private static String member(JsonObject event, String action) {
    assertEquals(action, event.getString("action"), event.encode());
    return event.getJsonObject("member").getString("id");
  }

  private static JsonObject ask(BridgeClient client, String address) {
    String reply = "presence-" + System.nanoTime() % 1_000_000;
    client.writeAsync(new JsonObject().put("type", "send").put("address", "presence." + address).put("replyAddress", reply));
    return client.next(frame -> reply.equals(frame.getString("address")), 10).getJsonObject("body");
  }
}
