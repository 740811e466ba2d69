package io.livegate.launcher.ops;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.eventually;
import static io.livegate.testing.FreePorts.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.testing.BridgeClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 20: presence when a node dies or hangs, on three nodes from the jar, each a process of its own. Twenty browsers
 * on C are present on {@code chat.room}; a listener on A and one on B follow {@code presence.chat.room}. {@code kill -9}
 * of C: all twenty leave on A and on B within 5 s. SIGSTOP of C past the failure detector: they leave; SIGCONT: once C
 * has merged back, they are there again, on every node. Each run prints a line starting {@code presence }.
 */
class PresenceIT {
  private static final String ROOM = "chat.room";
  private static final String PRESENCE = "presence." + ROOM;
  private static final int PRESENT = 20;
  private static final long HUNG_MS = 12_000;
  /** The idle timeout outlasts the hang: C's browsers' pings wait in its socket buffers meanwhile. */
  private static final List<String> SETTINGS = List.of("--warm-up", "false", "--roles", "bridge,rest",
      "--idle-timeout-ms", "60000");

  private final List<JarNode> nodes = new ArrayList<>();
  private Vertx vertx;
  private JarNode a;
  private JarNode b;
  private JarNode c;
  private BridgeClient onA;
  private BridgeClient onB;
  private final List<BridgeClient> onC = new ArrayList<>();

  @BeforeEach
  void startThreeNodesWithTwentyPresentOnC() throws Exception {
    Path jar = JarNode.jarUnderTest();
    Path logs = Path.of("target", "ops-it-presence", UUID.randomUUID().toString().substring(0, 8));
    String clusterName = "presence-it-" + UUID.randomUUID();
    List<Integer> ports = List.of(freePort(), freePort(), freePort());
    List<String> members = ports.stream().map(p -> "127.0.0.1:" + p).toList();
    a = started(JarNode.launch(jar, logs, "node-a", clusterName, ports.get(0), members, SETTINGS));
    eventually("node A answers /health", 60, a::answers);
    b = started(JarNode.launch(jar, logs, "node-b", clusterName, ports.get(1), members, SETTINGS));
    c = started(JarNode.launch(jar, logs, "node-c", clusterName, ports.get(2), members, SETTINGS));
    for (JarNode node : nodes) node.awaitReady(90);
    eventually("every node lists three members", 30, () -> nodes.stream().allMatch(n -> n.listedIds().size() == 3));
    vertx = Vertx.vertx();
    onA = listener(a);
    onB = listener(b);
    for (int i = 0; i < PRESENT; i++) {
      BridgeClient browser = await(BridgeClient.open(vertx, c.bridgePort)).keepAlive(2000);
      browser.writeAsync(new JsonObject().put("type", "register").put("address", ROOM)
          .put("headers", new JsonObject().put("name", "c-" + i)));
      onC.add(browser);
    }
    for (BridgeClient listener : List.of(onA, onB)) {
      assertEquals(PRESENT, members(listener, "join", PRESENT).size(), "each of C's browsers joined, once");
    }
  }

  @AfterEach
  void stopEverything() throws Exception {
    for (BridgeClient client : onC) client.close();
    for (BridgeClient client : new BridgeClient[] {onA, onB}) if (client != null) client.close();
    if (vertx != null) await(vertx.close(), 10);
    JarNode.stopAll(nodes);
  }

  @Test
  void killingANodeTakesItsTwentyPresentBrowsersOffEveryNodeWithinFiveSeconds() throws Exception {
    long killedAt = System.nanoTime();
    c.kill();
    for (BridgeClient listener : List.of(onA, onB)) {
      Set<String> left = members(listener, "leave", PRESENT);
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      assertEquals(PRESENT, left.size());
      assertTrue(tookMs < 5000, "all " + PRESENT + " left within 5 s of kill -9: " + tookMs + " ms");
      System.out.println("presence kill-9: " + PRESENT + " left in " + tookMs + " ms");
    }
    assertEquals(0, list(a).getInteger("count"));
    assertEquals(0, list(b).getInteger("count"));
  }

  @Test
  void aHungNodesBrowsersLeaveAndComeBackOnceItResumes() throws Exception {
    long pausedAt = System.nanoTime();
    c.pause();
    try {
      for (BridgeClient listener : List.of(onA, onB)) assertEquals(PRESENT, members(listener, "leave", PRESENT).size());
      System.out.println("presence sigstop: " + PRESENT + " left in "
          + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pausedAt) + " ms");
      long left = TimeUnit.NANOSECONDS.toMillis(pausedAt + TimeUnit.MILLISECONDS.toNanos(HUNG_MS) - System.nanoTime());
      if (left > 0) TimeUnit.MILLISECONDS.sleep(left); // the fault itself: hung this long, then resumed
    } finally {
      c.resume();
    }
    long resumedAt = System.nanoTime();
    for (BridgeClient listener : List.of(onA, onB)) {
      assertEquals(PRESENT, members(listener, "join", PRESENT, 120).size(), "C's browsers are back, each once");
    }
    System.out.println("presence sigcont: " + PRESENT + " back in "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - resumedAt) + " ms");
    for (JarNode node : nodes) {
      eventually(node.name + " lists the twenty", 30, () -> list(node).getInteger("count") == PRESENT);
    }
  }

  private JarNode started(JarNode node) {
    nodes.add(node);
    return node;
  }

  private BridgeClient listener(JarNode node) {
    BridgeClient listener = await(BridgeClient.open(vertx, node.bridgePort)).keepAlive(2000);
    listener.subscribe(PRESENCE);
    return listener;
  }

  private static Set<String> members(BridgeClient listener, String action, int count) {
    return members(listener, action, count, 30);
  }

  /** The ids of the next {@code count} presence events of {@code action} (others skipped), within {@code seconds}. */
  private static Set<String> members(BridgeClient listener, String action, int count, int seconds) {
    Set<String> ids = new HashSet<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (ids.size() < count) {
      int left = (int) Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()));
      JsonObject event = listener.next(f -> PRESENCE.equals(f.getString("address"))
          && action.equals(f.getJsonObject("body").getString("action")), left).getJsonObject("body");
      ids.add(event.getJsonObject("member").getString("id"));
    }
    return ids;
  }

  private static JsonObject list(JarNode node) {
    try {
      return new JsonObject(node.get("/api/presence/" + ROOM).body());
    } catch (Exception e) {
      throw new AssertionError(node.name + " did not list " + ROOM, e);
    }
  }
}
