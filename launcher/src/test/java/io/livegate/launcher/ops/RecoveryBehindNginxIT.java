package io.livegate.launcher.ops;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.eventually;
import static io.livegate.testing.Await.within;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.launcher.ops.DeliveryLog.Counts;
import io.livegate.launcher.ops.DeliveryLog.Position;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 15's promise, nothing a client subscribed to is lost, on nodes started from the jar behind nginx (the
 * harness {@link BehindNginxIT} uses, {@link OpsCluster}): 60 raw WebSocket clients through nginx, each registered on two history
 * addresses, which come back after any close with {@code headers: {since, epoch}} from the last frame they had; a
 * service publishing 50 messages a second through the REST API of a node that lives. A node is killed, a node is
 * drained, sockets are cut: every client, of every node, ends with every publication exactly once and in order.
 * Each round prints its counts (a line starting {@code recovery }); {@code scripts/soak-recovery.sh} runs five of
 * each. After each kill or drain a new node takes the lost one's place, so every round starts from three.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RecoveryBehindNginxIT {
  /** scripts/soak-recovery.sh raises these: {@code -Dops.rounds=5}. */
  private static final int ROUNDS = Integer.getInteger("ops.rounds", 1);
  private static final int CLIENTS = Integer.getInteger("ops.clients", 60);
  private static final int PUBLICATIONS_PER_SECOND = Integer.getInteger("ops.rate", 50);
  private static final List<String> ADDRESSES = List.of("public.ops.a", "chat.ops.b");
  private static final long BACK_BOUND_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** Publishing before a fault (every client has positions to come back from) and after its clients are back. */
  private static final long BEFORE_FAULT_MS = 2000;
  private static final long AFTER_BACK_MS = 1000;
  /** After a new node joins, the time its share of the partitions takes to move to it, backups included. */
  private static final long MIGRATION_MS = 3000;
  /** Addresses in the test of the history's primary copy, and publications on each. */
  private static final int OWNED_ADDRESSES = 30;
  private static final int OWNED_PUBLICATIONS = 20;

  private final List<ReconnectingBrowser> clients = new ArrayList<>();
  private final List<Round> rounds = new ArrayList<>();
  private OpsCluster cluster;
  private Vertx vertx;
  private PacedPublisher publisher;
  private char nextName = 'd';

  /** What is done to the cluster or to the clients in a round. */
  private interface Fault {
    void inject() throws Exception;
  }

  @BeforeAll
  void startThreeNodesBehindNginxWithSixtyClientsOnTwoHistoryAddresses() throws Exception {
    // No warm-up (10 to 30 s a node here): what this story times is the clients, not a node's first connections.
    cluster = OpsCluster.start(Path.of("target", "ops-it-recovery"), List.of("node-a", "node-b", "node-c"),
        List.of("--warm-up", "false"));
    vertx = Vertx.vertx();
    for (int i = 0; i < CLIENTS; i++) clients.add(new ReconnectingBrowser(vertx, cluster.nginx.port, ADDRESSES));
    eventually("all clients registered through nginx", 20, () -> clients.stream().allMatch(ReconnectingBrowser::isReady));
    publisher = new PacedPublisher(ADDRESSES, PUBLICATIONS_PER_SECOND);
  }

  @Test
  @Order(1)
  void aKilledNodesClientsAreBackWithinTenSecondsAndEveryClientEndsWithEveryPublicationOnceInOrder() throws Exception {
    List<Round> done = new ArrayList<>();
    for (int number = 1; number <= ROUNDS; number++) {
      JarNode victim = busiestNode();
      done.add(faultRound("kill -9", number, victim, clientsOf(victim), victim::kill));
      replace(victim);
    }
    assertClean(done);
  }

  @Test
  @Order(2)
  void aDrainedNodesClientsAreBackWithinTenSecondsAndEveryClientEndsWithEveryPublicationOnceInOrder() throws Exception {
    List<Round> done = new ArrayList<>();
    for (int number = 1; number <= ROUNDS; number++) {
      JarNode victim = busiestNode();
      done.add(faultRound("SIGTERM", number, victim, clientsOf(victim), victim::terminate));
      assertEquals(0, victim.awaitExit(30), victim.name + " exits 0 after draining");
      replace(victim);
    }
    assertClean(done);
  }

  @Test
  @Order(3)
  void clientsWhoseSocketsAreCutAreBackWithinTenSecondsAndEveryClientEndsWithEveryPublicationOnceInOrder()
      throws Exception {
    List<Round> done = new ArrayList<>();
    for (int number = 1; number <= ROUNDS; number++) {
      int third = number % 3;
      List<ReconnectingBrowser> cut = IntStream.range(0, clients.size()).filter(i -> i % 3 == third)
          .mapToObj(clients::get).toList();
      done.add(faultRound("cut socket", number, null, cut, () -> cut.forEach(ReconnectingBrowser::cut)));
    }
    assertClean(done);
  }

  /**
   * An address's history is one entry of the map {@code livegate.history}, keyed by the address: it lives in the
   * Hazelcast partition of the address's name, primary copy and backup on two nodes. The node that holds the primary
   * copy of the first of 30 addresses (and of about a third of them) is killed; every publication of every address is
   * then replayed, from either survivor, to a client that asks from the start (since 0, the epoch it was published in).
   */
  @Test
  @Order(4)
  void killingTheNodeThatHoldsTheHistorysPrimaryCopyLosesNoneOfIt() throws Exception {
    List<String> addresses = IntStream.range(0, OWNED_ADDRESSES).mapToObj(i -> "public.owned." + i).toList();
    Map<String, JarNode> owners = cluster.partitionOwners(addresses);
    JarNode victim = owners.get(addresses.get(0));
    long held = owners.values().stream().filter(n -> n == victim).count();
    List<JarNode> live = cluster.live();
    JarNode publishOn = live.stream().filter(n -> n != victim).findFirst().orElseThrow();
    PacedPublisher owned = new PacedPublisher(addresses, 1);
    owned.publishEach(publishOn, OWNED_PUBLICATIONS);
    assertEquals(List.of(), owned.failures, "every publication was taken");
    assertEquals(owners, cluster.partitionOwners(addresses), "no partition moved meanwhile");

    victim.kill();
    List<JarNode> survivors = live.stream().filter(n -> n != victim).toList();
    Set<String> survivorIds = ids(survivors);
    for (JarNode node : survivors) {
      eventually(node.name + " no longer lists " + victim.name, 10, () -> node.listedIds().equals(survivorIds));
    }
    Map<String, Position> fromTheStart = new HashMap<>();
    for (String address : addresses) {
      assertTrue(owned.epoch(address) != null, "the REST answer gives the epoch of " + address);
      fromTheStart.put(address, new Position("0", owned.epoch(address)));
    }
    List<ReconnectingBrowser> readers = survivors.stream()
        .map(node -> new ReconnectingBrowser(vertx, node.bridgePort, addresses, fromTheStart)).toList();
    try {
      eventually("a reader on each survivor had every address's recovery marker", 15,
          () -> readers.stream().allMatch(ReconnectingBrowser::isBack));
      within(5, () -> readers.stream().allMatch(r -> addresses.stream()
          .allMatch(a -> r.log(a).hasAll(0, OWNED_PUBLICATIONS))));
      Counts counts = Counts.NONE;
      long notRecovered = 0;
      long replayed = 0;
      List<String> errors = new ArrayList<>();
      for (ReconnectingBrowser reader : readers) {
        for (String address : addresses) {
          DeliveryLog log = reader.log(address);
          counts = counts.plus(log.counts(0, OWNED_PUBLICATIONS));
          notRecovered += log.notRecovered();
          replayed += log.replayed();
          log.errors().forEach(e -> errors.add(address + ": " + e));
        }
      }
      System.out.println("recovery kill -9 of the history's owner (" + victim.name + ", the primary copy of " + held
          + " of " + addresses.size() + " addresses) x " + OWNED_PUBLICATIONS + " publications, read from "
          + survivors.size()
          + " survivors: lost " + counts.lost() + ", duplicated " + counts.duplicated() + ", out of order "
          + counts.outOfOrder() + "; not recovered " + notRecovered + ", err frames " + errors.size()
          + ", replayed " + replayed);
      assertEquals(Counts.NONE, counts, "every publication of every address, once, in order");
      assertEquals(0, notRecovered, "recovered = \"true\" for every address");
      assertEquals(List.of(), errors);
      assertEquals((long) readers.size() * addresses.size() * OWNED_PUBLICATIONS, replayed,
          "the markers count every publication as replayed");
    } finally {
      readers.forEach(ReconnectingBrowser::stop);
    }
  }

  @AfterAll
  void stopEverything() throws Exception {
    if (publisher != null) publisher.stop();
    if (!rounds.isEmpty()) {
      System.out.println("recovery rounds: " + rounds.size() + ", clean: " + rounds.stream().filter(Round::clean).count());
    }
    clients.forEach(ReconnectingBrowser::stop);
    if (vertx != null) await(vertx.close(), 10);
    if (cluster != null) cluster.close();
  }

  /**
   * One round: the publisher runs on a node that lives, the fault strikes, the clients it struck come back through
   * nginx, the publisher stops; then every client's log of every address is counted over the round's publications.
   */
  private Round faultRound(String fault, int number, JarNode victim, List<ReconnectingBrowser> struck, Fault inject)
      throws Exception {
    eventually("every client is back before the round", 15, () -> clients.stream().allMatch(ReconnectingBrowser::isBack));
    assertFalse(struck.isEmpty(), "the fault strikes some client");
    JarNode publishOn = cluster.live().stream().filter(n -> n != victim).findFirst().orElseThrow();
    String where = victim == null ? "its node lives" : victim.name + ", primary copy of the history of "
        + cluster.partitionOwners(ADDRESSES).values().stream().filter(n -> n == victim).count() + " of "
        + ADDRESSES.size() + " addresses";
    Map<String, Long> from = published();
    long replayedBefore = sum(DeliveryLog::replayed);
    long notRecoveredBefore = sum(DeliveryLog::notRecovered);
    long errorsBefore = sum(log -> log.errors().size());
    int failuresBefore = publisher.failures.size();
    long struckAt;
    publisher.start(publishOn);
    try {
      eventually("every client has a position on every address", 10, () -> clients.stream()
          .allMatch(c -> ADDRESSES.stream().allMatch(a -> c.log(a).position() != null)));
      Thread.sleep(BEFORE_FAULT_MS);
      struckAt = System.nanoTime();
      inject.inject();
      within(15, () -> struck.stream().allMatch(c -> c.isBack() && c.backAtNanos() > struckAt));
      Thread.sleep(AFTER_BACK_MS);
    } finally {
      publisher.stop();
    }
    Map<String, Long> to = published();
    within(10, () -> clients.stream().allMatch(c -> ADDRESSES.stream()
        .allMatch(a -> c.log(a).hasAll(from.get(a), to.get(a)))));

    Counts counts = Counts.NONE;
    List<String> unclean = new ArrayList<>();
    for (int i = 0; i < clients.size(); i++) {
      for (String address : ADDRESSES) {
        Counts one = clients.get(i).log(address).counts(from.get(address), to.get(address));
        counts = counts.plus(one);
        if (!one.clean()) unclean.add("client " + i + " on " + address + ": " + one);
      }
    }
    List<Long> backMs = struck.stream().filter(c -> c.isBack() && c.backAtNanos() > struckAt)
        .map(c -> TimeUnit.NANOSECONDS.toMillis(c.backAtNanos() - struckAt)).toList();
    Round round = new Round(fault, number, where, struck.size(),
        backMs.stream().filter(ms -> ms < TimeUnit.NANOSECONDS.toMillis(BACK_BOUND_NANOS)).count(),
        backMs.stream().max(Comparator.naturalOrder()).orElse(-1L),
        ADDRESSES.stream().mapToLong(a -> to.get(a) - from.get(a)).sum(), counts,
        sum(DeliveryLog::notRecovered) - notRecoveredBefore, sum(log -> log.errors().size()) - errorsBefore,
        sum(DeliveryLog::replayed) - replayedBefore, publisher.failures.size() - failuresBefore,
        publisher.slowestAnswerMs(), unclean);
    rounds.add(round);
    System.out.println(round.line());
    return round;
  }

  /** A new node in the place of one gone, behind nginx, once every node lists it and partitions had time to move. */
  private void replace(JarNode gone) throws Exception {
    JarNode fresh = cluster.add("node-" + nextName++);
    List<JarNode> live = cluster.live();
    cluster.routeTo(live);
    Set<String> liveIds = ids(live);
    for (JarNode node : live) {
      eventually(node.name + " lists " + fresh.name + ", not " + gone.name, 10, () -> node.listedIds().equals(liveIds));
    }
    Thread.sleep(MIGRATION_MS);
  }

  /** The live node serving the most clients: whose fault strikes the most. */
  private JarNode busiestNode() throws Exception {
    Map<String, Long> perNode = clients.stream().filter(c -> c.node != null)
        .collect(Collectors.groupingBy(c -> c.node, Collectors.counting()));
    JarNode busiest = null;
    for (JarNode node : cluster.live()) {
      if (busiest == null || perNode.getOrDefault(node.id(), 0L) > perNode.getOrDefault(busiest.id(), 0L)) busiest = node;
    }
    return busiest;
  }

  private List<ReconnectingBrowser> clientsOf(JarNode node) throws Exception {
    String id = node.id();
    return clients.stream().filter(c -> id.equals(c.node)).toList();
  }

  private Map<String, Long> published() {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (String address : ADDRESSES) counts.put(address, publisher.published(address));
    return counts;
  }

  private long sum(ToLongFunction<DeliveryLog> what) {
    return clients.stream().flatMap(c -> ADDRESSES.stream().map(c::log)).mapToLong(what).sum();
  }

  private static Set<String> ids(List<JarNode> nodes) throws Exception {
    Set<String> ids = new HashSet<>();
    for (JarNode node : nodes) ids.add(node.id());
    return ids;
  }

  private static void assertClean(List<Round> done) {
    assertTrue(done.stream().allMatch(Round::clean),
        done.stream().filter(r -> !r.clean()).map(r -> "not clean: " + r.line()).collect(Collectors.joining("\n")));
  }

  /** What one round did to the clients, summed over every client and address. */
  private record Round(String fault, int number, String where, int struck, long backInTime, long slowestBackMs,
      long publications, Counts counts, long notRecovered, long errFrames, long replayed, int publishFailures,
      long slowestPublishMs, List<String> unclean) {
    boolean clean() {
      return backInTime == struck && counts.clean() && notRecovered == 0 && errFrames == 0 && publishFailures == 0;
    }

    String line() {
      String line = "recovery " + fault + " round " + number + "/" + ROUNDS + " (" + where + "): " + backInTime + " of "
          + struck + " clients back within 10 s (slowest " + slowestBackMs + " ms); " + CLIENTS + " clients x "
          + ADDRESSES.size() + " addresses, " + publications + " publications: lost " + counts.lost() + ", duplicated "
          + counts.duplicated() + ", out of order " + counts.outOfOrder() + "; not recovered " + notRecovered
          + ", err frames " + errFrames + ", replayed " + replayed + ", publish failures " + publishFailures
          + " (slowest answer " + slowestPublishMs + " ms)" + (clean() ? ": clean" : ": NOT CLEAN");
      return unclean.isEmpty() ? line : line + "\n  " + String.join("\n  ", unclean.subList(0, Math.min(10, unclean.size())));
    }
  }
}
