package io.livegate.simulator;

import io.livegate.core.Addresses;
import io.livegate.core.LeaderLease;
import io.livegate.core.NodeConfig;
import io.livegate.core.ScoreEvent;
import io.livegate.core.ScoreLedger;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The active simulator: five events, each changing at a random interval, under a lead of the {@link ScoreLedger}.
 * Every change is first written to the ledger, conditional on the lead, and published only once the ledger took it and
 * while the lead is still valid by this process's clock: a simulator that was paused past its lease publishes nothing,
 * even before it learns another node took over. The events also go to the cluster map {@code gateway.events}, which
 * the REST API and {@code events.snapshot} read.
 */
final class ScoreSimulator {
  private static final Logger LOG = Logger.getLogger(ScoreSimulator.class.getName());
  static final List<String> NAMES = List.of(
      "Lions vs Tigers", "Eagles vs Wolves", "Sharks vs Bears", "Falcons vs Hawks", "Rams vs Bulls");

  private final Vertx vertx;
  private final AsyncMap<String, JsonObject> snapshot;
  private final ScoreLedger ledger;
  private final NodeConfig config;
  private final Supplier<String> nodeId;
  private final Map<String, ScoreEvent> current = new HashMap<>();
  private final Map<String, Long> timers = new HashMap<>();
  private final Runnable onLost;
  private ScoreLedger.Lead lead;
  private long renewTimer = -1;
  private boolean running;

  /**
   * @param lastSeen the newest version of each event this node saw published (the ledger's copy can be lost with a
   *                 dead member before its backup was made): the simulator resumes above the higher of the two
   * @param onLost   called once if the lead is lost while running (refused by the ledger): the simulator has stopped
   */
  ScoreSimulator(Vertx vertx, AsyncMap<String, JsonObject> snapshot, ScoreLedger ledger, ScoreLedger.Lead lead,
      NodeConfig config, Supplier<String> nodeId, Map<String, ScoreEvent> lastSeen, Runnable onLost) {
    this.vertx = vertx;
    this.snapshot = snapshot;
    this.ledger = ledger;
    this.lead = lead;
    this.config = config;
    this.nodeId = nodeId;
    this.onLost = onLost;
    for (int i = 0; i < NAMES.size(); i++) {
      String id = ScoreEvent.idOf(i);
      ScoreEvent stored = lead.events().get(id);
      ScoreEvent seen = lastSeen.get(id);
      ScoreEvent resumed = stored == null || (seen != null && seen.version() > stored.version()) ? seen : stored;
      current.put(id, resumed != null ? resumed
          : new ScoreEvent(id, NAMES.get(i), new ScoreEvent.Score(0, 0), 0, Instant.now().toString(), nodeId.get()));
    }
  }

  void start() {
    running = true;
    renewTimer = vertx.setPeriodic(LeaderLease.RENEW_EVERY_MS, t -> renew());
    for (ScoreEvent event : current.values()) {
      snapshot.put(event.id(), event.toJson());
      scheduleChange(event.id());
    }
    LOG.info("simulator active (term " + lead.term() + "), resuming at versions " + versions());
  }

  /** Stops changing events; the lead stays taken until {@link #release()} or until it lapses. */
  void stop() {
    running = false;
    vertx.cancelTimer(renewTimer);
    timers.values().forEach(vertx::cancelTimer);
    timers.clear();
  }

  /** Gives the lead up, so that another node takes it at once. */
  Future<Void> release() {
    return ledger.release(lead).recover(e -> Future.succeededFuture());
  }

  private void renew() {
    if (!running) return;
    ledger.renew(lead).onComplete(renewed -> {
      if (!running) return;
      if (renewed.succeeded()) {
        lead = renewed.result();
      } else if (renewed.cause() instanceof ScoreLedger.NotLeader) {
        lost("its lease could not be renewed (it was paused or cut off for longer than " + LeaderLease.LEASE_MS
            + " ms)");
      } else {
        LOG.fine(() -> "lease renewal failed, trying again: " + renewed.cause());
      }
    });
  }

  private void lost(String why) {
    if (!running) return;
    LOG.warning("this node's simulator lost the lead: " + why + "; it stands down and publishes nothing more");
    stop();
    onLost.run();
  }

  private void scheduleChange(String id) {
    int min = config.simulatorMinMs();
    int delay = min + ThreadLocalRandom.current().nextInt(Math.max(1, config.simulatorMaxMs() - min + 1));
    timers.put(id, vertx.setTimer(delay, t -> change(id)));
  }

  private void change(String id) {
    if (!running) return;
    if (!lead.isValid()) {
      // Not renewed in time (the cluster is slow to answer, or this process was paused): nothing is changed until a
      // renewal succeeds, or the ledger refuses one.
      scheduleChange(id);
      return;
    }
    ScoreEvent next = scored(current.get(id));
    ledger.change(lead, next)
        .onSuccess(stored -> {
          if (!running) return;
          if (stored != null) {
            // An earlier change was stored, its answer lost: go on from the stored version, publishing nothing now.
            current.put(id, stored);
            return;
          }
          current.put(id, next);
          if (!lead.isValid()) return;
          JsonObject json = next.toJson();
          snapshot.put(id, json);
          vertx.eventBus().publish(Addresses.EVENTS_UPDATES, json);
        })
        .onFailure(e -> {
          if (e instanceof ScoreLedger.NotLeader) {
            lost("the ledger refused a change of " + id);
          } else {
            LOG.warning("could not store " + id + ", change skipped: " + e.getMessage());
          }
        })
        .onComplete(r -> {
          if (running) scheduleChange(id);
        });
  }

  private ScoreEvent scored(ScoreEvent event) {
    boolean home = ThreadLocalRandom.current().nextBoolean();
    ScoreEvent.Score s = event.score();
    ScoreEvent.Score score = home ? new ScoreEvent.Score(s.home() + 1, s.away()) : new ScoreEvent.Score(s.home(), s.away() + 1);
    return new ScoreEvent(event.id(), event.name(), score, event.version() + 1, Instant.now().toString(), nodeId.get());
  }

  private String versions() {
    StringBuilder sb = new StringBuilder();
    current.values().stream().sorted((a, b) -> a.id().compareTo(b.id()))
        .forEach(e -> sb.append(sb.length() == 0 ? "" : ", ").append(e.id()).append('=').append(e.version()));
    return sb.toString();
  }
}
