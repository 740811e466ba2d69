package io.livegate.launcher.ops;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.eventually;
import static io.livegate.testing.FreePorts.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.launcher.ops.ScoreWatcher.Update;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: a node that hangs (SIGSTOP past the failure detector, then SIGCONT, as a long GC pause does) on three nodes
 * from the jar, each a process of its own: A and B with the simulator role (A the oldest: the active one), C without,
 * all with {@code --min-cluster-size 2}. A watcher of the scores on every node, which moves to the next node when its
 * own stops answering pings or closes it, and one that stays on its node whatever happens. Over the whole run: every event's
 * versions strictly grow for every watcher, no version is published twice with different scores (two simulators),
 * publishers never alternate, and no watcher that moves waits more than 10 s for an update. After the resumed node
 * merged back: every node lists three members, and a publication from each node reaches a client on every node
 * exactly once. Each run prints a line starting {@code hung-node }; {@code scripts/soak-hung-node.sh} repeats them.
 */
class HungNodeIT {
  private static final long HUNG_MS = Long.getLong("ops.hung.ms", 12_000);
  /** scripts/soak-hung-node.sh raises it: rounds of hang and merge on one cluster, each checked. */
  private static final int ROUNDS = Integer.getInteger("ops.hung.rounds", 1);
  private static final long MAX_GAP_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final List<String> COMMON = List.of("--warm-up", "false", "--min-cluster-size", "2",
      "--simulator-min-ms", "200", "--simulator-max-ms", "600");

  private final List<JarNode> nodes = new ArrayList<>();
  private final List<ScoreWatcher> watchers = new ArrayList<>();
  private Vertx vertx;
  private JarNode a;
  private JarNode b;
  private JarNode c;

  @BeforeEach
  void startThreeNodesAndAWatcherOnEach() throws Exception {
    Path jar = JarNode.jarUnderTest();
    Path logs = Path.of("target", "ops-it-hung", UUID.randomUUID().toString().substring(0, 8));
    String clusterName = "hung-it-" + UUID.randomUUID();
    List<Integer> ports = List.of(freePort(), freePort(), freePort());
    List<String> members = ports.stream().map(p -> "127.0.0.1:" + p).toList();
    List<String> simulator = new ArrayList<>(COMMON);
    List<String> noSimulator = new ArrayList<>(COMMON);
    noSimulator.addAll(List.of("--roles", "bridge,rest"));
    // A first, so that it is the oldest; it is ready (two members) only once another has joined.
    a = started(JarNode.launch(jar, logs, "node-a", clusterName, ports.get(0), members, simulator));
    eventually("node A answers /health", 60, a::answers);
    b = started(JarNode.launch(jar, logs, "node-b", clusterName, ports.get(1), members, simulator));
    c = started(JarNode.launch(jar, logs, "node-c", clusterName, ports.get(2), members, noSimulator));
    for (JarNode node : nodes) node.awaitReady(90);
    eventually("every node lists three members", 30, () -> nodes.stream().allMatch(n -> n.listedIds().size() == 3));
    eventually("A runs the simulator", 20, a::simulatorActive);
    vertx = Vertx.vertx();
    watch("on A", a, b, c);
    watch("on B", b, c, a);
    watch("on C", c, a, b);
    eventually("every watcher gets updates", 20, () -> watchers.stream().allMatch(ScoreWatcher::isLive));
  }

  @AfterEach
  void stopEverything() throws Exception {
    for (ScoreWatcher watcher : watchers) watcher.stop();
    if (vertx != null) await(vertx.close(), 10);
    JarNode.stopAll(nodes);
  }

  @Test
  void theHungSimulatorIsFencedStandsDownAndTheClusterHealsWhenItResumes() throws Exception {
    List<ScoreWatcher> staying = new ArrayList<>();
    for (int round = 1; round <= ROUNDS; round++) {
      JarNode hung = nodes.stream().filter(JarNode::simulatorActive).findFirst().orElseThrow();
      ScoreWatcher stays = new ScoreWatcher(vertx, "stays on " + hung.name + " (round " + round + ")",
          List.of(hung.bridgePort));
      watchers.add(stays);
      staying.add(stays);
      eventually("the watcher that stays on " + hung.name + " gets updates", 10, stays::isLive);
      String idBefore = hung.currentId();
      Map<ScoreWatcher, Integer> from = marks();

      hang(hung);

      healed();
      String idNow = hung.currentId();
      for (JarNode node : nodes) {
        assertTrue(node.listedIds().contains(idNow), hung.name + " names itself by the id " + node.name + " lists: "
            + idNow + " in " + node.listedIds());
      }
      if (!idNow.equals(idBefore)) {
        assertTrue(hung.logText().contains("node=" + idNow), hung.name + "'s log lines carry its new id " + idNow);
      }
      // Normally the other node with the role; one that hung again, merged back, may lead again after a new split.
      eventually("one node, and only one, runs the simulator", 10,
          () -> nodes.stream().filter(JarNode::simulatorActive).count() == 1);
      assertTrue(hung.logText().contains("lost the lead") || hung.logText().contains("cut off from the cluster"),
          hung.name + "'s log says why it stood down");
      report("simulator", round, from);
      assertTrue(longestWait(watchers.get(0), from) > TimeUnit.SECONDS.toNanos(1),
          "the scores paused while " + hung.name + " hung: the fault took effect");
      checkScores(staying);
      assertOnePublisherAtATime(from);
      publicationsCrossEveryWay(round);
    }
  }

  @Test
  void aHungNodeWithClientsLosesThemAndServesAgainWhenItResumes() throws Exception {
    ScoreWatcher onC = watchers.get(2);
    for (int round = 1; round <= ROUNDS; round++) {
      Map<ScoreWatcher, Integer> from = marks();
      JarNode simulating = nodes.stream().filter(JarNode::simulatorActive).findFirst().orElseThrow();

      hang(c, () -> eventually("C's watcher is served by another node within 10 s", 10,
          () -> onC.isLive() && onC.port() != c.bridgePort));

      healed();
      assertTrue(simulating.simulatorActive(), simulating.name + ", never hung, still runs the simulator");
      report("bridge", round, from);
      checkScores(List.of());
      assertOnePublisherAtATime(from);
      publicationsCrossEveryWay(round);
    }
  }

  /** Where each watcher's updates stand now. */
  private Map<ScoreWatcher, Integer> marks() {
    Map<ScoreWatcher, Integer> marks = new HashMap<>();
    for (ScoreWatcher watcher : watchers) marks.put(watcher, watcher.updates.size());
    return marks;
  }

  private interface Check {
    void run() throws Exception;
  }

  private void hang(JarNode node) throws Exception {
    hang(node, () -> {});
  }

  /** SIGSTOP for {@link #HUNG_MS} (the fault itself, not a wait for an outcome), checking meanwhile; then SIGCONT. */
  private void hang(JarNode node, Check during) throws Exception {
    long resumeAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HUNG_MS);
    node.pause();
    try {
      during.run();
      long left = resumeAt - System.nanoTime();
      if (left > 0) TimeUnit.NANOSECONDS.sleep(left);
    } finally {
      node.resume();
    }
  }

  /** The resumed node merged back: three members everywhere, every node ready, every watcher served. */
  private void healed() throws Exception {
    eventually("every node lists the same three members", 120, () -> {
      List<java.util.Set<String>> views = nodes.stream().map(JarNode::listedIds).toList();
      return views.stream().allMatch(v -> v.size() == 3 && v.equals(views.get(0)));
    });
    for (JarNode node : nodes) node.awaitReady(30);
    eventually("every watcher gets updates again", 20, () -> watchers.stream().allMatch(ScoreWatcher::isLive));
  }

  /**
   * Every watcher: each event's versions strictly grow. All watchers: a version of an event has one score and one
   * publisher. Watchers that move (not {@code staying}): never more than 10 s without an update.
   */
  private void checkScores(List<ScoreWatcher> staying) {
    Map<String, Update> byVersion = new HashMap<>();
    for (ScoreWatcher watcher : watchers) {
      Map<String, Long> last = new HashMap<>();
      Update previous = null;
      for (Update update : watcher.updates) {
        Long before = last.put(update.id(), update.version());
        assertTrue(before == null || update.version() > before, watcher.name + ": " + update.id() + " went from version "
            + before + " to " + update.version() + " (published by " + update.publishedBy() + ")");
        Update known = byVersion.putIfAbsent(update.id() + "@" + update.version(), update);
        assertTrue(known == null || (known.score().equals(update.score()) && known.publishedBy().equals(update.publishedBy())),
            update.id() + " version " + update.version() + " published twice: " + known + " and " + update);
        if (previous != null && !staying.contains(watcher)) {
          long gap = update.atNanos() - previous.atNanos();
          assertTrue(gap <= MAX_GAP_NANOS, watcher.name + " waited " + TimeUnit.NANOSECONDS.toMillis(gap)
              + " ms for an update");
        }
        previous = update;
      }
    }
  }

  /** The publishers every watcher saw since {@code from}, in order and runs collapsed: one, or one then another. */
  private void assertOnePublisherAtATime(Map<ScoreWatcher, Integer> from) {
    for (ScoreWatcher watcher : watchers) {
      List<String> runs = new ArrayList<>();
      for (Update update : since(watcher, from)) {
        if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(update.publishedBy())) runs.add(update.publishedBy());
      }
      assertTrue(runs.size() <= 2, watcher.name + " saw publishers alternate: " + runs);
    }
  }

  /** A new watcher on each node; a publication through each node's REST API reaches each of them exactly once. */
  private void publicationsCrossEveryWay(int round) throws Exception {
    List<ScoreWatcher> fresh = new ArrayList<>();
    for (JarNode node : nodes) fresh.add(watch("new on " + node.name + " (round " + round + ")", node));
    eventually("the new watchers get updates", 20, () -> fresh.stream().allMatch(ScoreWatcher::isLive));
    // Registrations reach the other nodes asynchronously: probe until every new watcher has had one.
    int[] probe = {0};
    eventually("a probe reaches every new watcher", 30, () -> {
      publish(nodes.get(probe[0] % nodes.size()), "probe " + probe[0]++);
      return fresh.stream().allMatch(w -> w.checks.stream().anyMatch(t -> t.startsWith("probe")));
    });
    for (JarNode node : nodes) publish(node, "from " + node.name);
    for (ScoreWatcher watcher : fresh) {
      eventually(watcher.name + " gets a publication from every node", 10,
          () -> nodes.stream().allMatch(n -> watcher.checks.contains("from " + n.name)));
    }
    // Once each arrived, anything twice would have come with it (one socket, in order) or with the next frames.
    publish(a, "last");
    for (ScoreWatcher watcher : fresh) {
      eventually(watcher.name + " gets the last one", 10, () -> watcher.checks.contains("last"));
      for (JarNode node : nodes) {
        assertEquals(1, Collections.frequency(watcher.checks, "from " + node.name),
            watcher.name + " got the publication from " + node.name + ": " + watcher.checks);
      }
    }
    for (ScoreWatcher watcher : fresh) watcher.stop();
    watchers.removeAll(fresh);
  }

  private void publish(JarNode node, String text) {
    try {
      node.post("/api/publish/" + ScoreWatcher.CHECK, new JsonObject().put("text", text).encode());
    } catch (Exception e) {
      // a node that does not answer now: the next probe goes elsewhere
    }
  }

  /** One line for the soak script: per watcher, its updates and connections in the round, and its longest wait. */
  private void report(String what, int round, Map<ScoreWatcher, Integer> from) {
    StringBuilder line = new StringBuilder("hung-node " + what + " round " + round + "/" + ROUNDS + ":");
    for (ScoreWatcher watcher : watchers) {
      List<Update> updates = since(watcher, from);
      long maxGap = longestWait(watcher, from);
      String around = "";
      for (int i = 1; i < updates.size(); i++) {
        long gap = updates.get(i).atNanos() - updates.get(i - 1).atNanos();
        if (gap == maxGap) {
          around = " (" + shortId(updates.get(i - 1).publishedBy()) + " -> " + shortId(updates.get(i).publishedBy()) + ")";
        }
      }
      line.append(String.format(" [%s: %d updates, longest wait %d ms%s]", watcher.name, updates.size(),
          TimeUnit.NANOSECONDS.toMillis(maxGap), around));
    }
    System.out.println(line);
  }

  /** The longest time between two updates the watcher got since {@code from}. */
  private static long longestWait(ScoreWatcher watcher, Map<ScoreWatcher, Integer> from) {
    List<Update> updates = since(watcher, from);
    long longest = 0;
    for (int i = 1; i < updates.size(); i++) longest = Math.max(longest, updates.get(i).atNanos() - updates.get(i - 1).atNanos());
    return longest;
  }

  /** The watcher's updates since the mark, with the last one before it (a wait that spans the mark counts). */
  private static List<Update> since(ScoreWatcher watcher, Map<ScoreWatcher, Integer> from) {
    List<Update> all = List.copyOf(watcher.updates);
    return all.subList(Math.max(0, from.getOrDefault(watcher, 0) - 1), all.size());
  }

  private static String shortId(String id) {
    return id == null || id.length() < 8 ? String.valueOf(id) : id.substring(0, 8);
  }

  private JarNode started(JarNode node) {
    nodes.add(node);
    return node;
  }

  private ScoreWatcher watch(String name, JarNode... order) {
    List<Integer> ports = new ArrayList<>();
    for (JarNode node : order) ports.add(node.bridgePort);
    ScoreWatcher watcher = new ScoreWatcher(vertx, name, ports);
    watchers.add(watcher);
    return watcher;
  }
}
