package io.livegate.launcher;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.multimap.MultiMap;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A node's event-bus consumers reach the cluster's subscriptions in batches ({@link ClusterSubscriptions}), in the
 * map and the form Vert.x's stock cluster manager reads: a backend service with the stock manager routes to them.
 */
class ClusterSubscriptionsTest {
  private static final int CONSUMERS = 1000;

  @Test
  void aThousandConsumersMadeAtOnceReachTheClusterInAFewBatchesAndAStockMemberReachesEachOne() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode node = cluster.start("bridge,rest");
      TestCluster.Service service = TestCluster.joinService(node, true);
      try {
        Set<String> reached = ConcurrentHashMap.newKeySet();
        List<MessageConsumer<Object>> consumers = consumeAtOnce(node, "private.a.", CONSUMERS, reached);
        long batches = batches(cluster, node);
        assertTrue(batches <= CONSUMERS / 10, CONSUMERS + " consumers took " + batches + " writes");

        MultiMap<String, Object> subscriptions = service.hazelcast().getMultiMap(GatewayClusterManager.SUBSCRIPTIONS_MAP);
        assertTrue(subscriptions.get("private.a.7").iterator().next() instanceof HazelcastRegistrationInfo,
            "the entries are of the type the stock cluster manager reads");
        eventually("a publication from the stock member reaches every consumer", 30, () -> {
          for (int i = 0; i < CONSUMERS; i++) {
            if (!reached.contains("private.a." + i)) service.vertx().eventBus().publish("private.a." + i, "hello");
          }
          return reached.size() == CONSUMERS;
        });
        unregisterAll(consumers);
      } finally {
        service.close();
      }
    }
  }

  @Test
  void consumersMadeWhileMembersJoinAllReachTheCluster() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode node = cluster.start("bridge,rest");
      List<MessageConsumer<Object>> consumers = new CopyOnWriteArrayList<>();
      // Made on one context, and stopped on it: no tick is under way when the ones made are counted.
      Context making = node.vertx().getOrCreateContext();
      Promise<Long> timer = Promise.promise();
      making.runOnContext(v -> timer.complete(node.vertx().setPeriodic(5, id -> { // 20 every 5 ms while two members join
        for (int i = 0; i < 20; i++) consumers.add(node.vertx().eventBus().consumer("private.e." + consumers.size(), m -> { }));
      })));
      long periodic = await(timer.future());
      Promise<List<MessageConsumer<Object>>> stopped = Promise.promise();
      try {
        cluster.start("bridge");
        cluster.start("bridge");
      } finally {
        making.runOnContext(v -> {
          node.vertx().cancelTimer(periodic);
          stopped.complete(List.copyOf(consumers));
        });
      }
      List<MessageConsumer<Object>> made = await(stopped.future());
      await(Future.all(made.stream().map(MessageConsumer::completion).toList()), 90);
      TestCluster.Service service = TestCluster.joinService(node, true);
      try {
        MultiMap<String, Object> subscriptions = service.hazelcast().getMultiMap(GatewayClusterManager.SUBSCRIPTIONS_MAP);
        assertEquals(made.size(), subscriptions.keySet().stream().filter(a -> a.startsWith("private.e.")).count(),
            "the consumers in the cluster's subscriptions");
        System.out.println(made.size() + " consumers made while two members joined, "
            + metric(cluster, node, "livegate_cluster_subscription_retries_total") + " batches sent again");
      } finally {
        service.close();
      }
    }
  }

  @Test
  void consumersUnregisteredAtOnceOrBeforeTheyReachedTheClusterLeaveNoEntry() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode node = cluster.start("bridge,rest");
      TestCluster.Service service = TestCluster.joinService(node, true);
      try {
        MultiMap<String, Object> subscriptions = service.hazelcast().getMultiMap(GatewayClusterManager.SUBSCRIPTIONS_MAP);
        unregisterAll(consumeAtOnce(node, "private.b.", 500, ConcurrentHashMap.newKeySet()));
        // made and dropped at once: most of these meet their removal in one batch and never reach the cluster
        Promise<List<Future<Void>>> dropped = Promise.promise();
        node.vertx().getOrCreateContext().runOnContext(v -> {
          List<Future<Void>> removals = new ArrayList<>();
          for (int i = 0; i < 500; i++) removals.add(node.vertx().eventBus().consumer("private.c." + i, m -> { }).unregister());
          dropped.complete(removals);
        });
        await(Future.all(await(dropped.future(), 10)), 30);

        long left = subscriptions.keySet().stream().filter(a -> a.startsWith("private.b.") || a.startsWith("private.c.")).count();
        assertEquals(0, left, "entries left in the cluster's subscriptions");
      } finally {
        service.close();
      }
    }
  }

  @Test
  void aNodeWritesItsConsumersAgainWhenAMemberLeaves() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode node = cluster.start("bridge,rest");
      TestCluster.Service service = TestCluster.joinService(node, true);
      TestCluster.Service leaving = TestCluster.joinService(node, true);
      try {
        List<MessageConsumer<Object>> consumers = consumeAtOnce(node, "private.d.", 200, ConcurrentHashMap.newKeySet());
        MultiMap<String, Object> subscriptions = service.hazelcast().getMultiMap(GatewayClusterManager.SUBSCRIPTIONS_MAP);
        for (int i = 0; i < 200; i++) subscriptions.remove("private.d." + i); // as if both copies of them were lost

        leaving.close();
        eventually("the node's 200 consumers written again", 30,
            () -> subscriptions.keySet().stream().filter(a -> a.startsWith("private.d.")).count() == 200);
        unregisterAll(consumers);
      } finally {
        service.close();
      }
    }
  }

  /** {@code count} consumers on {@code prefix + i}, made in one go on the node's Vert.x, once the cluster has them all. */
  private static List<MessageConsumer<Object>> consumeAtOnce(GatewayNode node, String prefix, int count,
      Set<String> reached) throws Exception {
    Promise<List<MessageConsumer<Object>>> made = Promise.promise();
    node.vertx().getOrCreateContext().runOnContext(v -> {
      List<MessageConsumer<Object>> consumers = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String address = prefix + i;
        consumers.add(node.vertx().eventBus().consumer(address, message -> reached.add(address)));
      }
      made.complete(consumers);
    });
    List<MessageConsumer<Object>> consumers = await(made.future(), 10);
    await(Future.all(consumers.stream().map(MessageConsumer::completion).toList()), 30);
    return consumers;
  }

  private static void unregisterAll(List<MessageConsumer<Object>> consumers) throws Exception {
    await(Future.all(consumers.stream().map(MessageConsumer::unregister).toList()), 30);
  }

  private static long batches(TestCluster cluster, GatewayNode node) throws Exception {
    return metric(cluster, node, "livegate_cluster_subscription_batches_total");
  }

  private static long metric(TestCluster cluster, GatewayNode node, String name) throws Exception {
    String metrics = cluster.get(node, "/metrics").bodyAsString();
    return metrics.lines().filter(l -> l.startsWith(name + " "))
        .map(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " in /metrics"));
  }
}
