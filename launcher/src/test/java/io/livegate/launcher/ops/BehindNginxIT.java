package io.livegate.launcher.ops;

import static io.livegate.launcher.PrometheusText.delta;
import static io.livegate.launcher.PrometheusText.value;
import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Operations as they happen in production, on nodes started from the built jar as processes of their own,
 * behind the repo's nginx configuration: one cluster for the whole class, whose story the tests tell in
 * order (a node is killed, one is added, one is drained). Run in the integration-test phase, after the jar
 * is built ({@code livegate.jar} names it); longer runs: {@code scripts/soak-ops.sh}. Recovery of what a client
 * missed meanwhile: {@link RecoveryBehindNginxIT}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BehindNginxIT {
  /** scripts/soak-ops.sh raises these: {@code -Dops.browsers=300 -Dops.publications=2000}. */
  private static final int BROWSERS = Integer.getInteger("ops.browsers", 50);
  private static final int PUBLICATIONS = Integer.getInteger("ops.publications", 120);
  private static final long RECONNECT_BOUND_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final List<ReconnectingBrowser> browsers = new ArrayList<>();
  private OpsCluster cluster;
  private Vertx vertx;
  private JarNode a;
  private JarNode b;
  private JarNode c;
  private JarNode d;

  @BeforeAll
  void startThreeNodesBehindNginxWithFiftyBrowsers() throws Exception {
    // B and C join A together: A is the oldest, the active simulator.
    cluster = OpsCluster.start(Path.of("target", "ops-it"), List.of("node-a", "node-b", "node-c"), List.of());
    a = cluster.started().get(0);
    b = cluster.started().get(1);
    c = cluster.started().get(2);
    vertx = Vertx.vertx();
    for (int i = 0; i < BROWSERS; i++) {
      browsers.add(new ReconnectingBrowser(vertx, cluster.nginx.port,
          List.of("events.updates", ReconnectingBrowser.OPS)));
    }
    eventually("all browsers registered through nginx", 20,
        () -> browsers.stream().allMatch(ReconnectingBrowser::isReady));
  }

  @Test
  @Order(1)
  void killedNodesBrowsersReconnectWithinTenSecondsTheOthersMissNoPublicationAndTheMetricsCountIt() throws Exception {
    String idA = a.id();
    String idB = b.id();
    String idC = c.id();
    Map<String, Long> perNode = browsers.stream().collect(Collectors.groupingBy(br -> br.node, Collectors.counting()));
    assertEquals(Set.of(idA, idB, idC), perNode.keySet(), "nginx spread the browsers over the three nodes: " + perNode);
    List<ReconnectingBrowser> onC = browsers.stream().filter(br -> idC.equals(br.node)).toList();
    List<ReconnectingBrowser> others = browsers.stream().filter(br -> !idC.equals(br.node)).toList();
    long onB = perNode.get(idB);
    String metricsA = a.metrics();
    String metricsB = b.metrics();
    String connections = "livegate_bridge_connections";
    assertEquals(BROWSERS, value(metricsA, connections) + value(metricsB, connections) + value(c.metrics(), connections),
        "the three nodes' open connections");
    assertEquals(3, value(metricsA, "livegate_cluster_nodes"));
    assertEquals(1, value(metricsA, "livegate_simulator_active"), "A, the oldest, runs the simulator");
    assertEquals(0, value(metricsB, "livegate_simulator_active"));

    AtomicLong published = new AtomicLong();
    CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> publishSequence(a, published));
    eventually("a third published", 10, () -> published.get() >= PUBLICATIONS / 3);
    long killedAt = System.nanoTime();
    c.kill();
    publishing.get(60, TimeUnit.SECONDS);

    eventually("C's browsers back, on A or B", 10,
        () -> onC.stream().allMatch(br -> br.isReady() && br.readyAtNanos > killedAt));
    for (ReconnectingBrowser br : onC) {
      assertTrue(Set.of(idA, idB).contains(br.node), br.node);
      long tookMs = TimeUnit.NANOSECONDS.toMillis(br.readyAtNanos - killedAt);
      assertTrue(br.readyAtNanos - killedAt < RECONNECT_BOUND_NANOS, "reconnected after " + tookMs + " ms");
    }
    Set<Long> all = LongStream.range(0, PUBLICATIONS).boxed().collect(Collectors.toSet());
    eventually("every publication reached the browsers of A and B", 10,
        () -> others.stream().allMatch(br -> br.log(ReconnectingBrowser.OPS).hasAll(0, PUBLICATIONS)));
    for (ReconnectingBrowser br : others) {
      assertEquals(0, br.closes.get(), "a browser of A or B stayed connected");
      assertEquals(all, br.log(ReconnectingBrowser.OPS).distinctSeqs(), "a browser of A or B received every publication");
      assertEquals(0, br.log(ReconnectingBrowser.OPS).counts(0, PUBLICATIONS).duplicated(), "and each once");
    }

    // What the traffic did to the meters of A (which published) and B (which delivered to its browsers).
    String afterA = a.metrics();
    String afterB = b.metrics();
    assertEquals(PUBLICATIONS, delta(metricsA, afterA, "livegate_messages_published_total", "family=\"public\""));
    assertTrue(delta(metricsB, afterB, "livegate_bridge_frames_out_total", "type=\"rec\"") >= PUBLICATIONS * onB,
        "B wrote every publication to each of its " + onB + " browsers");
    assertTrue(delta(metricsA, afterA, "livegate_bridge_frames_in_total", "type=\"register\"")
        + delta(metricsB, afterB, "livegate_bridge_frames_in_total", "type=\"register\"") >= 2 * onC.size(),
        "C's browsers registered again on A and B");
    assertEquals(BROWSERS, value(afterA, connections) + value(afterB, connections));
    assertEquals(2, value(afterA, "livegate_cluster_nodes"));
    assertTrue(value(afterA, "jvm_memory_used_bytes", "area=\"heap\"") > 0);
  }

  @Test
  @Order(2)
  void aNodeAddedWhileTheClusterRunsServesNewBrowsersThroughNginxAndIsListedEverywhereAndTheDeadOneIsNot()
      throws Exception {
    d = cluster.add("node-d");
    cluster.routeTo(List.of(a, b, d));
    Set<String> expected = Set.of(a.id(), b.id(), d.id());
    for (JarNode node : List.of(a, b, d)) {
      eventually(node.name + " lists A, B and D, not C", 10, () -> node.listedIds().equals(expected));
    }

    List<ReconnectingBrowser> newcomers = new ArrayList<>();
    for (int i = 0; i < 30; i++) newcomers.add(new ReconnectingBrowser(vertx, cluster.nginx.port, List.of("events.updates")));
    try {
      eventually("the new browsers registered", 15, () -> newcomers.stream().allMatch(ReconnectingBrowser::isReady));
      String idD = d.id();
      long onD = newcomers.stream().filter(br -> idD.equals(br.node)).count();
      assertTrue(onD > 0, "nginx sends new browsers to D too");
      eventually("A reports D's connections", 10, () -> a.connectionsOf(idD) == onD);
    } finally {
      newcomers.forEach(ReconnectingBrowser::stop);
    }
  }

  @Test
  @Order(3)
  void sigtermDrainsANodeThatExitsZeroWhileItsBrowsersComeBackOnTheOthersAndTheOthersLogNoException()
      throws Exception {
    String idB = b.id();
    Set<String> remaining = Set.of(a.id(), d.id());
    List<ReconnectingBrowser> onB = browsers.stream().filter(br -> idB.equals(br.node)).toList();
    assertFalse(onB.isEmpty(), "B holds browsers");
    long logOfA = Files.size(a.log);
    long logOfD = Files.size(d.log);

    long terminatedAt = System.nanoTime();
    b.terminate();
    assertEquals(0, b.awaitExit(30), "B exits 0 after draining: " + b.logText());
    long exitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - terminatedAt);

    assertTrue(b.logText().contains("drained in"), b.logText());
    eventually("B's browsers back, on A or D", 10,
        () -> onB.stream().allMatch(br -> br.isReady() && br.readyAtNanos > terminatedAt));
    for (ReconnectingBrowser br : onB) {
      assertEquals((short) 1012, br.lastCloseCode, "closed with 1012 (Service Restart): reconnect");
      assertTrue(remaining.contains(br.node), br.node);
    }
    eventually("A and D no longer list B", 10, () -> a.listedIds().equals(remaining) && d.listedIds().equals(remaining));
    for (JarNode other : List.of(a, d)) {
      String since = Files.readString(other.log).substring((int) (other == a ? logOfA : logOfD));
      List<String> bad = since.lines().filter(line -> line.contains("Exception") || line.contains("SEVERE")).toList();
      assertTrue(bad.isEmpty(), other.name + " logged: " + String.join("\n", bad));
    }
    System.out.println("B drained and exited 0 in " + exitedMs + " ms; " + onB.size() + " browsers moved");
  }

  @AfterAll
  void stopEverything() throws Exception {
    browsers.forEach(ReconnectingBrowser::stop);
    if (vertx != null) await(vertx.close(), 10);
    if (cluster != null) cluster.close();
  }

  /** Publishes {"seq": 0..PUBLICATIONS-1} on public.ops through the node's REST API, one every 40 ms. */
  private static void publishSequence(JarNode node, AtomicLong published) {
    try {
      for (long seq = 0; seq < PUBLICATIONS; seq++) {
        int status = node.post("/api/publish/" + ReconnectingBrowser.OPS, "{\"seq\":" + seq + "}").statusCode();
        if (status != 202) throw new AssertionError("publish answered " + status);
        published.set(seq + 1);
        Thread.sleep(40);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
