package io.livegate.launcher;

import io.livegate.bridge.BridgeVerticle;
import io.livegate.core.ClusterView;
import io.livegate.core.NodeConfig;
import io.livegate.core.NodeInfo;
import io.livegate.core.Role;
import io.livegate.rest.RestVerticle;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Pays the JIT before the node takes clients. A fresh JVM runs the handshake and the fan-out in the interpreter
 * and compiles them while its first clients wait: on 2 cores the compiler threads took 62 % of a fresh node's
 * CPU in a storm of 10,000 connections, and still 21 % a minute later at 20 messages a second.
 *
 * <p>So before the node reports ready, the bridge's own code, deployed on a private Vert.x (metrics into a
 * registry of its own, no cluster) on a loopback port of its own, takes a storm of connections from clients in
 * this JVM, fans a hundred rounds of messages out to them, answers their pings and is closed by them; three
 * times, with a wait for the compiler's queue to empty after each pass. One pass is not enough: while the queue
 * is long (the JVM's start-up fills it) the JIT raises its thresholds by the queue's length, and the handshake,
 * run once per connection, needs thousands of them to reach the optimizing compiler. With one pass of 1,000
 * connections the nodes still spent about a second per node compiling the handshake in every later round of
 * 1,000 real clients (bench/README.md). Compiled code is the JVM's, whichever Vert.x runs it. A node with the rest
 * role publishes the rounds through a private copy of its REST API, so that its HTTP server, router and JSON
 * parsing run too. Nothing of this reaches the cluster, {@code /metrics} or the node's real ports; if it fails, the
 * node starts all the same. Afterwards one full collection gives back the heap the warm-up grew.
 */
final class BridgeWarmUp {
  static final int PASSES = 3;
  static final int CONNECTIONS = 2_000;
  /**
   * Clients per pass when the node has TLS: a handshake is then about 6 ms of CPU (both ends in this JVM), and three
   * passes of 2,000 took 36 s of start-up on 2 cores. The JDK's TLS code gets hot with fewer.
   */
  static final int TLS_CONNECTIONS = 500;
  static final int ROUNDS = 100;
  static final int ADDRESSES = 10;
  private static final String ADDRESS_PREFIX = "warmup.";
  private static final int HANDSHAKES_IN_FLIGHT = 64;
  private static final int ROUNDS_IN_FLIGHT = 2;
  private static final int PING_EVERY_ROUNDS = 20;
  /**
   * No pass starts once the warm-up has run this long: on a slow or crowded machine a node becomes ready with fewer
   * passes rather than late. On 2 quiet cores the three passes take 10-15 s (15-20 s with TLS).
   */
  static final long BUDGET_MS = 30_000;
  /** A step that makes no progress for this long ends the warm-up (the node starts regardless). */
  private static final long STALL_MS = 10_000;
  /**
   * The private bridge's idle timeout. Clients are silent from their registration to the first round's ping, and on a
   * busy machine a storm of TLS handshakes outlasts the node's (10 s by default): the bridge then closed the first
   * clients and the deliveries they were owed never came.
   */
  private static final long IDLE_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(10);
  private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
  /** The compiler's queue is taken as empty when its total time stands still for this long... */
  private static final long COMPILER_QUIET_MS = 300;
  /** ...and is waited for at most this long after each pass. */
  private static final long COMPILER_WAIT_MS = 8_000;
  private static final String LOOPBACK = "127.0.0.1";
  private static final String REGISTERED_PROBE =
      "{\"type\":\"send\",\"address\":\"bridge.ping\",\"replyAddress\":\"warmup.reply\",\"body\":{}}";
  private static final String PING = "{\"type\":\"ping\"}";

  /** What a warm-up did, for the start-up log. */
  record Outcome(int passes, int connections, long deliveries, long restPublishes, long trafficMs, long compilerMs) {
    @Override
    public String toString() {
      return String.format("warm-up: %,d connections and %,d deliveries through a private bridge%s in %d ms, and %d ms "
          + "waiting for the compiler%s", connections, deliveries,
          restPublishes == 0 ? "" : String.format(", %,d messages published through a private REST API", restPublishes),
          trafficMs, compilerMs,
          passes == PASSES ? "" : String.format(" (%d of %d passes: over its time budget)", passes, PASSES));
    }
  }

  private final Vertx scratch;
  private final NodeConfig config;
  private final WebSocketClient client;
  private final int connections;
  private int port;
  /** The private REST API's port when the node has the rest role (messages are then published through it), or 0. */
  private int restPort;
  /** The private REST API's Authorization header, with the warm-up's own service token. */
  private String authorization;
  private HttpClientAgent http;
  // One pass's clients; their handlers run on the scratch Vert.x's event loops.
  private final Queue<WebSocket> sockets = new ConcurrentLinkedQueue<>();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger answered = new AtomicInteger();
  private final AtomicInteger closed = new AtomicInteger();
  private final AtomicLong frames = new AtomicLong();
  private final AtomicLong published = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  /** Set once this pass closes its clients; a close before that is the bridge's, and a failure. */
  private boolean closing;

  private BridgeWarmUp(Vertx scratch, NodeConfig config) {
    this.scratch = scratch;
    this.config = config;
    this.connections = connectionsPerPass(config);
    this.client = scratch.createWebSocketClient(new WebSocketClientOptions()
        .setMaxConnections(connections)
        // Our own bridge on loopback, with the node's certificate (issued for its public name, if any).
        .setSsl(config.security().tls()).setTrustAll(true).setVerifyHost(false));
  }

  /**
   * Warms this JVM up for {@code node}'s bridge on a thread of its own; the outcome arrives on {@code node}'s
   * Vert.x context {@code home}. Fails if the warm-up could not be run; the caller starts the node anyway.
   */
  static Future<Outcome> run(NodeConfig node, Context home) {
    return run(node, home, BUDGET_MS);
  }

  /** {@link #run(NodeConfig, Context)} with another budget: no pass starts after {@code budgetMs}. */
  static Future<Outcome> run(NodeConfig node, Context home, long budgetMs) {
    Promise<Outcome> outcome = Promise.promise();
    Thread thread = new Thread(() -> {
      try {
        Outcome done = runHere(node, budgetMs);
        // The warm-up grew the heap for thousands of clients that are gone, and nothing of it is referenced once
        // runHere has returned: a full collection gives the memory back (G1 shrinks the committed heap after one).
        // Without it a node idled at 310-330 MB of RSS after its warm-up; with it, at about 210 MB.
        System.gc();
        home.runOnContext(v -> outcome.complete(done));
      } catch (Exception e) {
        home.runOnContext(v -> outcome.fail(e));
      }
    }, "livegate-warm-up");
    thread.setDaemon(true);
    thread.start();
    return outcome.future();
  }

  private static Outcome runHere(NodeConfig node, long budgetMs) throws Exception {
    long began = System.nanoTime();
    PrometheusMeterRegistry registry = NodeMetrics.registry();
    Vertx scratch = Vertx.builder()
        .with(new VertxOptions().setPreferNativeTransport(true).setMetricsOptions(NodeMetrics.options()
            .setJvmMetricsEnabled(false)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    BridgeWarmUp warmUp = new BridgeWarmUp(scratch, privateCopy(node));
    long trafficNanos = 0;
    long compilerMs = 0;
    long deliveries = 0;
    int passes = 0;
    try {
      BridgeVerticle bridge = new BridgeVerticle(warmUp.config, new Alone(), registry);
      await(scratch.deployVerticle(bridge));
      warmUp.port = bridge.port();
      if (node.has(Role.REST)) warmUp.startRest(registry);
      for (; passes < PASSES && (passes == 0 || elapsedMs(began) < budgetMs); passes++) {
        long start = System.nanoTime();
        deliveries += warmUp.pass();
        trafficNanos += System.nanoTime() - start;
        compilerMs += compilerQuiet();
      }
    } finally {
      await(scratch.close());
    }
    return new Outcome(passes, passes * warmUp.connections, deliveries, warmUp.published.get(),
        TimeUnit.NANOSECONDS.toMillis(trafficNanos), compilerMs);
  }

  /**
   * The node's bridge settings, on loopback and free ports, for anonymous clients on the warm-up's addresses only:
   * the same code and the same branches (TLS if the node has it) as the node's real bridge, with a long idle timeout.
   * With the rest role, a private REST API too, which takes a random service token that only this warm-up knows.
   */
  private static NodeConfig privateCopy(NodeConfig node) {
    NodeConfig.BridgeLimits limits = node.limits();
    Set<Role> roles = node.has(Role.REST) ? Set.of(Role.BRIDGE, Role.REST) : Set.of(Role.BRIDGE);
    return new NodeConfig(roles, LOOPBACK, 0, 0, node.clusterHost(), node.clusterPort(), node.members(),
        node.clusterName(), node.clusterConfig(), List.of(), List.of("warmup\\.[0-9]+"), node.simulatorMinMs(),
        node.simulatorMaxMs(), node.sendTimeoutMs(), node.maxBodyBytes(), node.maxFrameBytes(), IDLE_TIMEOUT_MS,
        node.maxQueuedBytes(), 0,
        new NodeConfig.BridgeLimits(limits.maxRegistrations(), limits.maxFramesPerSecond(),
            Math.max(limits.maxConnections(), CONNECTIONS), limits.maxRegistrationsPerSecond(),
            Math.max(limits.maxAddresses(), ADDRESSES)),
        new NodeConfig.Security(randomToken(), node.security().tlsCert(), node.security().tlsKey()), false,
        // No HTTP deadlines: its clients are its own, and its REST client's pooled connections idle between passes
        // (while the compiler's queue empties) longer than a header timeout.
        new NodeConfig.HttpLimits(0, 0, Math.max(node.http().maxUnfinished(), CONNECTIONS), node.http().descriptorReserve()),
        NodeConfig.defaults().history(), null, 1, new NodeConfig.PresenceSettings(List.of(), 0));
  }

  private static String randomToken() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /**
   * Deploys the private REST API; the rounds of messages are then published through it. At 20 messages a second a
   * node's API would otherwise compile its HTTP, routing and JSON parsing while the browsers wait. In the peers'
   * benchmark the node taking the publishes still spends 0.9-1.6 s in its compiler threads in its first 20 s, with
   * or without this (bench/README.md): the warm-up runs those methods, but not often enough for C2.
   */
  private void startRest(PrometheusMeterRegistry registry) throws Exception {
    RestVerticle rest = new RestVerticle(config, new Alone(), registry, () -> true, () -> { });
    await(scratch.deployVerticle(rest));
    restPort = rest.actualPort();
    authorization = "Bearer " + config.security().apiToken();
    http = scratch.httpClientBuilder()
        .with(new HttpClientOptions().setSsl(config.security().tls()).setTrustAll(true).setVerifyHost(false))
        .with(new PoolOptions().setHttp1MaxSize(ADDRESSES))
        .build();
  }

  private static int connectionsPerPass(NodeConfig node) {
    return node.security().tls() ? TLS_CONNECTIONS : CONNECTIONS;
  }

  /** Connects {@link #connections} clients, fans {@link #ROUNDS} rounds of messages out to them, closes them. */
  private long pass() throws Exception {
    sockets.clear();
    open.set(0);
    closing = false;
    answered.set(0);
    closed.set(0);
    frames.set(0);
    connect();
    fanOut();
    closeAll();
    return frames.get();
  }

  /**
   * Opens every connection, a storm with a bounded number of handshakes in flight, and registers each. Like every
   * step, it is bounded by progress, not by a deadline: a storm of TLS handshakes in a cold JVM on a busy machine may
   * take longer than {@link #STALL_MS}, but no single handshake should.
   */
  private void connect() throws Exception {
    AtomicInteger next = new AtomicInteger();
    for (int k = 0; k < HANDSHAKES_IN_FLIGHT; k++) connectNext(next);
    until("connections", open::get, connections);
    until("registrations", answered::get, connections);
  }

  private void connectNext(AtomicInteger next) {
    int i = next.getAndIncrement();
    if (i >= connections) return;
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(LOOPBACK).setPort(port)
        .setURI("/eventbus/websocket").setSsl(config.security().tls());
    client.connect(options).onComplete(opened -> {
      if (opened.failed()) {
        failure.compareAndSet(null, opened.cause());
        return;
      }
      register(opened.result(), ADDRESS_PREFIX + (i % ADDRESSES));
      open.incrementAndGet();
      connectNext(next);
    });
  }

  private void register(WebSocket socket, String address) {
    sockets.add(socket);
    // The first frame back is the answer to the probe, which the bridge handles after the registration.
    boolean[] registered = {false};
    socket.textMessageHandler(text -> {
      if (registered[0]) {
        frames.incrementAndGet();
      } else {
        registered[0] = true;
        answered.incrementAndGet();
      }
    });
    socket.closeHandler(v -> closed.incrementAndGet());
    socket.writeTextMessage("{\"type\":\"register\",\"address\":\"" + address + "\"}");
    socket.writeTextMessage(REGISTERED_PROBE);
  }

  /** Publishes {@link #ROUNDS} messages on each address, at most {@link #ROUNDS_IN_FLIGHT} rounds ahead of the clients. */
  private void fanOut() throws Exception {
    long publishedBefore = published.get();
    for (int round = 0; round < ROUNDS; round++) {
      until("deliveries", frames::get, (long) Math.max(0, round - ROUNDS_IN_FLIGHT) * connections);
      for (int a = 0; a < ADDRESSES; a++) {
        JsonObject message = new JsonObject()
            .put("seq", round).put("sent", System.nanoTime() / 1e6).put("home", round % 7).put("away", a)
            .put("status", "live");
        if (http == null) {
          scratch.eventBus().publish(ADDRESS_PREFIX + a, message);
        } else {
          publishThroughRest(ADDRESS_PREFIX + a, message.toBuffer());
        }
      }
      if (round % PING_EVERY_ROUNDS == 0) sockets.forEach(socket -> socket.writeTextMessage(PING));
    }
    until("deliveries", frames::get, (long) ROUNDS * connections);
    // A delivery can reach its client before the 202 reaches the publisher: no request is left in flight.
    if (http != null) until("REST publishes", published::get, publishedBefore + (long) ROUNDS * ADDRESSES);
  }

  private void publishThroughRest(String address, Buffer body) {
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost(LOOPBACK).setPort(restPort)
        .setURI("/api/publish/" + address)
        .putHeader(HttpHeaders.AUTHORIZATION, authorization)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    http.request(request)
        .compose(req -> req.send(body))
        .compose(response -> response.body().map(response.statusCode()))
        .onComplete(answered -> {
          if (answered.failed()) {
            failure.compareAndSet(null, answered.cause());
          } else if (answered.result() != 202) {
            failure.compareAndSet(null, new IllegalStateException("the private REST API answered " + answered.result()));
          } else {
            published.incrementAndGet();
          }
        });
  }

  private void closeAll() throws Exception {
    closing = true;
    sockets.forEach(WebSocket::close);
    until("closes", closed::get, connections);
  }

  /**
   * Returns once {@code progress} reaches {@code target}; throws if a client failed, or if progress stands still for
   * {@link #STALL_MS}.
   */
  private void until(String what, LongSupplier progress, long target) throws Exception {
    long last = -1;
    long lastChange = System.nanoTime();
    for (long now = progress.getAsLong(); now < target; now = progress.getAsLong()) {
      Throwable failed = failure.get();
      if (failed != null) {
        throw failed instanceof Exception e ? e : new ExecutionException(failed);
      }
      if (!closing && closed.get() > 0) {
        throw new IllegalStateException("the private bridge closed " + closed.get() + " clients while waiting for "
            + what);
      }
      if (now != last) {
        last = now;
        lastChange = System.nanoTime();
      } else if (elapsedMs(lastChange) > STALL_MS) {
        throw new TimeoutException(what + " stalled at " + now + " of " + target);
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /** Waits until the JIT has finished what the warm-up gave it: its total compile time stands still. */
  private static long compilerQuiet() {
    CompilationMXBean compiler = ManagementFactory.getCompilationMXBean();
    long start = System.nanoTime();
    if (compiler == null || !compiler.isCompilationTimeMonitoringSupported()) return 0;
    long last = compiler.getTotalCompilationTime();
    long lastChange = System.nanoTime();
    while (elapsedMs(lastChange) < COMPILER_QUIET_MS && elapsedMs(start) < COMPILER_WAIT_MS) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      long total = compiler.getTotalCompilationTime();
      if (total != last) {
        last = total;
        lastChange = System.nanoTime();
      }
    }
    return elapsedMs(start);
  }

  private static <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(STALL_MS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  private static long elapsedMs(long sinceNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNanos);
  }

  /** The private bridge's cluster: itself alone. */
  private static final class Alone implements ClusterView {
    @Override
    public String localNodeId() {
      return "warm-up";
    }

    @Override
    public List<NodeInfo> members() {
      return List.of();
    }

    @Override
    public Runnable onChange(Runnable listener) {
      return () -> { };
    }
  }
}
