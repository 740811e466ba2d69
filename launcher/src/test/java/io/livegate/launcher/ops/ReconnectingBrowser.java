package io.livegate.launcher.ops;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A browser stand-in that behaves as the dashboard does: a raw WebSocket on {@code /eventbus/websocket}
 * (through the load balancer), registers its addresses on every open, pings every 5 s, and reconnects
 * 0.1 to 0.5 s after a close. It learns the node that serves it from a {@code bridge.ping}, and keeps the
 * {@code seq} of every message on {@code public.ops}.
 */
final class ReconnectingBrowser {
  static final String OPS = "public.ops";
  private static final String READY_REPLY = "ready";

  private final Vertx vertx;
  private final WebSocketClient client;
  private final int port;
  private final List<String> addresses;
  /** The nodes it was served by, in order (one entry per successful registration). */
  final List<String> servedBy = new CopyOnWriteArrayList<>();
  final Set<Long> seqs = ConcurrentHashMap.newKeySet();
  final AtomicInteger duplicates = new AtomicInteger();
  final AtomicInteger closes = new AtomicInteger();
  volatile String node;
  volatile long readyAtNanos;
  volatile long closedAtNanos;
  volatile Short lastCloseCode;
  private volatile WebSocket socket;
  private volatile boolean stopped;
  private final long pinger;

  ReconnectingBrowser(Vertx vertx, int port, List<String> addresses) {
    this.vertx = vertx;
    this.client = vertx.createWebSocketClient();
    this.port = port;
    this.addresses = addresses;
    this.pinger = vertx.setPeriodic(5000, id -> write(new JsonObject().put("type", "ping")));
    connect();
  }

  boolean isReady() {
    return node != null;
  }

  void stop() {
    stopped = true;
    vertx.cancelTimer(pinger);
    WebSocket ws = socket;
    if (ws != null && !ws.isClosed()) ws.close();
    client.close();
  }

  private void connect() {
    if (stopped) return;
    client.connect(port, "127.0.0.1", "/eventbus/websocket").onSuccess(this::opened).onFailure(e -> retryLater());
  }

  private void opened(WebSocket ws) {
    socket = ws;
    ws.textMessageHandler(this::onFrame);
    ws.closeHandler(v -> closed(ws));
    for (String address : addresses) write(new JsonObject().put("type", "register").put("address", address));
    // Frames of one socket are handled in order: the pong says the registrations are in place.
    write(new JsonObject().put("type", "send").put("address", "bridge.ping").put("replyAddress", READY_REPLY)
        .put("body", new JsonObject()));
  }

  private void onFrame(String text) {
    JsonObject frame = new JsonObject(text);
    if (READY_REPLY.equals(frame.getString("address"))) {
      String servingNode = frame.getJsonObject("body").getString("node");
      servedBy.add(servingNode);
      readyAtNanos = System.nanoTime();
      node = servingNode;
    } else if (OPS.equals(frame.getString("address"))) {
      if (!seqs.add(frame.getJsonObject("body").getLong("seq"))) duplicates.incrementAndGet();
    }
  }

  private void closed(WebSocket ws) {
    node = null;
    lastCloseCode = ws.closeStatusCode();
    closedAtNanos = System.nanoTime();
    closes.incrementAndGet();
    retryLater();
  }

  private void retryLater() {
    if (!stopped) vertx.setTimer(ThreadLocalRandom.current().nextLong(100, 500), id -> connect());
  }

  private void write(JsonObject frame) {
    WebSocket ws = socket;
    if (ws != null && !ws.isClosed()) ws.writeTextMessage(frame.encode());
  }
}
