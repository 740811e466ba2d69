package io.livegate.simulator;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.eventually;
import static io.livegate.testing.Await.failure;
import static io.livegate.testing.Await.within;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.core.Addresses;
import io.livegate.core.LeaderLease;
import io.livegate.core.NodeConfig;
import io.livegate.core.NodeSettings;
import io.livegate.core.Role;
import io.livegate.testing.SettableCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SimulatorVerticleTest {
  private static final NodeConfig FAST = fast();

  private Vertx vertx;
  private final BlockingQueue<JsonObject> updates = new LinkedBlockingQueue<>();

  private static NodeConfig fast() {
    return NodeSettings.parse(new String[] {"--simulator-min-ms", "20", "--simulator-max-ms", "60"}, Map.of()).config();
  }

  @BeforeEach
  void startVertx() throws Exception {
    vertx = Vertx.vertx();
    await(vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_UPDATES, m -> updates.add(m.body())).completion());
  }

  @AfterEach
  void closeVertx() throws Exception {
    await(vertx.close(), 10);
  }

  @Test
  void activeSimulatorPublishesEveryEventWithVersionsGrowingByOne() throws Exception {
    deploy(new SettableCluster("a", Role.SIMULATOR));
    Map<String, Long> last = new HashMap<>();
    for (int i = 0; i < 40; i++) {
      JsonObject update = next();
      String id = update.getString("id");
      long version = update.getLong("version");
      if (last.containsKey(id)) assertEquals(last.get(id) + 1, version, "versions of " + id);
      last.put(id, version);
      assertEquals("a", update.getString("publishedBy"));
      JsonObject score = update.getJsonObject("score");
      assertEquals(version, score.getInteger("home") + score.getInteger("away"), "one goal per change");
      assertTrue(update.getString("updatedAt").endsWith("Z"));
    }
    assertEquals(5, last.size(), "all five events changed: " + last.keySet());
  }

  @Test
  void snapshotAnswersAllFiveEventsInIdOrder() throws Exception {
    deploy(new SettableCluster("a", Role.SIMULATOR));
    next();
    JsonArray snapshot = (JsonArray) await(vertx.eventBus().request(Addresses.EVENTS_SNAPSHOT, null), 10).body();
    assertEquals(5, snapshot.size());
    for (int i = 0; i < 5; i++) {
      JsonObject event = snapshot.getJsonObject(i);
      assertEquals(String.format("EVENT#%02d", i), event.getString("id"));
      assertTrue(event.getString("name").contains(" vs "));
    }
  }

  @Test
  void aNewSimulatorResumesFromTheStoredVersions() throws Exception {
    String first = deploy(new SettableCluster("a", Role.SIMULATOR));
    for (int i = 0; i < 15; i++) next();
    await(vertx.undeploy(first), 10);
    Map<String, Long> before = storedVersions();
    updates.clear();

    deploy(new SettableCluster("b", Role.SIMULATOR));
    for (int i = 0; i < 10; i++) {
      JsonObject update = next();
      assertEquals("b", update.getString("publishedBy"));
      assertEquals(before.get(update.getString("id")) + 1, update.getLong("version"),
          "continues from the stored version of " + update.getString("id"));
      before.put(update.getString("id"), update.getLong("version"));
    }
  }

  @Test
  void aNodeStandsDownWhenAnOlderSimulatorNodeIsThereAndTakesOverWhenItLeaves() throws Exception {
    SettableCluster cluster = new SettableCluster("young", Role.SIMULATOR);
    cluster.setMembers(List.of(SettableCluster.member("old", Role.SIMULATOR), SettableCluster.member("young", Role.SIMULATOR)));
    SimulatorVerticle young = new SimulatorVerticle(FAST, cluster, new SimpleMeterRegistry());
    await(vertx.deployVerticle(young), 10);
    assertEquals(null, updates.poll(400, TimeUnit.MILLISECONDS), "an inactive simulator publishes nothing");
    assertSnapshotFails();

    cluster.setMembers(List.of(SettableCluster.member("young", Role.SIMULATOR)));
    assertEquals("young", next().getString("publishedBy"));

    cluster.setMembers(List.of(SettableCluster.member("old", Role.SIMULATOR), SettableCluster.member("young", Role.SIMULATOR)));
    eventually("the young one stands down", 5, () -> !young.isActive());
    updates.clear();
    assertEquals(null, updates.poll(400, TimeUnit.MILLISECONDS), "stood down again");
  }

  @Test
  void aStandbyResumesAboveWhatWasPublishedEvenWhenTheStoredEventsAreLost() throws Exception {
    SettableCluster standbyView = new SettableCluster("standby", Role.SIMULATOR);
    standbyView.setMembers(List.of(SettableCluster.member("active", Role.SIMULATOR), SettableCluster.member("standby", Role.SIMULATOR)));
    deploy(standbyView);
    String active = deploy(new SettableCluster("active", Role.SIMULATOR));
    Map<String, Long> published = new HashMap<>();
    for (int i = 0; i < 20; i++) {
      JsonObject update = next();
      published.merge(update.getString("id"), update.getLong("version"), Math::max);
    }
    await(vertx.undeploy(active), 10);
    // What a member dying before its map partitions were backed up does: the stored events are gone.
    await(vertx.sharedData().<String, JsonObject>getAsyncMap(Addresses.EVENTS_MAP).compose(map -> map.clear()));
    updates.clear();

    standbyView.setMembers(List.of(SettableCluster.member("standby", Role.SIMULATOR)));
    for (int i = 0; i < 10; i++) {
      JsonObject update = next();
      assertEquals("standby", update.getString("publishedBy"));
      Long before = published.get(update.getString("id"));
      if (before != null) {
        assertTrue(update.getLong("version") > before, update.getString("id") + " went back to " + update.getLong("version"));
      }
    }
  }

  @Test
  void aSimulatorThatHungPastItsLeasePublishesNothingWhenItResumesAndTheStandbyTakesOver() throws Exception {
    SettableCluster oldView = new SettableCluster("old", Role.SIMULATOR);
    oldView.setMembers(List.of(SettableCluster.member("old", Role.SIMULATOR), SettableCluster.member("young", Role.SIMULATOR)));
    SettableCluster youngView = new SettableCluster("young", Role.SIMULATOR);
    youngView.setMembers(List.of(SettableCluster.member("old", Role.SIMULATOR), SettableCluster.member("young", Role.SIMULATOR)));
    SimulatorVerticle old = new SimulatorVerticle(FAST, oldView, new SimpleMeterRegistry());
    await(vertx.deployVerticle(old), 10);
    await(vertx.deployVerticle(new SimulatorVerticle(FAST, youngView, new SimpleMeterRegistry())), 10);
    Map<String, Long> last = new HashMap<>();
    for (int i = 0; i < 10; i++) record(last, next(), "old");

    // A pause of the old one's event loop (a long GC pause, a SIGSTOP) longer than the lease; the others declare it
    // gone meanwhile. Its own view never changes: when it resumes it still believes it is the oldest.
    CountDownLatch paused = new CountDownLatch(1);
    old.context().runOnContext(v -> {
      paused.countDown();
      sleep(LeaderLease.TAKEOVER_AFTER_MS + 2000);
    });
    assertTrue(paused.await(5, TimeUnit.SECONDS));
    youngView.setMembers(List.of(SettableCluster.member("young", Role.SIMULATOR)));
    // The young one waits for the lease to lapse, then takes over above the stored versions; the old one, resumed
    // with its timers due, is refused and publishes nothing: every update from here on is the young one's.
    JsonObject first;
    do {
      first = next();
    } while (!"young".equals(first.getString("publishedBy")) && record(last, first, "old"));
    record(last, first, "young");
    while (old.isActive()) record(last, next(), "young");  // until the old one has resumed and learnt it lost the lead
    for (int i = 0; i < 40; i++) record(last, next(), "young");
  }

  @Test
  void onTheMinoritySideNoSimulatorRunsAndBackOnTheMajoritySideItResumesAboveWhatWasPublished() throws Exception {
    SettableCluster view = new SettableCluster("a", Role.SIMULATOR);
    SimulatorVerticle simulator = new SimulatorVerticle(FAST, view, new SimpleMeterRegistry());
    await(vertx.deployVerticle(simulator), 10);
    Map<String, Long> last = new HashMap<>();
    for (int i = 0; i < 10; i++) record(last, next(), "a");
    view.setInMajority(false);
    assertTrue(within(5, () -> !simulator.isActive()), "stands down on the minority side");
    updates.clear();
    view.setInMajority(true);
    for (int i = 0; i < 10; i++) record(last, next(), "a");
  }

  /** Checks the update is {@code by}'s and above the last version of its event; true. */
  private static boolean record(Map<String, Long> last, JsonObject update, String by) {
    assertEquals(by, update.getString("publishedBy"), update.encode());
    Long before = last.put(update.getString("id"), update.getLong("version"));
    assertTrue(before == null || update.getLong("version") > before, "went back: " + update.encode() + " after " + before);
    return true;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void assertSnapshotFails() {
    ReplyException refused = assertInstanceOf(ReplyException.class,
        failure(vertx.eventBus().request(Addresses.EVENTS_SNAPSHOT, null), 10), "no snapshot before any event exists");
    assertEquals(503, refused.failureCode());
  }

  private Map<String, Long> storedVersions() throws Exception {
    Map<String, Long> versions = new HashMap<>();
    Map<String, JsonObject> stored = await(vertx.sharedData().<String, JsonObject>getAsyncMap(Addresses.EVENTS_MAP)
        .compose(map -> map.entries()), 10);
    stored.forEach((id, json) -> versions.put(id, json.getLong("version")));
    return versions;
  }

  private String deploy(SettableCluster cluster) throws Exception {
    return await(vertx.deployVerticle(new SimulatorVerticle(FAST, cluster, new SimpleMeterRegistry())), 10);
  }

  private JsonObject next() throws InterruptedException {
    JsonObject update = updates.poll(10, TimeUnit.SECONDS);
    if (update == null) throw new AssertionError("no update within 10 s");
    return update;
  }
}
