package io.livegate.rest;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.core.Addresses;
import io.livegate.core.ClusterView;
import io.livegate.core.NodeConfig;
import io.livegate.core.NodeSettings;
import io.livegate.core.NodeInfo;
import io.livegate.core.NodeState;
import io.livegate.core.Role;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The REST API on a real port of a real (non-clustered) Vert.x, through a real HTTP client. */
class RestVerticleTest {
  private static final String HOST = "127.0.0.1";
  private static final int MAX_BODY = 1024;
  private static final String SELF = "node-a";
  private static final String SILENT = "node-b";
  private static final String ALSO_SILENT = "node-c";
  private static final long STARTED_A = Instant.parse("2026-11-22T10:00:00Z").toEpochMilli();
  private static final long STARTED_B = Instant.parse("2026-11-22T10:05:00Z").toEpochMilli();

  private final AtomicReference<NodeState> state = new AtomicReference<>(NodeState.READY);
  private final AtomicBoolean membershipBroken = new AtomicBoolean(false);
  private final AtomicInteger drains = new AtomicInteger();
  private Vertx vertx;
  private PrometheusMeterRegistry registry;
  private WebClient client;
  private int port;

  @BeforeEach
  void startApi() {
    vertx = Vertx.vertx();
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    RestVerticle api = new RestVerticle(config(), new ThreeMembers(), registry, state::get, drains::incrementAndGet,
        null);
    await(vertx.deployVerticle(api));
    port = api.actualPort();
    client = WebClient.create(vertx);
  }

  @AfterEach
  void stopApi() {
    if (client != null) client.close();
    await(vertx.close());
    registry.close();
  }

  // ---- operations

  @Test
  void healthAnswersUp() {
    HttpResponse<Buffer> response = get("/health");
    assertEquals(200, response.statusCode());
    assertEquals(new JsonObject().put("status", "UP").put("state", "ready"), response.bodyAsJsonObject());
  }

  @Test
  void readyAnswers503WithTheStateAndItsReasonUntilTheNodeIsReady() {
    for (NodeState notReady : List.of(NodeState.JOINING, NodeState.WARMING, NodeState.DRAINING)) {
      state.set(notReady);
      HttpResponse<Buffer> refused = get("/ready");
      assertError(refused, 503);
      JsonObject body = refused.bodyAsJsonObject();
      assertEquals(notReady.label(), body.getString("state"), body.encode());
      assertEquals("not ready: " + notReady.reason(), body.getString("error"));
      assertEquals("1", refused.getHeader("Retry-After"));
      assertEquals(200, get("/health").statusCode(), "alive whatever the state");
    }
    assertTrue(NodeState.DRAINING.reason().contains("draining"), "a drain is not called a join");
    state.set(NodeState.READY);
    HttpResponse<Buffer> response = get("/ready");
    assertEquals(200, response.statusCode());
    assertEquals(new JsonObject().put("status", "READY").put("state", "ready"), response.bodyAsJsonObject());
  }

  @Test
  void metricsServeTheRegistryInPrometheusText() {
    registry.counter("livegate.test.hits").increment();
    HttpResponse<Buffer> response = get("/metrics");
    assertEquals(200, response.statusCode());
    assertTrue(response.getHeader("Content-Type").startsWith("text/plain"), response.getHeader("Content-Type"));
    assertTrue(response.bodyAsString().contains("livegate_test_hits_total 1.0"), response.bodyAsString());
  }

  @Test
  void clusterNodesListEveryMemberOldestFirstWithNullConnectionsForSilentNodesAskedInParallel() {
    vertx.eventBus().consumer(Addresses.nodeStatus(SELF), m -> m.reply(new JsonObject().put("connections", 3)));
    await(vertx.eventBus().consumer(Addresses.nodeStatus(SILENT), m -> { /* never answers */ }).completion());
    await(vertx.eventBus().consumer(Addresses.nodeStatus(ALSO_SILENT), m -> { /* never answers */ }).completion());

    long start = System.nanoTime();
    HttpResponse<Buffer> response = get("/api/cluster/nodes");
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertEquals(200, response.statusCode());
    // Two silent nodes at 1 s each: asked one after the other, that would take 2 s.
    assertTrue(tookMs >= 1000 && tookMs < 1800, "answered after " + tookMs + " ms");
    JsonArray nodes = response.bodyAsJsonArray();
    assertEquals(3, nodes.size());
    JsonObject a = nodes.getJsonObject(0);
    assertEquals(SELF, a.getString("id"));
    assertEquals(HOST, a.getString("host"));
    assertEquals(8080, a.getInteger("bridgePort"));
    assertEquals(8081, a.getInteger("apiPort"));
    assertEquals(8081, a.getInteger("managementPort"));
    assertEquals(HOST + ":8080", a.getString("name"));
    assertEquals(new JsonArray().add("bridge").add("rest").add("simulator"), a.getJsonArray("roles"));
    assertEquals(3, a.getInteger("connections"));
    assertEquals("2026-11-22T10:00:00Z", a.getString("startedAt"));
    assertTrue(a.getLong("uptimeMs") > 0);
    assertTrue(a.getBoolean("self"));
    assertFalse(a.getBoolean("draining"));
    JsonObject b = nodes.getJsonObject(1);
    assertEquals(SILENT, b.getString("id"));
    assertEquals(new JsonArray().add("rest"), b.getJsonArray("roles"));
    assertTrue(b.containsKey("bridgePort") && b.getValue("bridgePort") == null, "a rest-only node has no bridge port");
    assertEquals(8083, b.getInteger("managementPort"));
    assertTrue(b.containsKey("connections"));
    assertNull(b.getValue("connections"));
    assertNull(b.getValue("draining"));
    assertFalse(b.getBoolean("self"));
    assertEquals(ALSO_SILENT, nodes.getJsonObject(2).getString("id"));
    assertNull(nodes.getJsonObject(2).getValue("connections"));
  }

  @Test
  void clusterNodesOfANodeThatCannotAnswerItsStatusAreListedWithNullConnections() {
    vertx.eventBus().consumer(Addresses.nodeStatus(SELF), m -> m.reply("not a status object"));
    JsonArray nodes = get("/api/cluster/nodes").bodyAsJsonArray();
    assertEquals(3, nodes.size());
    nodes.forEach(node -> assertNull(((JsonObject) node).getValue("connections"), node.toString()));
  }

  @Test
  void anUnexpectedFailureAnswers500WithoutAStackTrace() {
    membershipBroken.set(true);
    HttpResponse<Buffer> response = get("/api/cluster/nodes");
    assertError(response, 500);
    assertFalse(response.bodyAsString().contains("membership"), response.bodyAsString());
  }

  @Test
  void clusterNodesShowANodeThatIsDraining() {
    vertx.eventBus().consumer(Addresses.nodeStatus(SELF),
        m -> m.reply(new JsonObject().put("connections", 0).put("draining", true)));
    assertTrue(get("/api/cluster/nodes").bodyAsJsonArray().getJsonObject(0).getBoolean("draining"));
  }

  // ---- admin

  @Test
  void drainAnswers202ThenDrainsTheNode() {
    HttpResponse<Buffer> response = await(client.post(port, HOST, "/api/admin/drain").send());
    assertEquals(202, response.statusCode(), response.bodyAsString());
    assertEquals(new JsonObject().put("node", SELF).put("draining", true), response.bodyAsJsonObject());
    waitUntil(() -> drains.get() == 1);
  }

  @Test
  void drainWithABodyAnswers400AndDoesNotDrain() {
    assertError(post("/api/admin/drain", "{\"now\":true}"), 400);
    assertError(post("/api/admin/drain", "x".repeat(MAX_BODY + 1)), 413);
    assertEquals(0, drains.get());
  }

  @Test
  void drainWithAWrongMethodAnswers405AndDoesNotDrain() {
    assertError(get("/api/admin/drain"), 405);
    assertError(request(HttpMethod.PUT, "/api/admin/drain"), 405);
    assertError(request(HttpMethod.DELETE, "/api/admin/drain"), 405);
    assertError(get("/api/admin/nope"), 404);
    assertEquals(0, drains.get());
  }

  // ---- events

  @Test
  void eventsAreListedSortedById() {
    AsyncMap<String, JsonObject> map = eventsMap();
    for (int i : new int[] {2, 0, 1}) await(map.put("EVENT#0" + i, event(i)));

    HttpResponse<Buffer> response = get("/events");

    assertEquals(200, response.statusCode());
    assertEquals(new JsonArray().add(event(0)).add(event(1)).add(event(2)), response.bodyAsJsonArray());
  }

  @Test
  void eventsAnswer503BeforeAnyIsPublished() {
    assertError(get("/events"), 503);
  }

  @Test
  void oneEventIsFoundByItsUrlEncodedId() {
    await(eventsMap().put("EVENT#00", event(0)));
    HttpResponse<Buffer> response = get("/events/EVENT%2300");
    assertEquals(200, response.statusCode());
    assertEquals(event(0), response.bodyAsJsonObject());
  }

  @Test
  void unknownEventIdAnswers404() {
    await(eventsMap().put("EVENT#00", event(0)));
    assertError(get("/events/EVENT%2399"), 404);
  }

  // ---- publish

  @Test
  void publishReturns202AndReachesConsumer() {
    Promise<Object> received = Promise.promise();
    await(vertx.eventBus().consumer("chat.lobby", m -> received.tryComplete(m.body())).completion());

    HttpResponse<Buffer> response = post("/api/publish/chat.lobby", "{\"text\":\"hello\"}");

    assertEquals(202, response.statusCode());
    assertEquals(new JsonObject().put("address", "chat.lobby").put("published", true), response.bodyAsJsonObject());
    assertEquals(new JsonObject().put("text", "hello"), await(received.future()));
  }

  @Test
  void publishDeliversEveryKindOfJsonValueAsItsEventBusType() {
    List<Object> received = new ArrayList<>();
    await(vertx.eventBus().consumer("public.kinds", m -> received.add(m.body())).completion());

    for (String body : List.of("[1,\"two\"]", "\"text\"", "42", "12345678901", "1.5", "true", "null")) {
      assertEquals(202, post("/api/publish/public.kinds", body).statusCode(), body);
    }

    waitUntil(() -> received.size() == 7);
    assertEquals(List.of(new JsonArray().add(1).add("two"), "text", 42, 12345678901L, 1.5, true),
        received.subList(0, 6));
    assertNull(received.get(6));
  }

  @Test
  void publishAcceptsJsonSentWithTheContentTypeCurlUses() {
    Promise<Object> received = Promise.promise();
    await(vertx.eventBus().consumer("chat.curl", m -> received.tryComplete(m.body())).completion());

    HttpResponse<Buffer> response = await(client.post(port, HOST, "/api/publish/chat.curl")
        .putHeader("Content-Type", "application/x-www-form-urlencoded")
        .sendBuffer(Buffer.buffer("{\"text\":\"100% & more=yes\"}")));

    assertEquals(202, response.statusCode(), response.bodyAsString());
    assertEquals(new JsonObject().put("text", "100% & more=yes"), await(received.future()));
  }

  @Test
  void publishToAnUrlEncodedAddressUsesTheDecodedAddress() {
    Promise<Object> received = Promise.promise();
    await(vertx.eventBus().consumer("public.score#1", m -> received.tryComplete(m.body())).completion());

    HttpResponse<Buffer> response = post("/api/publish/public.score%231", "1");

    assertEquals(202, response.statusCode());
    assertEquals("public.score#1", response.bodyAsJsonObject().getString("address"));
    assertEquals(1, await(received.future()));
  }

  @Test
  void publishRejectsAMalformedBody() {
    assertError(post("/api/publish/chat.lobby", "{\"text\":"), 400);
    assertError(post("/api/publish/chat.lobby", "{\"a\":1} trailing"), 400);
    assertError(post("/api/publish/chat.lobby", "99999999999999999999999"), 400);
    assertError(await(client.post(port, HOST, "/api/publish/chat.lobby")
        .putHeader("Content-Type", "multipart/form-data; boundary=x")
        .sendBuffer(Buffer.buffer("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n"))), 400);
  }

  @Test
  void publishRejectsAnEmptyBody() {
    assertError(post("/api/publish/chat.lobby", ""), 400);
    assertError(post("/api/publish/chat.lobby", "   "), 400);
    assertError(await(client.post(port, HOST, "/api/publish/chat.lobby").send()), 400);
  }

  @Test
  void publishRejectsABodyOverTheLimitWith413() {
    String big = "\"" + "x".repeat(MAX_BODY) + "\"";
    HttpResponse<Buffer> response = post("/api/publish/chat.lobby", big);
    assertError(response, 413);
    assertTrue(response.bodyAsJsonObject().getString("error").contains(String.valueOf(MAX_BODY)));
  }

  @Test
  void publishRejectsAChunkedBodyOverTheLimitWith413() {
    HttpClient http = vertx.createHttpClient();
    try {
      Buffer big = Buffer.buffer("\"" + "x".repeat(4 * MAX_BODY) + "\"");
      Future<HttpClientResponse> response = http.request(HttpMethod.POST, port, HOST, "/api/publish/chat.lobby")
          .compose(request -> request.setChunked(true).send(big));
      // Read the body on the event loop, as the response arrives: later it would be gone.
      String body = await(response.compose(HttpClientResponse::body)).toString();
      assertError(response.result().statusCode(), response.result().getHeader("Content-Type"), body, 413);
    } finally {
      await(http.close());
    }
  }

  @Test
  void publishRejectsBadAddresses() {
    assertError(post("/api/publish/chat%20lobby", "1"), 400);
    assertError(post("/api/publish/chat%2Flobby", "1"), 400);
    assertError(post("/api/publish/chat.l%C3%B6bby", "1"), 400);
    assertError(post("/api/publish/" + "a".repeat(257), "1"), 400);
    assertEquals(202, post("/api/publish/" + "a".repeat(256), "1").statusCode());
  }

  @Test
  void publishRefusesInternalAddressesWith403() {
    assertError(post("/api/publish/gateway.internal.node.x.status", "1"), 403);
    assertError(post("/api/publish/__vertx.anything", "1"), 403);
  }

  // ---- send

  @Test
  void sendAnswersWithTheReplyBody() {
    vertx.eventBus().consumer("service.echo", m -> m.reply(new JsonObject().put("echo", m.body())));
    vertx.eventBus().consumer("service.name", m -> m.reply("alice"));
    vertx.eventBus().consumer("service.count", m -> m.reply(7));

    HttpResponse<Buffer> echo = post("/api/send/service.echo", "{\"q\":1}");
    assertEquals(200, echo.statusCode());
    assertEquals(new JsonObject().put("echo", new JsonObject().put("q", 1)), echo.bodyAsJsonObject());
    assertEquals("\"alice\"", post("/api/send/service.name", "null").bodyAsString());
    assertEquals("7", post("/api/send/service.count", "[]").bodyAsString());
  }

  @Test
  void sendAnswers502WhenTheReplyIsNotJson() {
    vertx.eventBus().registerDefaultCodec(Opaque.class, new OpaqueCodec());
    vertx.eventBus().consumer("service.odd", m -> m.reply(new Opaque()));
    assertError(post("/api/send/service.odd", "{}"), 502);
  }

  /** A reply a local service may give that has no JSON form. */
  private static final class Opaque {}

  private static final class OpaqueCodec implements MessageCodec<Opaque, Opaque> {
    @Override public void encodeToWire(Buffer buffer, Opaque o) {}
    @Override public Opaque decodeFromWire(int pos, Buffer buffer) { return new Opaque(); }
    @Override public Opaque transform(Opaque o) { return o; }
    @Override public String name() { return "opaque"; }
    @Override public byte systemCodecID() { return -1; }
  }

  @Test
  void sendWithoutConsumerAnswers503() {
    HttpResponse<Buffer> response = post("/api/send/service.nobody", "{}");
    assertError(response, 503);
    assertEquals("no handler for address service.nobody", response.bodyAsJsonObject().getString("error"));
  }

  @Test
  void sendToAConsumerThatNeverRepliesAnswers504AfterTheTimeout() {
    await(vertx.eventBus().consumer("service.silent", m -> { /* never replies */ }).completion());
    long start = System.nanoTime();
    HttpResponse<Buffer> response = post("/api/send/service.silent?timeout=200", "{}");
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertError(response, 504);
    assertTrue(tookMs >= 200, "answered after " + tookMs + " ms");
  }

  @Test
  void sendToAConsumerThatFailsAnswers502WithItsMessageAndCode() {
    vertx.eventBus().consumer("service.broken", m -> m.fail(42, "stock is empty"));
    HttpResponse<Buffer> response = post("/api/send/service.broken", "{}");
    assertError(response, 502);
    JsonObject error = response.bodyAsJsonObject();
    assertEquals("stock is empty", error.getString("error"));
    assertEquals(42, error.getInteger("failureCode"));
  }

  @Test
  void sendRejectsABadTimeout() {
    vertx.eventBus().consumer("service.echo", m -> m.reply(m.body()));
    for (String timeout : List.of("abc", "0", "-5", "60001", "1.5", "")) {
      assertError(post("/api/send/service.echo?timeout=" + timeout, "{}"), 400);
    }
    assertEquals(200, post("/api/send/service.echo?timeout=60000", "{}").statusCode());
  }

  @Test
  void sendRefusesInternalAddressesWith403() {
    vertx.eventBus().consumer(Addresses.nodeStatus(SELF), m -> m.reply(new JsonObject().put("connections", 1)));
    assertError(post("/api/send/" + Addresses.nodeStatus(SELF), "{}"), 403);
    assertError(post("/api/send/__vertx.anything", "{}"), 403);
  }

  @Test
  void sendRejectsBadAddressesMalformedAndEmptyBodies() {
    assertError(post("/api/send/bad%20address", "{}"), 400);
    assertError(post("/api/send/service.echo", "{oops"), 400);
    assertError(post("/api/send/service.echo", ""), 400);
    assertError(post("/api/send/service.echo", "[" + "1,".repeat(MAX_BODY) + "1]"), 413);
  }

  // ---- routing errors and logging

  @Test
  void badUrlEncodingAnswers400() {
    assertError(get("/events/EVENT%zz"), 400);
    assertError(post("/api/publish/chat%zz", "1"), 400);
    assertError(post("/api/send/service.echo?timeout=%zz", "1"), 400);
  }

  @Test
  void unknownPathAnswers404() {
    assertError(get("/nope"), 404);
    assertError(get("/api/nope"), 404);
    assertError(post("/api/publish/", "{}"), 404);
  }

  @Test
  void knownPathWithWrongMethodAnswers405() {
    assertError(request(HttpMethod.DELETE, "/events"), 405);
    assertError(request(HttpMethod.POST, "/health"), 405);
    assertError(request(HttpMethod.GET, "/api/publish/chat.lobby"), 405);
    assertError(request(HttpMethod.PUT, "/api/send/chat.lobby"), 405);
  }

  @Test
  void refusalsAreOneInfoLineAMinuteProbesAndClientErrorsNone() {
    List<LogRecord> records = new ArrayList<>();
    Handler capture = new Handler() {
      @Override public void publish(LogRecord r) { synchronized (records) { records.add(r); } }
      @Override public void flush() {}
      @Override public void close() {}
    };
    Logger logger = Logger.getLogger("io.livegate.rest");
    logger.addHandler(capture);
    try {
      for (int i = 0; i < 20; i++) assertError(post("/api/send/service.nobody" + i, "{}"), 503);
      state.set(NodeState.WARMING);
      for (int i = 0; i < 30; i++) assertError(get("/ready"), 503);
      assertError(post("/api/publish/chat.lobby", "{"), 400);
      assertError(get("/nope"), 404);
      synchronized (records) {
        assertEquals(1, records.size(), records.toString());
        assertEquals(Level.INFO, records.get(0).getLevel());
        assertTrue(records.get(0).getMessage().contains("POST /api/send/service.nobody0 -> 503: no handler"),
            records.get(0).getMessage());
      }
    } finally {
      logger.removeHandler(capture);
    }
  }

  // ---- helpers

  /** Every error: JSON with the right status in both places, a sentence, no stack trace. */
  private static void assertError(HttpResponse<Buffer> response, int status) {
    assertError(response.statusCode(), response.getHeader("Content-Type"), response.bodyAsString(), status);
  }

  private static void assertError(int actual, String contentType, String body, int status) {
    assertEquals(status, actual, body);
    assertTrue(contentType != null && contentType.startsWith("application/json"), contentType);
    JsonObject error = new JsonObject(body);
    assertEquals(status, error.getInteger("status"), body);
    assertFalse(error.getString("error").isBlank(), body);
    assertFalse(body.contains("Exception") || body.contains("\tat ") || body.contains("at io."), body);
  }

  private HttpResponse<Buffer> get(String uri) {
    return request(HttpMethod.GET, uri);
  }

  private HttpResponse<Buffer> request(HttpMethod method, String uri) {
    return await(client.request(method, port, HOST, uri).send());
  }

  private HttpResponse<Buffer> post(String uri, String body) {
    return await(client.post(port, HOST, uri).putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(body)));
  }

  private AsyncMap<String, JsonObject> eventsMap() {
    return await(vertx.sharedData().<String, JsonObject>getAsyncMap(Addresses.EVENTS_MAP));
  }

  private static JsonObject event(int i) {
    return new JsonObject().put("id", "EVENT#0" + i).put("name", "Team " + i)
        .put("score", new JsonObject().put("home", i).put("away", 0)).put("version", i)
        .put("updatedAt", "2026-11-22T10:00:0" + i + "Z").put("publishedBy", SELF);
  }

  private static NodeConfig config() {
    return NodeSettings.parse(new String[] {"--max-body-bytes", String.valueOf(MAX_BODY)}, Map.of()).config()
        .withListening(HOST, 0, 0);
  }

  /** A cluster of three: this node with every role, then two younger ones that the tests keep silent. */
  private final class ThreeMembers implements ClusterView {
    @Override public String localNodeId() {
      return SELF;
    }

    @Override public List<NodeInfo> members() {
      if (membershipBroken.get()) throw new IllegalStateException("membership unavailable");
      return List.of(
          new NodeInfo(SELF, HOST, 8080, 8081, Role.all(), STARTED_A),
          new NodeInfo(SILENT, HOST, 0, 8083, Set.copyOf(EnumSet.of(Role.REST)), STARTED_B),
          new NodeInfo(ALSO_SILENT, HOST, 8084, 0, Set.copyOf(EnumSet.of(Role.BRIDGE)), STARTED_B + 1));
    }

    @Override public Runnable onChange(Runnable listener) {
      return () -> {};
    }
  }
}
