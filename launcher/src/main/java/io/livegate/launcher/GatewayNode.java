package io.livegate.launcher;

import com.hazelcast.core.HazelcastInstance;
import io.livegate.bridge.BridgeVerticle;
import io.livegate.core.Addresses;
import io.livegate.core.HistoryHeaders;
import io.livegate.core.LocalPresence;
import io.livegate.core.NodeConfig;
import io.livegate.core.NodeSettings;
import io.livegate.core.NodeState;
import io.livegate.core.Presence;
import io.livegate.core.Probes;
import io.livegate.core.PublicationHistory;
import io.livegate.core.Publications;
import io.livegate.core.Role;
import io.livegate.rest.RestVerticle;
import io.livegate.simulator.SimulatorVerticle;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/** One cluster node: a clustered Vert.x with the roles its configuration names. */
public final class GatewayNode {
  private static final Logger LOG = Logger.getLogger(GatewayNode.class.getName());
  /** How long a drain waits for browsers to acknowledge the close before the node leaves anyway. */
  static final long DRAIN_WAIT_MS = 5000;

  private final NodeConfig config;
  private final Vertx vertx;
  private final HazelcastClusterView cluster;
  private final PrometheusMeterRegistry registry;
  private final Publications publications;
  private final HazelcastScoreLedger ledger;
  private volatile NodeState state = NodeState.JOINING;
  private io.vertx.core.eventbus.MessageConsumer<Object> statusConsumer;
  private BridgeVerticle bridge;
  private Presence presence;
  private volatile BridgeWarmUp.Outcome warmedUp;
  private final AtomicBoolean draining = new AtomicBoolean();
  private final Promise<Void> drainStarted = Promise.promise();
  private final Promise<Void> drained = Promise.promise();

  private GatewayNode(NodeConfig config, Vertx vertx, HazelcastClusterView cluster, PrometheusMeterRegistry registry,
      PublicationHistory history, HazelcastScoreLedger ledger) {
    this.config = config;
    this.vertx = vertx;
    this.cluster = cluster;
    this.registry = registry;
    this.publications = new Publications(vertx.eventBus(), history);
    this.ledger = ledger;
  }

  /**
   * Joins the cluster and deploys the roles; fails with a {@link StartupFailure}. A node whose roles fail leaves the
   * cluster first: its Vert.x is closed by the time the failure is told, so the answer is a promise of no context (one
   * of the node's would have its event loop gone, and the failure would be lost, the process exiting 0).
   */
  public static Future<GatewayNode> start(NodeConfig config) {
    Promise<GatewayNode> started = Promise.promise();
    try {
      checkPortsFree(config);
      long startedAt = System.currentTimeMillis();
      GatewayClusterManager manager = new GatewayClusterManager(HazelcastSetup.build(config, startedAt));
      PrometheusMeterRegistry registry = NodeMetrics.registry();
      VertxOptions options = new VertxOptions()
          .setPreferNativeTransport(true)
          .setEventBusOptions(new EventBusOptions().setHost(config.clusterHost()).setPort(config.eventBusPort()))
          .setMetricsOptions(NodeMetrics.options());
      Vertx.builder().with(options).withClusterManager(manager).withMetrics(new MicrometerMetricsFactory(registry))
          .buildClustered()
          .onFailure(e -> started.fail(new StartupFailure("could not join the cluster: " + e.getMessage(),
              StartupFailure.FAILED, e)))
          .onSuccess(vertx -> {
            GatewayNode node;
            try {
              node = joined(config, vertx, manager, registry);
            } catch (RuntimeException e) {
              vertx.close().onComplete(closed -> started.fail(e));
              return;
            }
            node.keepPresence(manager.getHazelcastInstance()).compose(v -> node.deployRoles()).onComplete(deployed -> {
              if (deployed.succeeded()) {
                started.complete(node);
              } else {
                node.close().onComplete(closed -> started.fail(deployed.cause()));
              }
            });
          });
    } catch (StartupFailure e) {
      started.tryFail(e);
    } catch (NodeSettings.BadSetting e) {
      started.tryFail(new StartupFailure(e.getMessage(), StartupFailure.USAGE, e));
    }
    return started.future();
  }

  /** The node, once its Vert.x has joined the cluster: its id, its meters, its history. */
  private static GatewayNode joined(NodeConfig config, Vertx vertx, GatewayClusterManager manager,
      PrometheusMeterRegistry registry) {
    HazelcastInstance hazelcast = manager.getHazelcastInstance();
    // The node id is the Hazelcast member's UUID: the id every member sees in the membership.
    // (Vert.x's own node id is another UUID in vertx-hazelcast 5.)
    NodeLog.nodeJoined(hazelcast.getCluster().getLocalMember().getUuid().toString());
    FunctionCounter.builder("livegate.cluster.subscription.batches", manager,
            GatewayClusterManager::subscriptionBatches)
        .description("writes of this node's event-bus consumers to the cluster's subscriptions (each a batch of "
            + "registrations and removals)")
        .register(registry);
    FunctionCounter.builder("livegate.cluster.subscription.retries", manager,
            GatewayClusterManager::subscriptionRetries)
        .description("batches of this node's consumers sent to the cluster's subscriptions again, after the "
            + "cluster refused them while a member joined or left")
        .register(registry);
    PublicationHistory history = config.history().enabled()
        ? new HazelcastHistory(vertx, hazelcast, config.history(), registry)
        : PublicationHistory.NONE;
    return new GatewayNode(config, vertx, new HazelcastClusterView(hazelcast, config.minClusterSize()), registry,
        history, new HazelcastScoreLedger(vertx, hazelcast));
  }

  public String nodeId() {
    return cluster.localNodeId();
  }

  public Vertx vertx() {
    return vertx;
  }

  public NodeConfig config() {
    return config;
  }

  /** Joined, deployed, warmed up, not draining, and on the majority side of the cluster. */
  public boolean isReady() {
    return state.isReady();
  }

  /** Where the node is: what {@code GET /ready} says (see {@link NodeState}). */
  public NodeState state() {
    return state;
  }

  /** Moves to {@code next} and says so in one line; a draining node stays draining. */
  private void moveTo(NodeState next) {
    NodeState was = state;
    if (was == next || (was == NodeState.DRAINING && next != NodeState.DRAINING)) return;
    state = next;
    // A drain logs its own steps.
    if (next != NodeState.DRAINING) LOG.info("state " + was.label() + " -> " + next.label() + ": " + next.reason());
  }

  /** What the warm-up did before the node became ready, or null if there was none. */
  BridgeWarmUp.Outcome warmedUp() {
    return warmedUp;
  }

  /**
   * Drains the node, once however often it is asked: it stops being ready, its bridge refuses new connections
   * and closes the open ones with 1012 (reconnect, through the load balancer to another node); once they are
   * closed, or after {@link #DRAIN_WAIT_MS}, it leaves the cluster (an active simulator hands over).
   * Completes when the node has left: the same future as {@link #drained()}.
   */
  public Future<Void> drain() {
    if (!draining.compareAndSet(false, true)) return drained.future();
    drainStarted.complete();
    long start = System.nanoTime();
    moveTo(NodeState.DRAINING);
    LOG.info("draining: refusing new bridge connections, closing " + (bridge == null ? 0 : bridge.openConnections())
        + " open ones (1012, reconnect), then leaving the cluster");
    Future<Void> closed = bridge == null ? Future.succeededFuture() : connectionsClosed(bridge.drain());
    closed.eventually(this::close)
        .onSuccess(v -> LOG.info("drained in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)
            + " ms: left the cluster"))
        .onFailure(e -> LOG.warning("drain failed: " + e))
        .onComplete(drained);
    return drained.future();
  }

  /** Completes when a drain starts, however it was started. */
  public Future<Void> drainStarted() {
    return drainStarted.future();
  }

  /** Completes once a drain, however it was started (SIGTERM, {@code POST /api/admin/drain}), has ended. */
  public Future<Void> drained() {
    return drained.future();
  }

  /** Completes when the bridge holds no connection ({@code allClosed}), or after {@link #DRAIN_WAIT_MS} whatever it holds. */
  private Future<Void> connectionsClosed(Future<Void> allClosed) {
    Promise<Void> closed = Promise.promise();
    long timer = vertx.setTimer(DRAIN_WAIT_MS, id -> {
      LOG.warning(bridge.openConnections() + " bridge connections did not close within " + DRAIN_WAIT_MS + " ms");
      closed.tryComplete();
    });
    allClosed.onComplete(done -> {
      vertx.cancelTimer(timer);
      closed.tryComplete();
    });
    return closed.future();
  }

  /** Leaves the cluster: roles stop first (an active simulator hands over), then the cluster is left. */
  public Future<Void> close() {
    moveTo(NodeState.DRAINING);
    cluster.close();
    if (presence instanceof HazelcastPresence kept) kept.close();
    return vertx.close();
  }

  /**
   * Presence in the cluster ({@link HazelcastPresence}) for a node that serves browsers or the REST API and an
   * address that keeps it; else this node's alone, which keeps none. Its copy is loaded off the event loop.
   */
  private Future<Void> keepPresence(HazelcastInstance hazelcast) {
    boolean serves = config.has(Role.BRIDGE) || config.has(Role.REST);
    if (!serves || !config.presence().enabled()) {
      presence = new LocalPresence(vertx.eventBus(), new NodeConfig.PresenceSettings(List.of(), 0));
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> new HazelcastPresence(vertx, hazelcast, config.presence()), false)
        .map(kept -> {
          presence = kept;
          FunctionCounter.builder("livegate.presence.batches", kept, HazelcastPresence::batches)
              .description("writes of this node's presence changes to the cluster's map (each a batch of joins and "
                  + "leaves)")
              .register(registry);
          return null;
        });
  }

  private Future<GatewayNode> deployRoles() {
    Gauge.builder("livegate.cluster.nodes", cluster, c -> c.members().size())
        .description("members of the cluster this node sees").register(registry);
    NodeMetrics.countPublications(vertx.eventBus(), registry);
    statusConsumer = vertx.eventBus().consumer(Addresses.nodeStatus(nodeId()), this::answerStatus);
    Future<?> deployed = statusConsumer.completion()
        .compose(v -> vertx.eventBus().consumer(Addresses.PUBLISH, this::publishForService).completion());
    if (config.has(Role.SIMULATOR)) {
      deployed = deployed.compose(v -> vertx.deployVerticle(new SimulatorVerticle(config, cluster, registry, ledger)));
    }
    Probes probes = new Probes(this::state, registry::scrape);
    if (config.has(Role.BRIDGE)) {
      bridge = new BridgeVerticle(config, cluster, registry, publications, presence);
      // Without the rest role, the bridge port answers the probes (and /metrics): every node can be probed.
      if (!config.has(Role.REST)) bridge.serveProbes(probes);
      deployed = deployed.compose(v -> deploy(bridge, "bridge", "--bridge-port", config.bridgePort()));
    }
    if (config.has(Role.REST)) {
      deployed = deployed.compose(v ->
          deploy(new RestVerticle(config, cluster, registry, this::state, this::drain, publications, presence), "REST API",
              "--api-port",
              config.apiPort()));
    }
    if (!config.has(Role.BRIDGE) && !config.has(Role.REST)) {
      deployed = deployed.compose(v -> deploy(new ManagementVerticle(config, probes, registry), "management port",
          "--api-port", config.apiPort()));
    }
    return deployed.compose(v -> warmUp()).map(v -> {
      moveTo(cluster.inMajority() ? NodeState.READY : NodeState.MINORITY);
      vertx.runOnContext(c -> {
        cluster.onChange(this::clusterChanged);
        clusterChanged();
      });
      logStarted();
      return this;
    });
  }

  /**
   * On the minority side of a split the bridge sends its browsers elsewhere and refuses new ones (and {@code /ready}
   * answers 503), until the sides merge. After a merge the node's id may have changed: its status address follows.
   */
  private void clusterChanged() {
    boolean majority = cluster.inMajority();
    if (!majority && state == NodeState.READY) moveTo(NodeState.MINORITY);
    if (majority && state == NodeState.MINORITY) moveTo(NodeState.READY);
    if (bridge != null) bridge.standAside(!majority);
    String address = Addresses.nodeStatus(nodeId());
    if (statusConsumer != null && !statusConsumer.address().equals(address)) {
      statusConsumer.unregister();
      statusConsumer = vertx.eventBus().consumer(address, this::answerStatus);
    }
  }

  /** See {@link BridgeWarmUp}: never fails; a node whose warm-up could not run starts all the same. */
  private Future<Void> warmUp() {
    if (!config.warmUp() || !config.has(Role.BRIDGE)) return Future.succeededFuture();
    moveTo(NodeState.WARMING);
    return BridgeWarmUp.run(config, vertx.getOrCreateContext())
        .onSuccess(outcome -> {
          warmedUp = outcome;
          LOG.info(outcome.toString());
        })
        .onFailure(e -> LOG.warning("warm-up not completed (" + e.getMessage() + "): the node starts without it"))
        .<Void>mapEmpty()
        .recover(e -> Future.succeededFuture());
  }

  private Future<String> deploy(io.vertx.core.Deployable role, String what, String flag, int port) {
    return vertx.deployVerticle(role).recover(e -> Future.failedFuture(isBindFailure(e)
        ? new StartupFailure("port " + port + " (" + flag + ", " + what + ") is already in use", StartupFailure.USAGE, e)
        : new StartupFailure("the " + what + " did not start: " + e.getMessage(), StartupFailure.FAILED, e)));
  }

  private void answerStatus(Message<Object> request) {
    request.reply(new JsonObject()
        .put("connections", bridge == null ? 0 : bridge.openConnections())
        .put("draining", draining.get())
        .put("state", state.label()));
  }

  /**
   * A cluster member's publication ({@link Addresses#PUBLISH}, the target in the {@code address} header), kept and
   * numbered like one through the REST API. Its sender may ask for a reply: where it went, or why not (400 bad
   * address or body, 503 the history could not keep it).
   */
  private void publishForService(Message<Object> message) {
    String address = message.headers().get(HistoryHeaders.ADDRESS);
    if (address == null || address.isEmpty() || address.length() > Addresses.MAX_LENGTH || Addresses.isInternal(address)) {
      message.fail(400, "the address header must name an address of at most " + Addresses.MAX_LENGTH
          + " characters, not an internal one");
      return;
    }
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(message.headers()).remove(HistoryHeaders.ADDRESS);
    publications.publish(address, message.body(), headers).onComplete(done -> {
      if (done.succeeded()) {
        JsonObject reply = new JsonObject().put("address", address);
        if (done.result() != null) {
          reply.put(HistoryHeaders.OFFSET, Long.toString(done.result().offset())).put(HistoryHeaders.EPOCH, done.result().epoch());
        }
        message.reply(reply);
      } else if (done.cause() instanceof EncodeException) {
        message.fail(400, "the body of a kept publication must be JSON");
      } else {
        message.fail(503, "the history could not keep the publication: " + done.cause().getMessage());
      }
    });
  }

  private void logStarted() {
    String http = "http://" + config.httpHost() + ":";
    LOG.info("node " + nodeId() + " (" + config.displayName() + ") started: roles " + Role.format(config.roles())
        + (config.has(Role.BRIDGE) ? ", dashboard and bridge " + http + config.bridgePort() + "/ (SockJS /eventbus)" : "")
        + (config.has(Role.REST) ? ", REST API " + http + config.apiPort() + "/" : "")
        + ", /health /ready /metrics on port " + config.managementPort()
        + ", cluster '" + config.clusterName() + "' on " + config.clusterHost()
        + " with config " + HazelcastSetup.source(config) + ", member list " + String.join(",", config.members()));
    LOG.info(cluster.describeMembers());
  }

  /** Fails fast, before the cluster join, when a port this node needs is taken. */
  private static void checkPortsFree(NodeConfig config) {
    if (config.has(Role.BRIDGE)) checkPortFree(config.httpHost(), config.bridgePort(), "--bridge-port", "bridge");
    if (config.has(Role.REST)) checkPortFree(config.httpHost(), config.apiPort(), "--api-port", "REST API");
    if (!config.has(Role.BRIDGE) && !config.has(Role.REST)) {
      checkPortFree(config.httpHost(), config.apiPort(), "--api-port", "management port");
    }
  }

  private static void checkPortFree(String host, int port, String flag, String what) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(host, port));
    } catch (BindException e) {
      throw new StartupFailure("port " + port + " (" + flag + ", " + what + ") is already in use on " + host,
          StartupFailure.USAGE, e);
    } catch (IOException e) {
      throw new StartupFailure("cannot listen on " + host + ":" + port + " (" + flag + "): " + e.getMessage(),
          StartupFailure.USAGE, e);
    }
  }

  private static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException || String.valueOf(t.getMessage()).contains("Address already in use")) return true;
    }
    return false;
  }
}
