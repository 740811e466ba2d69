package io.livegate.bridge;

import io.livegate.core.ClusterDirectory;
import io.livegate.core.ClusterView;
import io.livegate.core.ErrorBody;
import io.livegate.core.HttpGuard;
import io.livegate.core.LocalPresence;
import io.livegate.core.NodeConfig;
import io.livegate.core.Presence;
import io.livegate.core.Probes;
import io.livegate.core.PublicationHistory;
import io.livegate.core.Publications;
import io.livegate.core.ServerTls;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import java.util.logging.Logger;

/**
 * The browser-facing role: the event-bus bridge at {@code /eventbus} (SockJS, including a raw WebSocket at
 * {@code /eventbus/websocket}) and the dashboard page at {@code /}.
 */
public final class BridgeVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(BridgeVerticle.class.getName());
  private static final String EVENTBUS_ROUTE = "/eventbus/*";
  private static final String WEBROOT = "webroot";
  private static final String RAW_WEBSOCKET = "/eventbus/websocket";
  private static final String RAW_WEBSOCKET_SLASH = RAW_WEBSOCKET + "/";
  /** The dashboard's list of the cluster's nodes (see {@link ClusterDirectory}). */
  public static final String CLUSTER_PATH = "/cluster";
  /** The close code of a draining node: 1012, Service Restart. Clients reconnect, through the balancer. */
  public static final short DRAIN_CLOSE_CODE = 1012;
  public static final String DRAIN_CLOSE_REASON = "node draining, reconnect";
  /** The close reason of a node on the minority side of a split (code {@link #DRAIN_CLOSE_CODE}, reconnect elsewhere). */
  public static final String MINORITY_CLOSE_REASON = "node cut off from the cluster, reconnect";

  private final NodeConfig config;
  private final ClusterView cluster;
  private final BridgeMetrics metrics;
  private final MeterRegistry registry;
  private HttpGuard guard;
  private volatile HttpServer server;
  private final AllowedOrigins origins;
  private AdmissionGate gate;
  private EventBusBridge bridge;
  private Publications publications;
  private Presence presence;
  private Probes probes;

  /** A bridge whose node keeps no history: every publication goes out as it is. */
  public BridgeVerticle(NodeConfig config, ClusterView cluster, MeterRegistry registry) {
    this(config, cluster, registry, null);
  }

  /** @param publications how this node publishes (keeping what the history keeps); null: without history */
  public BridgeVerticle(NodeConfig config, ClusterView cluster, MeterRegistry registry, Publications publications) {
    this(config, cluster, registry, publications, null);
  }

  /**
   * @param publications how this node publishes (keeping what the history keeps); null: without history
   * @param presence     who is where, cluster-wide; null: this node's alone ({@link LocalPresence})
   */
  public BridgeVerticle(NodeConfig config, ClusterView cluster, MeterRegistry registry, Publications publications,
      Presence presence) {
    this.presence = presence;
    this.publications = publications;
    this.config = config;
    this.cluster = cluster;
    this.metrics = new BridgeMetrics(registry);
    this.registry = registry;
    this.origins = new AllowedOrigins(config.security().allowedOrigins());
  }

  @Override
  public Future<?> start() {
    PermittedAddresses permitted = new PermittedAddresses(config.inboundPermitted(), config.outboundPermitted());
    BrowserAuth auth = new BrowserAuth(vertx, config.security().browserTokens(), permitted);
    if (publications == null) publications = new Publications(vertx.eventBus(), PublicationHistory.NONE);
    if (presence == null) presence = new LocalPresence(vertx.eventBus(), config.presence());
    metrics.presence(presence);
    gate = new AdmissionGate(origins, config.limits().maxConnections(), () -> bridge.openSockets(), metrics);
    bridge = new EventBusBridge(vertx, gate, new FrameValidator(config.maxFrameBytes(), presence::tracks), auth,
        metrics, cluster::localNodeId, config.displayName(), config.sendTimeoutMs(), config.idleTimeoutMs(),
        config.maxQueuedBytes(),
        config.limits(), publications, presence, config.presence().maxEntries());
    RawWebSocketUpgrade rawWebSocket = new RawWebSocketUpgrade(context, frameLimit(),
        config.maxFrameBytes(), config.maxQueuedBytes(), bridge::accept);
    Router router = Router.router(vertx);
    mountEventBus(router, bridge);
    mountDashboard(router);
    bridge.start();
    return listen(request -> route(request, rawWebSocket, router)).onSuccess(listening -> announce(listening, permitted));
  }

  /**
   * This port also answers {@code /health}, {@code /ready} and {@code /metrics} (a node without the rest role: the
   * bridge port is the one it has). Before deployment.
   */
  public BridgeVerticle serveProbes(Probes nodeProbes) {
    this.probes = nodeProbes;
    return this;
  }

  /** Browser connections open on this bridge now (the launcher reports them). */
  public int openConnections() {
    return metrics.connections();
  }

  /**
   * Drains this bridge: from now on new bridge connections are refused with 503, and the open ones are
   * closed with {@link #DRAIN_CLOSE_CODE} and {@link #DRAIN_CLOSE_REASON}. Completes once the last of them has
   * closed (as the clients acknowledge; {@link #openConnections()} falls to 0 meanwhile).
   */
  public Future<Void> drain() {
    gate.drain();
    Promise<Void> closed = Promise.promise();
    context.runOnContext(v -> bridge.drain(DRAIN_CLOSE_CODE, DRAIN_CLOSE_REASON).onComplete(closed));
    return closed.future();
  }

  /** What this bridge holds for its WebSocket connections now (see {@link RawWebSocket}), read on its context: for tests. */
  Future<Long> heldBytes() {
    Promise<Long> held = Promise.promise();
    context.runOnContext(v -> held.complete(bridge.heldBytes()));
    return held.future();
  }

  /**
   * While {@code aside}, the bridge refuses like a draining one and closes its open connections with
   * {@link #DRAIN_CLOSE_CODE} and {@link #MINORITY_CLOSE_REASON}, so a load balancer moves its browsers to the majority
   * side of a split; once no longer aside, it admits them again (unless it drains).
   */
  public void standAside(boolean aside) {
    if (!gate.standAside(aside)) return;
    context.runOnContext(v -> {
      if (aside) {
        bridge.drain(DRAIN_CLOSE_CODE, MINORITY_CLOSE_REASON);
      } else if (!gate.isDraining()) {
        bridge.admitAgain();
      }
    });
  }

  /** The guard of the bridge port's HTTP connections (for tests). */
  HttpGuard guard() {
    return guard;
  }

  /** The port the bridge listens on (the actual one if configured as 0), or -1 before it listens. */
  public int port() {
    return server == null ? -1 : server.actualPort();
  }

  /**
   * The raw WebSocket is ours, ahead of the router (and of SockJS's own route for it): the same frames on a
   * connection of a few hundred bytes, written from bytes shared by all sockets. Everything else is routed.
   */
  private void route(HttpServerRequest request, RawWebSocketUpgrade rawWebSocket, Router router) {
    String path = request.path();
    if (probes != null && probes.answer(request)) return;
    if (RAW_WEBSOCKET.equals(path) || RAW_WEBSOCKET_SLASH.equals(path)) {
      routeRawWebSocket(request, rawWebSocket);
    } else {
      router.handle(request);
    }
  }

  private void routeRawWebSocket(HttpServerRequest request, RawWebSocketUpgrade rawWebSocket) {
    if (gate.atRequest(request, true) instanceof AdmissionGate.Refused refused) {
      gate.refuse(request.response(), refused);
    } else {
      rawWebSocket.handle(request);
      // Taken over (101, or no answer at all): Vert.x no longer sees that connection, nor will the guard.
      if (request.response().getStatusCode() == 101 || !request.response().ended()) guard.handedOver(request);
    }
  }

  private void mountEventBus(Router router, EventBusBridge bridge) {
    router.route(EVENTBUS_ROUTE).handler(ctx -> {
      if (gate.atRequest(ctx.request(), false) instanceof AdmissionGate.Refused refused) {
        gate.refuse(ctx.response(), refused);
      } else {
        ctx.next();
      }
    });
    // What SockJS's send transports are given is checked once, here: before the body is read, then once it is.
    SockJsSends sends = new SockJsSends(SockJsSends.bodyLimit(config.maxFrameBytes()), registry);
    String sendPath = SockJsSends.SEND_PATH.pattern();
    router.routeWithRegex(HttpMethod.POST, sendPath).handler(sends::checkHead);
    // The SockJS fallback transports (xhr_send) read the request body; without this they answer 500. POST only: on a
    // GET (a WebSocket upgrade that says Content-Length: 0) it would have read the request SockJS then upgrades.
    router.post(EVENTBUS_ROUTE).handler(BodyHandler.create(false)
        .setBodyLimit(SockJsSends.bodyLimit(config.maxFrameBytes())));
    router.routeWithRegex(HttpMethod.POST, sendPath).handler(sends::checkBody);
    router.route(EVENTBUS_ROUTE)
        .subRouter(SockJSHandler.create(vertx, new SockJSHandlerOptions()).socketHandler(bridge));
    router.route().failureHandler(sends::answerFailure);
  }

  private void mountDashboard(Router router) {
    // The dashboard's cluster panel: the nodes without their hosts and ports (those are the REST API's to tell).
    ClusterDirectory directory = new ClusterDirectory(vertx, cluster);
    router.get(CLUSTER_PATH).handler(ctx -> directory.describe(false).onComplete(listed -> {
      if (listed.succeeded()) {
        ctx.response().putHeader("Content-Type", ErrorBody.JSON).putHeader("Cache-Control", "no-store")
            .end(listed.result().encode());
      } else {
        ErrorBody.answer(ctx.response(), 503, "the cluster's membership cannot be read now");
      }
    }));
    // Revalidated on every load (a cheap 304 when unchanged): the default, a day "immutable", would keep
    // serving the previous release's page and scripts to browsers after an upgrade.
    router.route().handler(StaticHandler.create(WEBROOT).setMaxAgeSeconds(0));
    // What no route serves: the shape of every error of the node, not Vert.x Web's HTML page.
    router.errorHandler(404, ctx -> ErrorBody.answer(ctx.response(), 404,
        "nothing here: " + ctx.request().path() + " is not a path of this port"));
    router.errorHandler(405, ctx -> ErrorBody.answer(ctx.response(), 405,
        "method " + ctx.request().method() + " is not allowed on " + ctx.request().path()));
  }

  /**
   * Every connection passes the guard first (file descriptors, deadlines for headers and bodies, unfinished ones); the
   * REST port keeps a quarter of the bridge's descriptor reserve, so it still answers once the bridge refuses.
   */
  private Future<HttpServer> listen(Handler<HttpServerRequest> requests) {
    HttpServer created = vertx.createHttpServer(serverOptions());
    guard = new HttpGuard(vertx, "bridge", config.http(), config.http().descriptorReserve(), registry,
        ErrorBody::guardAnswer);
    return created.requestHandler(guard.guard(created, requests)).listen(config.bridgePort(), config.httpHost());
  }

  /**
   * Transport limits above the frame limit, so a frame a little too large gets a polite
   * {@code frame_too_large} rather than a dropped connection; far beyond, the transport drops it.
   */
  private HttpServerOptions serverOptions() {
    return ServerTls.apply(new HttpServerOptions()
        .setMaxWebSocketFrameSize(frameLimit())
        .setMaxWebSocketMessageSize(transportLimit())
        // Browsers never speak h2c, and the bridge's frames are small: neither is worth its handlers on every
        // connection. Strict threading: every write is on the verticle's event loop anyway, and a connection
        // then needs no queue for writes from other threads (a 4 KiB array per connection, made and dropped).
        .setHttp2ClearTextEnabled(false)
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)
        .setStrictThreadMode(true)
        // A jsonp_send's form field holds a whole send; Vert.x's default (8 KiB) would fail a large one.
        .setMaxFormAttributeSize((int) SockJsSends.bodyLimit(config.maxFrameBytes())), config.security());
  }

  private int frameLimit() {
    return Math.max(HttpServerOptions.DEFAULT_MAX_WEBSOCKET_FRAME_SIZE, 2 * config.maxFrameBytes());
  }

  private int transportLimit() {
    return Math.max(HttpServerOptions.DEFAULT_MAX_WEBSOCKET_MESSAGE_SIZE, 4 * config.maxFrameBytes());
  }

  private void announce(HttpServer listening, PermittedAddresses permitted) {
    server = listening;
    LOG.info(String.format("Bridge listening on %s://%s:%d (SockJS /eventbus, raw WebSocket /eventbus/websocket, "
            + "dashboard /) for node %s; permitted %s; pages of %s", config.security().tls() ? "https" : "http", config.httpHost(),
        listening.actualPort(), cluster.localNodeId(), permitted, origins));
  }
}
