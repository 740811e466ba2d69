package io.livegate.launcher;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A browser stand-in: a raw WebSocket on {@code /eventbus/websocket} speaking bridge frames, pinging every 5 s. */
final class BridgeClient {
  final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
  private final WebSocketClient client;
  private final WebSocket socket;
  private final long pinger;
  private final Vertx vertx;
  private volatile String lastText;

  private BridgeClient(Vertx vertx, WebSocketClient client, WebSocket socket) {
    this.vertx = vertx;
    this.client = client;
    this.socket = socket;
    socket.textMessageHandler(text -> {
      lastText = text;
      frames.add(new JsonObject(text));
    });
    this.pinger = vertx.setPeriodic(5000, t -> socket.writeTextMessage("{\"type\":\"ping\"}"));
  }

  static Future<BridgeClient> connect(Vertx vertx, int port) {
    WebSocketClient client = vertx.createWebSocketClient();
    return client.connect(port, "127.0.0.1", "/eventbus/websocket").map(ws -> new BridgeClient(vertx, client, ws));
  }

  /** The text of the last frame received, as the node wrote it. */
  String lastText() {
    return lastText;
  }

  void send(JsonObject frame) {
    socket.writeTextMessage(frame.encode());
  }

  void sendRaw(String text) {
    socket.writeTextMessage(text);
  }

  /** Registers and waits until the registration is live cluster-wide (the bridge answers a ping after it). */
  void register(String address) throws Exception {
    send(new JsonObject().put("type", "register").put("address", address));
    ping();
  }

  /** A bridge.ping round trip: everything sent before it has been handled by the node. */
  JsonObject ping() throws Exception {
    String reply = UUID.randomUUID().toString(); // 36 characters: the longest reply address the bridge takes
    send(new JsonObject().put("type", "send").put("address", "bridge.ping").put("replyAddress", reply).put("body", new JsonObject()));
    return next(f -> reply.equals(f.getString("address")), 5);
  }

  /** The next frame matching, within the timeout; frames that do not match are dropped. */
  JsonObject next(java.util.function.Predicate<JsonObject> match, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      long left = deadline - System.nanoTime();
      JsonObject frame = left > 0 ? frames.poll(left, TimeUnit.NANOSECONDS) : null;
      if (frame == null) throw new AssertionError("no matching frame within " + seconds + " s");
      if (match.test(frame)) return frame;
    }
  }

  /** The next frame for this address, or null if none arrives within the time. */
  JsonObject poll(String address, long millis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (true) {
      long left = deadline - System.nanoTime();
      JsonObject frame = left > 0 ? frames.poll(left, TimeUnit.NANOSECONDS) : null;
      if (frame == null || address.equals(frame.getString("address"))) return frame;
    }
  }

  boolean isClosed() {
    return socket.isClosed();
  }

  /** The close code the server sent, or null while open or if it sent none. */
  Short closeStatusCode() {
    return socket.closeStatusCode();
  }

  String closeReason() {
    return socket.closeReason();
  }

  void close() {
    vertx.cancelTimer(pinger);
    if (!socket.isClosed()) socket.close();
    client.close();
  }
}
