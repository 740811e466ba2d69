package io.livegate.launcher;

import static io.livegate.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.internal.util.ConcurrencyUtil;
import io.livegate.testing.BridgeClient;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

/**
 * Hazelcast's callbacks run on the node's pool ({@link HazelcastAnswers}), not on a thread started for each, as
 * Hazelcast's default does on two cores. Every path that waits on a Hazelcast future is walked: history appends and
 * a recovery's read, presence joins and leaves, the subscriptions' batches, and the simulator's ledger; the JVM starts
 * a handful of threads for all of it, not one for each of its hundreds of callbacks.
 */
class HazelcastAnswersTest {
  private static final int PUBLICATIONS = 300;

  @Test
  void theClustersAnswersRunOnTheNodesPoolAndStartNoThreadEach() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode a = cluster.start("bridge,rest,simulator");
      GatewayNode b = cluster.start("bridge,rest");
      assertSame(HazelcastAnswers.pool(), ConcurrencyUtil.getDefaultAsyncExecutor(),
          "Hazelcast's default executor is the node's pool (an upgrade of Hazelcast changed ConcurrencyUtil?)");

      BridgeClient present = cluster.connect(b); // presence, history and a subscription batch on B
      present.write(new JsonObject().put("type", "register").put("address", "chat.answers")
          .put("headers", new JsonObject().put("name", "ada")));
      present.awaitHandled();
      cluster.awaitDelivery(a, "chat.answers", present);
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long startedBefore = threads.getTotalStartedThreadCount();
      JsonObject headers = null;
      for (int i = 0; i < PUBLICATIONS; i++) { // one at a time: each append a batch of its own, with its callbacks
        int n = i;
        cluster.post(a, "/api/publish/chat.answers", "{\"n\":" + n + "}");
        JsonObject delivered = present.next(f -> "chat.answers".equals(f.getString("address"))
            && f.getJsonObject("body").getInteger("n", -1) == n, 10);
        if (headers == null) headers = delivered.getJsonObject("headers");
      }

      BridgeClient recovering = cluster.connect(a); // a recovery's read, from the other node
      recovering.write(new JsonObject().put("type", "register").put("address", "chat.answers")
          .put("headers", new JsonObject().put("since", headers.getString("offset")).put("epoch", headers.getString("epoch"))));
      JsonObject replayed = recovering.next(f -> "chat.answers".equals(f.getString("address")), 10);
      assertEquals(Long.parseLong(headers.getString("offset")) + 1,
          Long.parseLong(replayed.getJsonObject("headers").getString("offset")));

      eventually("B lists ada", 10, () -> lists(cluster, b, "ada"));
      present.close(); // her leave and her subscription's removal
      eventually("A no longer lists ada", 10, () -> !lists(cluster, a, "ada"));

      BridgeClient scores = cluster.connect(b); // the simulator's ticks: a ledger step each
      scores.subscribe("events.updates");
      for (int i = 0; i < 3; i++) scores.next(f -> "events.updates".equals(f.getString("address")), 10);

      long started = threads.getTotalStartedThreadCount() - startedBefore;
      // Hundreds of callbacks; the threads a few clients, their connections and worker pools start are a few dozen.
      assertTrue(started < PUBLICATIONS / 5, PUBLICATIONS + " appends and the rest started " + started + " threads");
      System.out.println("threads started meanwhile: " + started);
    }
  }

  private static boolean lists(TestCluster cluster, GatewayNode node, String name) {
    try {
      return cluster.get(node, "/api/presence/chat.answers").bodyAsJsonObject().getJsonArray("members").stream()
          .anyMatch(member -> name.equals(((JsonObject) member).getString("name")));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
