package io.livegate.launcher.ops;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A browser stand-in that behaves as the dashboard does: a raw WebSocket on {@code /eventbus/websocket}
 * (through the load balancer), registers its addresses on every open, pings every 5 s, and reconnects
 * 0.1 to 0.5 s after a close. It learns the node that serves it from a {@code bridge.ping}. Per address it keeps
 * the {@code seq} of every message in the order they arrived, and the last {@code offset} and {@code epoch}
 * the frames carried, from which it registers again ({@code headers: {since, epoch}}) after a reconnect.
 */
final class ReconnectingBrowser {
  static final String OPS = "public.ops";
  private static final String READY_REPLY = "ready";
  private static final JsonObject NO_HEADERS = new JsonObject();

  private final Vertx vertx;
  private final WebSocketClient client;
  private final int port;
  private final Map<String, DeliveryLog> logs = new LinkedHashMap<>();
  /** The nodes it was served by, in order (one entry per successful registration). */
  final List<String> servedBy = new CopyOnWriteArrayList<>();
  final AtomicInteger closes = new AtomicInteger();
  volatile String node;
  volatile long readyAtNanos;
  volatile long closedAtNanos;
  volatile Short lastCloseCode;
  /** The addresses of this connection registered with a position, whose recovery marker (or err) is still to come. */
  private final Set<String> awaitingMarker = ConcurrentHashMap.newKeySet();
  private volatile long markersAtNanos;
  private volatile WebSocket socket;
  private volatile boolean stopped;
  private final long pinger;

  ReconnectingBrowser(Vertx vertx, int port, List<String> addresses) {
    this(vertx, port, addresses, Map.of());
  }

  /** One that starts from these positions (its first registrations carry them), as a page reloaded would. */
  ReconnectingBrowser(Vertx vertx, int port, List<String> addresses, Map<String, DeliveryLog.Position> from) {
    this.vertx = vertx;
    this.client = vertx.createWebSocketClient();
    this.port = port;
    for (String address : addresses) logs.put(address, new DeliveryLog(from.get(address)));
    this.pinger = vertx.setPeriodic(5000, id -> write(new JsonObject().put("type", "ping")));
    connect();
  }

  boolean isReady() {
    return node != null;
  }

  /** Served, and every address it came back to with a position has had its recovery marker. */
  boolean isBack() {
    return node != null && awaitingMarker.isEmpty();
  }

  /** When it was last back: served, and every recovery marker in. */
  long backAtNanos() {
    return Math.max(readyAtNanos, markersAtNanos);
  }

  DeliveryLog log(String address) {
    return logs.get(address);
  }

  /** Cuts the TCP connection as a failing network does: a reset, no close frame. It reconnects as after any close. */
  void cut() {
    WebSocket ws = socket;
    if (ws == null || ws.isClosed()) return;
    Channel channel = ((WebSocketInternal) ws).channelHandlerContext().channel();
    channel.config().setOption(ChannelOption.SO_LINGER, 0);
    channel.close();
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
    awaitingMarker.clear();
    ws.textMessageHandler(this::onFrame);
    ws.closeHandler(v -> closed(ws));
    logs.forEach((address, log) -> {
      JsonObject register = new JsonObject().put("type", "register").put("address", address);
      DeliveryLog.Position at = log.position();
      if (at != null) {
        awaitingMarker.add(address);
        register.put("headers", new JsonObject().put("since", at.offset()).put("epoch", at.epoch()));
      }
      write(register);
    });
    markersAtNanos = System.nanoTime();
    // Frames of one socket are handled in order: the pong says the registrations are in place.
    write(new JsonObject().put("type", "send").put("address", "bridge.ping").put("replyAddress", READY_REPLY)
        .put("body", new JsonObject()));
  }

  private void onFrame(String text) {
    JsonObject frame = new JsonObject(text);
    String address = frame.getString("address");
    if (READY_REPLY.equals(address)) {
      String servingNode = frame.getJsonObject("body").getString("node");
      servedBy.add(servingNode);
      readyAtNanos = System.nanoTime();
      node = servingNode;
      return;
    }
    DeliveryLog log = address == null ? null : logs.get(address);
    if (log == null) return;
    if ("err".equals(frame.getString("type"))) {
      log.refused(frame.getString("body"));
      markerIn(address);
      return;
    }
    JsonObject headers = frame.getJsonObject("headers", NO_HEADERS);
    String recovered = headers.getString("recovered");
    if (recovered != null) {
      log.marker("true".equals(recovered), headers.getString("offset"), headers.getString("epoch"),
          Long.parseLong(headers.getString("replayed", "0")));
      markerIn(address);
    } else {
      Object body = frame.getValue("body");
      Long seq = body instanceof JsonObject json ? json.getLong("seq") : null;
      log.received(seq, headers.getString("offset"), headers.getString("epoch"));
    }
  }

  private void markerIn(String address) {
    if (awaitingMarker.remove(address) && awaitingMarker.isEmpty()) markersAtNanos = System.nanoTime();
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
