package io.livegate.testing;

import static io.livegate.testing.Await.await;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A browser stand-in: a raw WebSocket on {@code /eventbus/websocket} of a node's bridge port, speaking bridge frames
 * (the contract's JSON), on loopback. Frames from the node queue up in arrival order; the reading methods take them
 * from the front. For the wire below the frames (handshakes, fragments, masks), the bridge's tests have their own.
 */
public final class BridgeClient implements AutoCloseable {
  /** The address the bridge answers itself (the contract's {@code bridge.ping}). */
  public static final String BRIDGE_PING = "bridge.ping";
  private static final long DEFAULT_WAIT_MS = 5000;

  private final Vertx vertx;
  private final WebSocketClient client;
  private final WebSocket ws;
  private final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private int replySeq;
  private long pinger = -1;
  private volatile String lastText;

  private BridgeClient(Vertx vertx, WebSocketClient client, WebSocket ws) {
    this.vertx = vertx;
    this.client = client;
    this.ws = ws;
    // The bridge writes text frames: a binary one would fail the waiting test.
    ws.binaryMessageHandler(data -> frames.add(new JsonObject().put("type", "unexpected-binary-frame")));
    ws.textMessageHandler(text -> {
      lastText = text;
      frames.add(new JsonObject(text));
    });
    ws.closeHandler(v -> closed.complete(null));
  }

  /** Opens one on {@code 127.0.0.1:port}. */
  public static Future<BridgeClient> open(Vertx vertx, int port) {
    WebSocketClient client = vertx.createWebSocketClient();
    return client.connect(port, "127.0.0.1", "/eventbus/websocket").map(ws -> new BridgeClient(vertx, client, ws));
  }

  /** {@link #open}, waited for. */
  public static BridgeClient connect(Vertx vertx, int port) {
    return await(open(vertx, port));
  }

  /** Sends a bridge {@code ping} every {@code periodMs}, as browsers do, so that the node's idle timeout spares it. */
  public BridgeClient keepAlive(long periodMs) {
    pinger = vertx.setPeriodic(periodMs, t -> ws.writeTextMessage("{\"type\":\"ping\"}"));
    return this;
  }

  /** Writes a frame and waits until it is written. */
  public void write(JsonObject frame) {
    writeText(frame.encode());
  }

  /** Writes a frame without waiting (for an event loop, where waiting is not allowed, or a socket about to close). */
  public void writeAsync(JsonObject frame) {
    writeTextAsync(frame.encode());
  }

  /** Writes any text as one WebSocket message and waits until it is written. */
  public void writeText(String text) {
    await(ws.writeTextMessage(text));
  }

  public void writeTextAsync(String text) {
    ws.writeTextMessage(text);
  }

  public void writeBinary(Buffer data) {
    await(ws.writeBinaryMessage(data));
  }

  /** The next frame from the node; fails the test if none comes within 5 s. */
  public JsonObject next() {
    JsonObject frame = poll(DEFAULT_WAIT_MS);
    if (frame == null) throw new AssertionError("expected a frame from the bridge within " + DEFAULT_WAIT_MS + " ms");
    return frame;
  }

  /** The next frame matching, within the time; frames before it that do not match are dropped. */
  public JsonObject next(Predicate<JsonObject> match, int seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      JsonObject frame = poll(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
      if (frame == null) throw new AssertionError("no matching frame within " + seconds + " s");
      if (match.test(frame)) return frame;
    }
  }

  /** The next frame, or null if none arrives within {@code ms}. */
  public JsonObject poll(long ms) {
    if (ms <= 0) return frames.poll();
    try {
      return frames.poll(ms, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The next frame for {@code address}, or null if none arrives within {@code ms}; others before it are dropped. */
  public JsonObject poll(String address, long ms) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (true) {
      JsonObject frame = poll(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
      if (frame == null || address.equals(frame.getString("address"))) return frame;
    }
  }

  /** Fails if a frame arrives within {@code ms}: for a wait on something that would have arrived first. */
  public void expectNoFrame(long ms) {
    JsonObject frame = poll(ms);
    if (frame != null) throw new AssertionError("expected no frame from the bridge, got " + frame.encode());
  }

  /** Drops every frame received so far and not read. */
  public void discardFrames() {
    frames.clear();
  }

  /** The text of the last frame received, as the node wrote it. */
  public String lastText() {
    return lastText;
  }

  /** Registers and waits until the bridge has handled it (frames of one socket are handled in order). */
  public void register(String address) {
    write(new JsonObject().put("type", "register").put("address", address).put("headers", new JsonObject()));
    ping();
  }

  /**
   * Registers amid other traffic (a live cluster's): waits until the node has handled it ({@link #awaitHandled}),
   * dropping what arrives meanwhile.
   */
  public void subscribe(String address) {
    writeAsync(new JsonObject().put("type", "register").put("address", address));
    awaitHandled();
  }

  public void unregister(String address) {
    write(new JsonObject().put("type", "unregister").put("address", address));
    ping();
  }

  /** Sends {@code body} with a fresh reply address and returns it. */
  public String request(String address, Object body) {
    String replyAddress = "reply-" + (++replySeq);
    write(new JsonObject().put("type", "send").put("address", address).put("body", body)
        .put("replyAddress", replyAddress));
    return replyAddress;
  }

  /** A {@code bridge.ping} round trip whose answer must be the next frame: returns its body (the PONG). */
  public JsonObject ping() {
    String replyAddress = request(BRIDGE_PING, null);
    JsonObject frame = next();
    if (!"rec".equals(frame.getString("type")) || !replyAddress.equals(frame.getString("address"))) {
      throw new AssertionError("expected the answer of " + BRIDGE_PING + " on " + replyAddress + ", got " + frame.encode());
    }
    return frame.getJsonObject("body");
  }

  /**
   * Waits until the node has handled everything sent before: a {@code bridge.ping} round trip, dropping what arrives
   * before its answer (the traffic of a live cluster). Returns the PONG. Its reply address is 36 characters, the
   * longest the bridge takes.
   */
  public JsonObject awaitHandled() {
    String reply = UUID.randomUUID().toString();
    writeAsync(new JsonObject().put("type", "send").put("address", BRIDGE_PING).put("replyAddress", reply)
        .put("body", new JsonObject()));
    return next(frame -> reply.equals(frame.getString("address")), 5).getJsonObject("body");
  }

  /** True once the node has closed it, within {@code ms}. */
  public boolean awaitClosed(long ms) {
    try {
      closed.get(ms, TimeUnit.MILLISECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  public boolean isClosed() {
    return closed.isDone() || ws.isClosed();
  }

  /** The close code the node sent, or null while open or if it sent none. */
  public Short closeStatusCode() {
    return ws.closeStatusCode();
  }

  public String closeReason() {
    return ws.closeReason();
  }

  @Override
  public void close() {
    if (pinger >= 0) vertx.cancelTimer(pinger);
    if (!isClosed()) ws.close();
    client.close();
  }
}
