package io.livegate.simulator;

import io.livegate.core.Addresses;
import io.livegate.core.ClusterView;
import io.livegate.core.NodeConfig;
import io.livegate.core.NodeInfo;
import io.livegate.core.Role;
import io.livegate.core.ScoreEvent;
import io.livegate.core.ScoreLedger;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The simulator role. Every node with the role answers {@code events.snapshot} from the cluster map; one of them, the
 * oldest live member with the role in a cluster that has its majority ({@link ClusterView#inMajority()}), runs the
 * {@link ScoreSimulator}. Every member sees the same member order, so they agree on who that is; the one elected then
 * takes the lead of the {@link ScoreLedger}, which holds it to one at a time: a node elected while the previous one's
 * lease is still live (it was killed, or hung) waits for the lease to lapse. When the active one leaves, it gives the
 * lead up and the next oldest takes over at once, resuming from the versions in the ledger.
 */
public final class SimulatorVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(SimulatorVerticle.class.getName());

  /** How long a simulator that lost its lead waits before it may take one again: its view of the cluster catches up. */
  static final long HOLD_AFTER_LOSS_MS = 7_000;
  /** How soon an elected node asks again for a lead that another holder's live lease kept. */
  static final long ACQUIRE_RETRY_MS = 500;

  private final NodeConfig config;
  private final ClusterView cluster;
  private final MeterRegistry registry;
  private ScoreLedger ledger;
  /** This simulator's name as a lead holder: one per deployment, so a node whose cluster id changes keeps it. */
  private final String holder = UUID.randomUUID().toString();
  private AsyncMap<String, JsonObject> events;
  private volatile ScoreSimulator active;
  private boolean acquiring;
  private long retryTimer = -1;
  private long heldUntilNanos = System.nanoTime();
  private boolean stopped;
  private final Map<String, ScoreEvent> lastSeen = new HashMap<>();
  private Runnable stopWatching = () -> {};
  private Gauge activeGauge;

  /** A simulator whose ledger is this process's only (a node without a cluster, tests). */
  public SimulatorVerticle(NodeConfig config, ClusterView cluster, MeterRegistry registry) {
    this(config, cluster, registry, null);
  }

  /** @param ledger the cluster's record of the events and of their one simulator; null: this process's only */
  public SimulatorVerticle(NodeConfig config, ClusterView cluster, MeterRegistry registry, ScoreLedger ledger) {
    this.config = config;
    this.cluster = cluster;
    this.registry = registry;
    this.ledger = ledger;
  }

  @Override
  public Future<?> start() {
    activeGauge = Gauge.builder("livegate.simulator.active", this, v -> v.isActive() ? 1 : 0)
        .description("1 on the node whose simulator publishes the scores, else 0")
        .register(registry);
    if (ledger == null) ledger = LocalScoreLedger.of(vertx);
    return vertx.sharedData().<String, JsonObject>getAsyncMap(Addresses.EVENTS_MAP)
        .onSuccess(map -> events = map)
        .compose(map -> vertx.eventBus().consumer(Addresses.EVENTS_SNAPSHOT, this::answerSnapshot).completion())
        .compose(v -> vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS_UPDATES, this::remember).completion())
        .onSuccess(v -> {
          stopWatching = cluster.onChange(this::electSimulator);
          electSimulator();
        });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    stopWatching.run();
    registry.remove(activeGauge);
    vertx.cancelTimer(retryTimer);
    return standDown();
  }

  /** The context it runs on (for tests). */
  io.vertx.core.Context context() {
    return context;
  }

  /** True while this node's simulator is the one publishing. */
  public boolean isActive() {
    return active != null;
  }

  private void electSimulator() {
    if (stopped) return;
    boolean elected = cluster.inMajority() && cluster.members().stream()
        .filter(member -> member.has(Role.SIMULATOR))
        .findFirst()
        .map(NodeInfo::id)
        .filter(cluster.localNodeId()::equals)
        .isPresent();
    if (elected && active == null) {
      takeTheLead();
    } else if (!elected && active != null) {
      LOG.info(cluster.inMajority() ? "an older node has the simulator role: this node's simulator stands down"
          : "this node is cut off from the cluster's majority: its simulator stands down");
      standDown();
    }
  }

  private void takeTheLead() {
    if (acquiring) return;
    long held = heldUntilNanos - System.nanoTime();
    if (held > 0) {
      retryIn(TimeUnit.NANOSECONDS.toMillis(held) + 1);
      return;
    }
    acquiring = true;
    ledger.acquire(holder).onComplete(taken -> {
      acquiring = false;
      if (taken.failed()) {
        if (!(taken.cause() instanceof ScoreLedger.NotLeader)) {
          LOG.warning("could not take the simulator's lead, trying again: " + taken.cause().getMessage());
        }
        retryIn(ACQUIRE_RETRY_MS);
        return;
      }
      ScoreLedger.Lead lead = taken.result();
      if (stopped || active != null) {
        ledger.release(lead);
        return;
      }
      LOG.info("this node is the oldest with the simulator role: starting the active simulator");
      active = new ScoreSimulator(vertx, events, ledger, lead, config, cluster::localNodeId, Map.copyOf(lastSeen),
          this::leadLost);
      active.start();
      electSimulator();  // the cluster may have changed while the lead was asked for
    });
  }

  /** The ledger refused this node's simulator (it had stopped): wait, then stand for election again. */
  private void leadLost() {
    active = null;
    heldUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HOLD_AFTER_LOSS_MS);
    retryIn(HOLD_AFTER_LOSS_MS);
  }

  private Future<Void> standDown() {
    if (active == null) return Future.succeededFuture();
    ScoreSimulator stepping = active;
    active = null;
    stepping.stop();
    return stepping.release();
  }

  private void retryIn(long delayMs) {
    if (stopped) return;
    vertx.cancelTimer(retryTimer);
    retryTimer = vertx.setTimer(Math.max(1, delayMs), t -> electSimulator());
  }

  /**
   * The newest version of each event this node has seen published. A member that dies soon after
   * another joined can take the map's only copy of a partition with it; a successor then resumes
   * from what it saw rather than from zero.
   */
  private void remember(Message<JsonObject> update) {
    try {
      ScoreEvent event = ScoreEvent.fromJson(update.body());
      lastSeen.merge(event.id(), event, (known, seen) -> seen.version() > known.version() ? seen : known);
    } catch (RuntimeException e) {
      LOG.fine(() -> "ignored an update that is not an event: " + e.getMessage());
    }
  }

  private void answerSnapshot(Message<Object> request) {
    events.values()
        .onSuccess(list -> {
          if (list.isEmpty()) {
            request.fail(503, "no events published yet");
            return;
          }
          list.sort(Comparator.comparing(json -> json.getString("id")));
          request.reply(new JsonArray(list.stream().map(Object.class::cast).toList()));
        })
        .onFailure(e -> request.fail(503, "events unavailable: " + e.getMessage()));
  }
}
