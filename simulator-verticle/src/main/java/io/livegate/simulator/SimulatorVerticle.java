package io.livegate.simulator;

import io.livegate.core.Addresses;
import io.livegate.core.ClusterView;
import io.livegate.core.NodeConfig;
import io.livegate.core.NodeInfo;
import io.livegate.core.Role;
import io.livegate.core.ScoreEvent;
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
import java.util.logging.Logger;

/**
 * The simulator role. Every node with the role answers {@code events.snapshot} from the cluster
 * map; exactly one of them, the oldest live member with the role, runs the {@link ScoreSimulator}.
 * Every member sees the same member order, so they agree on who that is without a lock; when it
 * leaves or dies, the next oldest takes over and resumes from the versions in the cluster map.
 */
public final class SimulatorVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(SimulatorVerticle.class.getName());

  private final NodeConfig config;
  private final ClusterView cluster;
  private final MeterRegistry registry;
  private AsyncMap<String, JsonObject> events;
  private ScoreSimulator active;
  private final Map<String, ScoreEvent> lastSeen = new HashMap<>();
  private Runnable stopWatching = () -> {};
  private Gauge activeGauge;

  public SimulatorVerticle(NodeConfig config, ClusterView cluster, MeterRegistry registry) {
    this.config = config;
    this.cluster = cluster;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    activeGauge = Gauge.builder("livegate.simulator.active", this, v -> v.isActive() ? 1 : 0)
        .description("1 on the node whose simulator publishes the scores, else 0")
        .register(registry);
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
    stopWatching.run();
    registry.remove(activeGauge);
    if (active != null) active.stop();
    active = null;
    return Future.succeededFuture();
  }

  /** True while this node's simulator is the one publishing. */
  public boolean isActive() {
    return active != null;
  }

  private void electSimulator() {
    boolean elected = cluster.members().stream()
        .filter(member -> member.has(Role.SIMULATOR))
        .findFirst()
        .map(NodeInfo::id)
        .filter(cluster.localNodeId()::equals)
        .isPresent();
    if (elected && active == null) {
      LOG.info("this node is the oldest with the simulator role: starting the active simulator");
      active = new ScoreSimulator(vertx, events, config, cluster.localNodeId(), Map.copyOf(lastSeen));
      active.start();
    } else if (!elected && active != null) {
      LOG.info("an older node has the simulator role: this node's simulator stands down");
      active.stop();
      active = null;
    }
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
