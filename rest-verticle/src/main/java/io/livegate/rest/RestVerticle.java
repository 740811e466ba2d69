package io.livegate.rest;

import io.livegate.core.Addresses;
import io.livegate.core.ClusterDirectory;
import io.livegate.core.ClusterView;
import io.livegate.core.HistoryHeaders;
import io.livegate.core.HttpGuard;
import io.livegate.core.LocalPresence;
import io.livegate.core.NodeConfig;
import io.livegate.core.NodeState;
import io.livegate.core.Presence;
import io.livegate.core.Probes;
import io.livegate.core.PublicationHistory;
import io.livegate.core.Publications;
import io.livegate.core.RefusalLog;
import io.livegate.core.ServerTls;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.ext.web.handler.PlatformHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The rest role: the HTTP API for services and operators (events, publish and send on the
 * clustered event bus, cluster nodes, health, readiness, metrics, and under {@code /api/admin} what
 * changes the node itself, such as drain). Every error goes through
 * {@link HttpErrors}; every address a caller names goes through {@link ServiceAddresses}.
 */
public final class RestVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(RestVerticle.class.getName());
  static final long MAX_SEND_TIMEOUT_MS = 60_000;
  /** A platform handler: Vert.x Web only lets those run before the body handler. */
  private static final PlatformHandler AS_BYTES = JsonBody::readAsBytes;
  private static final List<Integer> ROUTER_ERRORS = List.of(400, 404, 405, 413, 500);

  private final NodeConfig config;
  private final ClusterView cluster;
  private final PrometheusMeterRegistry registry;
  private final Supplier<NodeState> state;
  private final Runnable drain;
  private RefusalLog refusals;
  private AsyncMap<String, JsonObject> events;
  private HttpServer server;
  private Publications publications;
  private Presence presence;

  /**
   * @param ready whether the node has joined the cluster and deployed its roles (and is not draining)
   * @param drain starts draining the node, which then leaves the cluster and exits; called after the answer
   */
  public RestVerticle(NodeConfig config, ClusterView cluster, PrometheusMeterRegistry registry, BooleanSupplier ready,
      Runnable drain) {
    this(config, cluster, registry, () -> ready.getAsBoolean() ? NodeState.READY : NodeState.JOINING, drain, null);
  }

  /**
   * @param state        where the node is ({@code /ready} answers 200 when it is ready, else 503 with the reason)
   * @param drain        starts draining the node, which then leaves the cluster and exits; called after the answer
   * @param publications how this node publishes (keeping what the history keeps); null: without history
   */
  public RestVerticle(NodeConfig config, ClusterView cluster, PrometheusMeterRegistry registry, Supplier<NodeState> state,
      Runnable drain, Publications publications) {
    this(config, cluster, registry, state, drain, publications, null);
  }

  /** @param presence who is where, cluster-wide ({@code GET /api/presence/{address}}); null: this node's alone */
  public RestVerticle(NodeConfig config, ClusterView cluster, PrometheusMeterRegistry registry, Supplier<NodeState> state,
      Runnable drain, Publications publications, Presence presence) {
    this.presence = presence;
    this.publications = publications;
    this.config = config;
    this.cluster = cluster;
    this.registry = registry;
    this.state = state;
    this.drain = drain;
  }

  @Override
  public Future<?> start() {
    if (publications == null) publications = new Publications(vertx.eventBus(), PublicationHistory.NONE);
    if (presence == null) presence = new LocalPresence(vertx.eventBus(), config.presence());
    refusals = new RefusalLog(vertx, LOG);
    Router router = Router.router(vertx);
    mountCors(router);
    mountOperations(router);
    mountAdmin(router);
    mountEvents(router);
    mountMessaging(router);
    mountErrors(router);
    return vertx.sharedData().<String, JsonObject>getAsyncMap(Addresses.EVENTS_MAP)
        .compose(map -> {
          events = map;
          return listen(router);
        })
        .onSuccess(this::logListening);
  }

  /**
   * Every connection passes the guard first (deadlines for headers and bodies, unfinished connections, file
   * descriptors). The API keeps a quarter of the bridge's descriptor reserve: once the bridge refuses for want of
   * descriptors, {@code /health}, {@code /ready} and the API still answer. HTTP/1.1 only (no h2c): the guard's
   * deadlines are those of a connection with one request at a time, and services speak HTTP/1.1.
   */
  private Future<HttpServer> listen(Router router) {
    HttpServer created = vertx.createHttpServer(ServerTls.apply(new HttpServerOptions().setHttp2ClearTextEnabled(false),
        config.security()));
    HttpGuard guard = new HttpGuard(vertx, "rest", config.http(), config.http().descriptorReserve() / 4, registry,
        HttpErrors::guardAnswer);
    return created.requestHandler(guard.guard(created, router)).listen(config.apiPort(), config.httpHost());
  }

  /** The port the API listens on; differs from the configured one when that was 0. */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  /** Pages of the configured origins may call the API from a browser; without configuration, none may. */
  private void mountCors(Router router) {
    List<String> origins = config.security().corsOrigins();
    if (origins.isEmpty()) return;
    CorsHandler cors = CorsHandler.create()
        .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.OPTIONS))
        .allowedHeaders(Set.of("Content-Type", "Authorization"));
    origins.forEach(cors::addOrigin);
    router.route().handler(cors);
  }

  private void mountOperations(Router router) {
    Probes probes = new Probes(state, registry::scrape);
    router.get(Probes.HEALTH).handler(ctx -> probes.health(ctx.response()));
    router.get(Probes.READY).handler(ctx -> probes.ready(ctx.response()));
    router.get(Probes.METRICS).handler(PrometheusScrapingHandler.create(registry));
    router.get("/api/cluster/nodes").handler(this::listClusterNodes);
    router.get("/api/presence/:address").handler(serviceToken()).handler(this::listPresence);
  }

  /** Everything that changes the node itself: one prefix, behind the service token. */
  private void mountAdmin(Router router) {
    router.post("/api/admin/drain").handler(serviceToken()).handler(AS_BYTES).handler(bodies()).handler(this::drain);
  }

  private void mountEvents(Router router) {
    router.get("/events").handler(this::listEvents);
    router.get("/events/:id").handler(this::getEvent);
  }

  private void mountMessaging(Router router) {
    router.post("/api/publish/:address").handler(serviceToken()).handler(AS_BYTES).handler(bodies()).handler(this::publish);
    router.post("/api/send/:address").handler(serviceToken()).handler(AS_BYTES).handler(bodies()).handler(this::send);
  }

  private BodyHandler bodies() {
    return BodyHandler.create(false).setBodyLimit(config.maxBodyBytes());
  }

  private void mountErrors(Router router) {
    router.route().failureHandler(ctx -> answerFailure(ctx, ctx.statusCode()));
    // An error handler gets the status only here: the context does not carry it.
    ROUTER_ERRORS.forEach(status -> router.errorHandler(status, ctx -> answerFailure(ctx, status)));
  }

  private void logListening(HttpServer listening) {
    server = listening;
    String scheme = config.security().tls() ? "https" : "http";
    LOG.info("node " + cluster.localNodeId() + ": REST API listening on " + scheme + "://" + config.httpHost() + ":"
        + listening.actualPort() + (config.security().apiToken() == null ? "" : "; publish, send and admin need the service token"));
    String open = openApiWarning(config, listening.actualPort());
    if (open != null) LOG.warning("node " + cluster.localNodeId() + ": " + open);
  }

  /** The warning for an API without a service token bound beyond loopback, or null when there is none to give. */
  static String openApiWarning(NodeConfig config, int port) {
    if (config.security().apiToken() != null || isLoopback(config.httpHost())) return null;
    return "THE REST API IS OPEN on " + config.httpHost() + ":" + port + ": anyone who reaches it can publish, send "
        + "and drain this node. Set --api-token (API_TOKEN), or bind it to loopback with --http-host 127.0.0.1.";
  }

  private static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
  }

  /**
   * The service token, when one is configured: {@code Authorization: Bearer <token>}, compared in constant
   * time. A platform handler, so that it runs before the body is read.
   */
  private PlatformHandler serviceToken() {
    return this::requireServiceToken;
  }

  private void requireServiceToken(RoutingContext ctx) {
    String token = config.security().apiToken();
    if (token == null || isBearer(ctx.request().getHeader(HttpHeaders.AUTHORIZATION), token)) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"livegate\"");
    throw new ApiError(401, "a service token is needed: Authorization: Bearer <token>");
  }

  private static boolean isBearer(String authorization, String token) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
    return MessageDigest.isEqual(authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8),
        token.getBytes(StandardCharsets.UTF_8));
  }

  // ---- operations

  /** Every member, oldest first, with its open bridge connections, drain and state asked of each node, all at once. */
  private void listClusterNodes(RoutingContext ctx) {
    new ClusterDirectory(vertx, cluster).describe(true)
        .onSuccess(list -> answer(ctx, 200, list))
        .onFailure(ctx::fail);
  }

  /**
   * Who is on an address that keeps presence, as this node's copy of the cluster's has it: {@code {address, count,
   * members, more}} (the service token, if there is one: the list names the browsers' users).
   */
  private void listPresence(RoutingContext ctx) {
    String address = ServiceAddresses.check(ctx.pathParam("address"));
    if (!presence.tracks(address)) {
      throw new ApiError(404, address + " keeps no presence (see --presence-addresses)");
    }
    answer(ctx, 200, Presence.listing(address, presence.members(address)));
  }

  // ---- admin

  /**
   * Answers 202 first, then drains: the node refuses new bridge connections, closes the open ones with a
   * close code that tells clients to reconnect, hands its simulator over, leaves the cluster and exits.
   */
  private void drain(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body != null && body.length() > 0) throw new ApiError(400, "POST /api/admin/drain takes no body");
    LOG.info("node " + cluster.localNodeId() + ": drain requested by " + ctx.request().remoteAddress() + " (REST API)");
    JsonObject answer = new JsonObject().put("node", cluster.localNodeId()).put("draining", true);
    answerEncoded(ctx, 202, Json.encodeToBuffer(answer)).onComplete(sent -> drain.run());
  }

  // ---- events

  private void listEvents(RoutingContext ctx) {
    events.entries()
        .map(RestVerticle::sortedById)
        .onSuccess(list -> answer(ctx, 200, list))
        .onFailure(ctx::fail);
  }

  private static JsonArray sortedById(Map<String, JsonObject> entries) {
    if (entries.isEmpty()) throw new ApiError(503, "no events published yet");
    return new JsonArray(List.copyOf(new TreeMap<>(entries).values()));
  }

  /** Vert.x Web hands the path parameter decoded: {@code EVENT%2300} arrives as {@code EVENT#00}. */
  private void getEvent(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    events.get(id)
        .map(event -> known(id, event))
        .onSuccess(event -> answer(ctx, 200, event))
        .onFailure(ctx::fail);
  }

  private static JsonObject known(String id, JsonObject event) {
    if (event == null) throw new ApiError(404, "no event with id " + id);
    return event;
  }

  // ---- messaging

  private void publish(RoutingContext ctx) {
    String address = ServiceAddresses.check(ctx.pathParam("address"));
    publications.publish(address, JsonBody.decode(ctx.body()), null)
        .onSuccess(stamp -> answer(ctx, 202, published(address, stamp)))
        .onFailure(e -> ctx.fail(new ApiError(503, "the history could not keep the publication; nothing was published")));
  }

  /** 202's body: where the publication went; on an address that keeps a history, its offset and epoch too. */
  private static JsonObject published(String address, PublicationHistory.Stamp stamp) {
    JsonObject body = new JsonObject().put("address", address).put("published", true);
    if (stamp != null) {
      body.put(HistoryHeaders.OFFSET, Long.toString(stamp.offset())).put(HistoryHeaders.EPOCH, stamp.epoch());
    }
    return body;
  }

  private void send(RoutingContext ctx) {
    String address = ServiceAddresses.check(ctx.pathParam("address"));
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(sendTimeout(ctx));
    vertx.eventBus().<Object>request(address, JsonBody.decode(ctx.body()), options)
        .recover(failure -> Future.failedFuture(replyError(address, failure)))
        .map(reply -> replyAsJson(address, reply.body()))
        .onSuccess(json -> answerEncoded(ctx, 200, json))
        .onFailure(ctx::fail);
  }

  /** A JsonObject or JsonArray reply as is, a String, number or boolean as a JSON value. */
  private static Buffer replyAsJson(String address, Object body) {
    try {
      return Json.encodeToBuffer(body);
    } catch (EncodeException e) {
      throw new ApiError(502, "the reply from " + address + " cannot be expressed as JSON");
    }
  }

  private long sendTimeout(RoutingContext ctx) {
    String raw;
    try {
      raw = ctx.queryParams().get("timeout");
    } catch (IllegalArgumentException badEncoding) {
      throw new ApiError(400, "the query string is not valid URL encoding");
    }
    if (raw == null) return config.sendTimeoutMs();
    try {
      long ms = Long.parseLong(raw);
      if (ms >= 1 && ms <= MAX_SEND_TIMEOUT_MS) return ms;
    } catch (NumberFormatException notANumber) {
      // answered below, like a number out of range
    }
    throw new ApiError(400, "timeout must be a whole number of milliseconds from 1 to " + MAX_SEND_TIMEOUT_MS);
  }

  private static Throwable replyError(String address, Throwable failure) {
    if (!(failure instanceof ReplyException reply)) return failure;
    return switch (reply.failureType()) {
      case NO_HANDLERS -> new ApiError(503, "no handler for address " + address);
      case TIMEOUT -> new ApiError(504, "no reply from " + address + " in time");
      case RECIPIENT_FAILURE -> new ApiError(502,
          reply.getMessage() != null ? reply.getMessage() : "the handler of " + address + " failed",
          new JsonObject().put("failureCode", reply.failureCode()));
      case ERROR -> new ApiError(502, "could not deliver to " + address + ": " + reply.getMessage());
    };
  }

  // ---- answers

  private void answerFailure(RoutingContext ctx, int status) {
    HttpErrors.respondToFailure(ctx, status, config.maxBodyBytes(), refusals);
  }

  /** A success: {@code value} (a JsonObject, JsonArray or plain JSON value) as JSON. */
  private static void answer(RoutingContext ctx, int status, Object value) {
    answerEncoded(ctx, status, Json.encodeToBuffer(value));
  }

  private static Future<Void> answerEncoded(RoutingContext ctx, int status, Buffer json) {
    return ctx.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, HttpErrors.JSON)
        .end(json);
  }
}
