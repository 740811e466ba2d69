package io.livegate.launcher.ops;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A page watching the scores as a careful client does: a raw WebSocket to one of the nodes, registered on
 * {@code events.updates} (and on a check address), which asks {@code bridge.ping} every second and takes a node that
 * has not answered for {@link #SILENT_MS} (it hangs), or a close (a drain, a minority side's 1012), as its cue to try
 * the next node of its list. (Silence of the scores alone is no sign: they pause cluster-wide while a simulator
 * hands over.) It keeps every update it got, in order of arrival.
 */
final class ScoreWatcher {
  static final String CHECK = "public.hung.check";
  /** A node that has not answered a ping for this long hangs. */
  static final long SILENT_MS = 2500;
  private static final String PONG = "watcher.pong";

  /** One update as received. */
  record Update(String id, long version, String publishedBy, String score, long atNanos) {}

  final String name;
  private final Vertx vertx;
  private final WebSocketClient client;
  private final List<Integer> ports;
  private int next;
  final List<Update> updates = new CopyOnWriteArrayList<>();
  final List<String> checks = new CopyOnWriteArrayList<>();
  /** The bridge port of each connection it opened, in order. */
  final List<Integer> servedBy = new CopyOnWriteArrayList<>();
  private volatile WebSocket socket;
  private volatile long lastPongNanos;
  private volatile long lastPingNanos;
  private volatile boolean stopped;
  private final long watchdog;

  /** Starts with {@code ports.get(0)}, then goes round the list. */
  ScoreWatcher(Vertx vertx, String name, List<Integer> ports) {
    this.vertx = vertx;
    this.name = name;
    this.client = vertx.createWebSocketClient();
    this.ports = List.copyOf(ports);
    this.watchdog = vertx.setPeriodic(250, id -> {
      WebSocket ws = socket;
      if (ws == null || ws.isClosed()) return;
      long now = System.nanoTime();
      if (now - lastPongNanos > TimeUnit.MILLISECONDS.toNanos(SILENT_MS)) {
        socket = null;
        ws.close((short) 1000);
        connectLater();
      } else if (now - lastPingNanos > TimeUnit.SECONDS.toNanos(1)) {
        lastPingNanos = now;
        ws.writeTextMessage(new JsonObject().put("type", "send").put("address", "bridge.ping").put("replyAddress", PONG)
            .put("body", new JsonObject()).encode());
      }
    });
    connect();
  }

  /** Whether it is connected now and has had an update in the last second. */
  boolean isLive() {
    WebSocket ws = socket;
    return ws != null && !ws.isClosed() && !updates.isEmpty()
        && System.nanoTime() - updates.get(updates.size() - 1).atNanos() < TimeUnit.SECONDS.toNanos(1);
  }

  /** The port it is connected to now, or -1. */
  int port() {
    WebSocket ws = socket;
    return ws == null || ws.isClosed() || servedBy.isEmpty() ? -1 : servedBy.get(servedBy.size() - 1);
  }

  void stop() {
    stopped = true;
    vertx.cancelTimer(watchdog);
    WebSocket ws = socket;
    if (ws != null && !ws.isClosed()) ws.close();
    client.close();
  }

  private void connect() {
    if (stopped) return;
    int port = ports.get(next % ports.size());
    next++;
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/eventbus/websocket").setTimeout(3000);
    client.connect(options).onSuccess(ws -> opened(ws, port)).onFailure(e -> connectLater());
  }

  private void opened(WebSocket ws, int port) {
    if (stopped) {
      ws.close();
      return;
    }
    socket = ws;
    lastPongNanos = System.nanoTime();
    servedBy.add(port);
    // A socket it gave up on may still bring frames (its node resumes and flushes them): a browser drops those.
    ws.textMessageHandler(text -> {
      if (socket == ws) onFrame(text);
    });
    ws.closeHandler(v -> {
      if (socket == ws) {
        socket = null;
        connectLater();
      }
    });
    ws.writeTextMessage(new JsonObject().put("type", "register").put("address", "events.updates").encode());
    ws.writeTextMessage(new JsonObject().put("type", "register").put("address", CHECK).encode());
  }

  private void onFrame(String text) {
    JsonObject frame = new JsonObject(text);
    if (!"rec".equals(frame.getString("type"))) return;
    if (PONG.equals(frame.getString("address"))) {
      lastPongNanos = System.nanoTime();
      return;
    }
    if ("events.updates".equals(frame.getString("address"))) {
      JsonObject event = frame.getJsonObject("body");
      updates.add(new Update(event.getString("id"), event.getLong("version"), event.getString("publishedBy"),
          event.getJsonObject("score").encode(), System.nanoTime()));
    } else if (CHECK.equals(frame.getString("address")) && frame.getValue("body") instanceof JsonObject body) {
      checks.add(body.getString("text"));
    }
  }

  private void connectLater() {
    if (!stopped) vertx.setTimer(200, id -> connect());
  }
}
