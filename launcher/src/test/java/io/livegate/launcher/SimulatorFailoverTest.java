package io.livegate.launcher;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.eventually;
import static io.livegate.testing.FreePorts.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SimulatorFailoverTest {

  private record Seen(String publisher, String id, long version, long atNanos) {}

  @Test
  void closingTheSimulatorNodeHandsOverWithinTenSecondsWithVersionsGrowingAndNeverTwoPublishers() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode a = cluster.start("simulator,rest");
      GatewayNode b = cluster.start("simulator,bridge,rest");
      GatewayNode observer = cluster.start("bridge");
      List<Seen> seen = java.util.Collections.synchronizedList(new ArrayList<>());
      await(observer.vertx().eventBus().<JsonObject>consumer("events.updates", m -> seen.add(
          new Seen(m.body().getString("publishedBy"), m.body().getString("id"), m.body().getLong("version"),
              System.nanoTime()))).completion(), 10);

      eventually("updates from A", 10, () -> seen.size() >= 10);
      long closedAt = System.nanoTime();
      cluster.stop(a);
      eventually("updates from B", 10, () -> seen.stream().anyMatch(s -> s.publisher().equals(b.nodeId())));
      long firstFromB = seen.stream().filter(s -> s.publisher().equals(b.nodeId())).findFirst().orElseThrow().atNanos();
      assertTrue(firstFromB - closedAt < 10_000_000_000L, "took over within 10 s");
      int fromBBefore = count(seen, b.nodeId());
      eventually("B carries on", 10, () -> count(seen, b.nodeId()) >= fromBBefore + 10);

      List<Seen> all;
      synchronized (seen) {
        all = new ArrayList<>(seen);
      }
      // One publisher at a time: A's updates, then B's, never interleaved.
      int switchAt = 0;
      while (switchAt < all.size() && all.get(switchAt).publisher().equals(a.nodeId())) switchAt++;
      assertTrue(switchAt >= 10, "A published first");
      for (Seen s : all.subList(switchAt, all.size())) assertEquals(b.nodeId(), s.publisher(), "only B after the switch");

      // No event goes back in time: per event, versions only grow.
      Map<String, Long> last = new HashMap<>();
      for (Seen s : all) {
        Long before = last.put(s.id(), s.version());
        if (before != null) assertTrue(s.version() > before, s.id() + " went from " + before + " to " + s.version());
      }
    }
  }

  @Test
  void killingTheSimulatorNodesProcessHandsOverWithinTenSecondsWithVersionsGrowing() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      int firstPort = freePort();
      java.io.File log = new java.io.File("target/node-processes/killed-simulator.log");
      Process a = NodeProcess.startLogged(log, "--roles", "simulator", "--http-host", "127.0.0.1",
          "--cluster-port", String.valueOf(firstPort), "--members", "127.0.0.1:" + firstPort,
          "--cluster-name", cluster.name, "--simulator-min-ms", "200", "--simulator-max-ms", "600");
      try {
        // A must be the oldest member (the active simulator) before B joins.
        eventually("the process node started", 30, () -> logContains(log, " started: roles simulator"));
        cluster.addMember("127.0.0.1:" + firstPort);
        GatewayNode b = cluster.start("simulator,bridge");
        List<Seen> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        await(b.vertx().eventBus().<JsonObject>consumer("events.updates", m -> seen.add(
            new Seen(m.body().getString("publishedBy"), m.body().getString("id"), m.body().getLong("version"),
                System.nanoTime()))).completion(), 10);
        eventually("updates from the process", 20, () -> seen.size() >= 5);
        String processId = seen.get(0).publisher();
        assertTrue(!processId.equals(b.nodeId()), "the process node, the oldest, was the active simulator");

        long killedAt = System.nanoTime();
        a.destroyForcibly().waitFor();
        eventually("updates from B", 10, () -> count(seen, b.nodeId()) >= 5);
        long firstFromB = seen.stream().filter(s -> s.publisher().equals(b.nodeId())).findFirst().orElseThrow().atNanos();
        assertTrue(firstFromB - killedAt < 10_000_000_000L, "took over within 10 s");

        Map<String, Long> last = new HashMap<>();
        List<Seen> all;
        synchronized (seen) {
          all = new ArrayList<>(seen);
        }
        for (Seen s : all) {
          assertTrue(s.publisher().equals(processId) || s.publisher().equals(b.nodeId()), s.publisher());
          Long before = last.put(s.id(), s.version());
          if (before != null) assertTrue(s.version() > before, s.id() + " went from " + before + " to " + s.version());
        }
      } finally {
        a.destroyForcibly().waitFor();
      }
    }
  }

  private static boolean logContains(java.io.File log, String text) {
    try {
      return java.nio.file.Files.readString(log.toPath()).contains(text);
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static int count(List<Seen> seen, String publisher) {
    synchronized (seen) {
      return (int) seen.stream().filter(s -> s.publisher().equals(publisher)).count();
    }
  }
}
