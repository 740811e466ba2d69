package io.livegate.simulator;

import io.livegate.core.Addresses;
import io.livegate.core.NodeConfig;
import io.livegate.core.ScoreEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Logger;

/**
 * The active simulator: five events, each changing at a random interval. Every change is written
 * to the cluster map before it is published, so whoever takes over resumes from the last versions.
 */
final class ScoreSimulator {
  private static final Logger LOG = Logger.getLogger(ScoreSimulator.class.getName());
  static final List<String> NAMES = List.of(
      "Lions vs Tigers", "Eagles vs Wolves", "Sharks vs Bears", "Falcons vs Hawks", "Rams vs Bulls");

  private final Vertx vertx;
  private final AsyncMap<String, JsonObject> store;
  private final NodeConfig config;
  private final String nodeId;
  private final Map<String, ScoreEvent> current = new HashMap<>();
  private final Map<String, Long> timers = new HashMap<>();
  private final Map<String, ScoreEvent> lastSeen;
  private boolean running;

  ScoreSimulator(Vertx vertx, AsyncMap<String, JsonObject> store, NodeConfig config, String nodeId,
      Map<String, ScoreEvent> lastSeen) {
    this.vertx = vertx;
    this.lastSeen = lastSeen;
    this.store = store;
    this.config = config;
    this.nodeId = nodeId;
  }

  void start() {
    running = true;
    List<Future<ScoreEvent>> loads = new ArrayList<>();
    for (int i = 0; i < NAMES.size(); i++) loads.add(resume(i));
    Future.all(loads)
        .onSuccess(all -> {
          if (!running) return;
          for (Future<ScoreEvent> load : loads) {
            ScoreEvent event = load.result();
            current.put(event.id(), event);
            scheduleChange(event.id());
          }
          LOG.info("simulator active, resuming at versions " + versions());
        })
        .onFailure(e -> LOG.severe("simulator could not load the events from the cluster: " + e.getMessage()));
  }

  void stop() {
    running = false;
    timers.values().forEach(vertx::cancelTimer);
    timers.clear();
  }

  /**
   * Where an event resumes: the newer of the stored event and the last one this node saw published
   * (the stored one can be lost with a dead member); a new event at version 0 if neither exists.
   */
  private Future<ScoreEvent> resume(int index) {
    String id = ScoreEvent.idOf(index);
    ScoreEvent seen = lastSeen.get(id);
    ScoreEvent candidate = seen != null ? seen
        : new ScoreEvent(id, NAMES.get(index), new ScoreEvent.Score(0, 0), 0, Instant.now().toString(), nodeId);
    return store.putIfAbsent(id, candidate.toJson()).compose(existing -> {
      if (existing == null) return Future.succeededFuture(candidate);
      ScoreEvent stored = ScoreEvent.fromJson(existing);
      if (seen == null || stored.version() >= seen.version()) return Future.succeededFuture(stored);
      return store.put(id, seen.toJson()).map(seen);
    });
  }

  private void scheduleChange(String id) {
    int min = config.simulatorMinMs();
    int delay = min + ThreadLocalRandom.current().nextInt(Math.max(1, config.simulatorMaxMs() - min + 1));
    timers.put(id, vertx.setTimer(delay, t -> change(id)));
  }

  private void change(String id) {
    if (!running) return;
    ScoreEvent next = scored(current.get(id));
    // Stored first, then published: a successor never resumes below what clients have seen.
    store.put(id, next.toJson())
        .onSuccess(v -> {
          if (!running) return;
          current.put(id, next);
          vertx.eventBus().publish(Addresses.EVENTS_UPDATES, next.toJson());
        })
        .onFailure(e -> LOG.warning("could not store " + id + ", change skipped: " + e.getMessage()))
        .onComplete(r -> {
          if (running) scheduleChange(id);
        });
  }

  private ScoreEvent scored(ScoreEvent event) {
    boolean home = ThreadLocalRandom.current().nextBoolean();
    ScoreEvent.Score s = event.score();
    ScoreEvent.Score score = home ? new ScoreEvent.Score(s.home() + 1, s.away()) : new ScoreEvent.Score(s.home(), s.away() + 1);
    return new ScoreEvent(event.id(), event.name(), score, event.version() + 1, Instant.now().toString(), nodeId);
  }

  private String versions() {
    StringBuilder sb = new StringBuilder();
    current.values().stream().sorted((a, b) -> a.id().compareTo(b.id()))
        .forEach(e -> sb.append(sb.length() == 0 ? "" : ", ").append(e.id()).append('=').append(e.version()));
    return sb.toString();
  }
}
