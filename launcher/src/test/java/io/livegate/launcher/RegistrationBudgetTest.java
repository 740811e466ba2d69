package io.livegate.launcher;

import static io.livegate.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.testing.BridgeClient;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Registrations are cluster state that browsers create: what a hostile client may make of them stays bounded on every
 * node, and a good client's registration takes effect cluster-wide promptly whatever others do within the limits.
 */
class RegistrationBudgetTest {
  private static final String REFUSED = "livegate_bridge_frames_refused_total";
  private TestCluster cluster;
  private final List<Long> churners = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    churners.forEach(timer -> cluster.clientVertx.cancelTimer(timer));
    cluster.close();
  }

  @Test
  void aFreshRegistrationTakesEffectClusterWideWithinASecondWhileOthersChurnAtTheHighestRateAllowed() throws Exception {
    cluster = new TestCluster();
    GatewayNode a = cluster.start("bridge,rest");
    GatewayNode b = cluster.start("bridge,rest");
    AtomicInteger churned = new AtomicInteger();
    for (int i = 0; i < 20; i++) churn(cluster.connect(a), churned);
    BridgeClient good = cluster.connect(a);
    eventually("the churn runs", 10, () -> churned.get() > 4_000);

    List<Long> latencies = new ArrayList<>();
    for (int probe = 0; probe < 10; probe++) latencies.add(registrationLatencyMs(good, b, "public.probe." + probe));

    Collections.sort(latencies);
    System.out.println("registration latencies under churn (ms): " + latencies + ", churn pairs " + churned.get());
    assertTrue(latencies.get(latencies.size() - 1) < 1000, "every registration live within 1 s: " + latencies);
    String metrics = metrics(a);
    assertTrue(PrometheusText.value(metrics, REFUSED, "reason=\"rate_limited\"") > 0, "the churn met the rate limit");
  }

  @Test
  void aStormOfDistinctAddressesStaysWithinTheNodesBudgetOnEveryNodeGivesWayToAPageAndGoesAwayWithItsSockets()
      throws Exception {
    cluster = new TestCluster();
    GatewayNode a = cluster.start("bridge,rest", "--max-addresses", "300");
    GatewayNode b = cluster.start("bridge,rest");
    int baseline = subscriptionEntries(b);
    List<BridgeClient> storm = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      BridgeClient socket = cluster.connect(a);
      storm.add(socket);
      for (int n = 0; n < 64; n++) socket.writeTextAsync(register("public.storm." + i + "." + n));
    }
    // Storm sockets that hold few addresses make those that hold many give way: some are closed meanwhile.
    eventually("every register of the storm answered", 20, () -> registersAnswered(a) == 1280);
    eventually("the cluster holds what the node holds, at most its 300", 20, () -> {
      String now = metricsOrEmpty(a);
      double held = PrometheusText.value(now, "livegate_bridge_addresses");
      return held <= 300 && PrometheusText.value(now, "livegate_bridge_cluster_changes_waiting") == 0
          && subscriptionEntries(b) == baseline + held;
    });

    BridgeClient page = cluster.connect(a);
    long latency = registrationLatencyMs(page, b, "public.mine"); // room, or a storm socket that holds more gives way
    assertTrue(latency < 1000, latency + " ms");

    storm.forEach(BridgeClient::close);
    eventually("the storm's entries leave every node's subscriptions", 30,
        () -> subscriptionEntries(b) == baseline + 1); // the page's stays
    assertTrue(registrationLatencyMs(page, b, "public.after.storm") < 5000);
  }

  private double registersAnswered(GatewayNode node) {
    String now = metricsOrEmpty(node);
    return PrometheusText.value(now, "livegate_bridge_frames_in_total", "type=\"register\"")
        + PrometheusText.value(now, REFUSED, "reason=\"too_many_addresses\"");
  }

  /** Registrations the node's bridge has had taken by the cluster. */
  private static double registered(String metrics) {
    return PrometheusText.value(metrics, "livegate_bridge_cluster_changes_seconds_count", "op=\"register\"");
  }

  private String metricsOrEmpty(GatewayNode node) {
    try {
      return metrics(node);
    } catch (Exception e) {
      return "";
    }
  }

  /**
   * The page registers while a storm's 12,800 registrations reach the bridge: it goes before those that wait, and is
   * live within a second (the cluster manager writes what waits in batches, ClusterSubscriptions, so the storm
   * itself drains in about a second); every one of the storm's arrives too.
   */
  @Test
  void aPagesFirstRegistrationOvertakesTheBacklogOfAStorm() throws Exception {
    cluster = new TestCluster();
    GatewayNode a = cluster.start("bridge,rest");
    GatewayNode b = cluster.start("bridge,rest");
    BridgeClient good = cluster.connect(a);
    List<BridgeClient> storm = new ArrayList<>();
    for (int i = 0; i < 200; i++) storm.add(cluster.connect(a));
    double before = registered(metrics(a));
    for (int i = 0; i < storm.size(); i++) {
      for (int n = 0; n < 64; n++) storm.get(i).writeTextAsync(register("public.backlog." + i + "." + n));
    }
    for (BridgeClient socket : storm) socket.awaitHandled(); // all 12,800 taken by the bridge, most still on their way

    long latency = registrationLatencyMs(good, b, "public.first");
    double byThen = registered(metrics(a)) - before;
    System.out.println("a page's first registration live after " + latency + " ms, " + byThen
        + " registrations in the cluster by then");
    assertTrue(latency < 1000, latency + " ms");
    assertTrue(byThen < 12_801, "the page's went live before the storm's were all in the cluster");
    eventually("the storm's 12,800 registrations in the cluster", 30,
        () -> registered(metricsOrEmpty(a)) - before >= 12_801);
  }

  @Test
  void anAddressLongerThanTheRestApisLimitIsRefused() throws Exception {
    cluster = new TestCluster();
    GatewayNode a = cluster.start("bridge,rest");
    BridgeClient client = cluster.connect(a);
    assertEquals("address_too_long", refusalOf(client, "public." + "x".repeat(250)));
    client.subscribe("public." + "x".repeat(249)); // 256: the longest, taken
    assertEquals(1, PrometheusText.value(metrics(a), REFUSED, "reason=\"address_too_long\""), 0.5);
  }

  /** Registers {@code address} on {@code client}'s node, and publishes on node {@code from} until it arrives. */
  private long registrationLatencyMs(BridgeClient client, GatewayNode from, String address) throws Exception {
    String fresh = address + "." + UUID.randomUUID();
    long start = System.nanoTime();
    client.writeTextAsync(register(fresh));
    long deadline = start + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      from.vertx().eventBus().publish(fresh, new JsonObject().put("probe", true));
      if (client.poll(fresh, 50) != null) return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }
    throw new AssertionError(fresh + " not reached from node " + from.nodeId() + " within 20 s");
  }

  /** The err frame a register on {@code address} gets. */
  private static String refusalOf(BridgeClient client, String address) throws Exception {
    client.writeTextAsync(register(address));
    return client.next(frame -> "err".equals(frame.getString("type")), 5).getString("body");
  }

  /** A register and an unregister of a fresh address, every 22 ms: 91 frames a second, within the frame limit. */
  private void churn(BridgeClient socket, AtomicInteger churned) {
    AtomicInteger n = new AtomicInteger();
    String prefix = "public.churn." + UUID.randomUUID() + ".";
    churners.add(cluster.clientVertx.setPeriodic(22, id -> {
      String address = prefix + n.incrementAndGet();
      socket.writeTextAsync(register(address));
      socket.writeTextAsync(new JsonObject().put("type", "unregister").put("address", address).encode());
      socket.discardFrames(); // its refusals: nobody reads them
      churned.incrementAndGet();
    }));
  }

  private String metrics(GatewayNode node) throws Exception {
    return cluster.get(node, "/metrics").bodyAsString();
  }

  /** Entries in the cluster's event-bus subscriptions, as node {@code node} sees them. */
  private static int subscriptionEntries(GatewayNode node) {
    return TestCluster.hazelcast(node).getMultiMap("__vertx.subs").size();
  }

  private static String register(String address) {
    return new JsonObject().put("type", "register").put("address", address).encode();
  }
}
