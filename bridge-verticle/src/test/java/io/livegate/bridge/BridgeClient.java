package io.livegate.bridge;

import static io.livegate.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.livegate.core.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A browser stand-in: a raw WebSocket on {@code /eventbus/websocket} that speaks bridge frames. */
final class BridgeClient implements AutoCloseable {
  private final WebSocketClient client;
  private final WebSocket ws;
  private final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private int replySeq;
  private volatile String lastText;

  private BridgeClient(WebSocketClient client, WebSocket ws) {
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

  static BridgeClient connect(Vertx vertx, int port) {
    WebSocketClient client = vertx.createWebSocketClient();
    return new BridgeClient(client, await(client.connect(port, "127.0.0.1", "/eventbus/websocket")));
  }

  void write(JsonObject frame) {
    writeText(frame.encode());
  }

  void writeText(String text) {
    await(ws.writeTextMessage(text));
  }

  /** For use on an event loop, where blocking on the write is not allowed. */
  void writeTextAsync(String text) {
    ws.writeTextMessage(text);
  }

  void writeBinary(Buffer data) {
    await(ws.writeBinaryMessage(data));
  }

  /** The next frame from the server; fails the test if none comes within 5 s. */
  JsonObject next() {
    JsonObject frame = poll(5000);
    assertNotNull(frame, "expected a frame from the bridge");
    return frame;
  }

  /** The text of the last frame received, as the server wrote it. */
  String lastText() {
    return lastText;
  }

  JsonObject poll(long ms) {
    try {
      return frames.poll(ms, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  void expectNoFrame(long ms) {
    assertNull(poll(ms), "expected no frame from the bridge");
  }

  /** Registers and waits until the bridge has handled it (frames of one socket are handled in order). */
  void register(String address) {
    write(new JsonObject().put("type", "register").put("address", address).put("headers", new JsonObject()));
    ping();
  }

  void unregister(String address) {
    write(new JsonObject().put("type", "unregister").put("address", address));
    ping();
  }

  /** Sends with a fresh reply address and returns it. */
  String request(String address, Object body) {
    String replyAddress = "reply-" + (++replySeq);
    write(new JsonObject().put("type", "send").put("address", address).put("body", body)
        .put("replyAddress", replyAddress));
    return replyAddress;
  }

  /** A bridge.ping round trip: returns the PONG body. */
  JsonObject ping() {
    String replyAddress = request(Addresses.BRIDGE_PING, null);
    JsonObject frame = next();
    assertEquals("rec", frame.getString("type"), frame.encode());
    assertEquals(replyAddress, frame.getString("address"), frame.encode());
    return frame.getJsonObject("body");
  }

  boolean awaitClosed(long ms) {
    try {
      closed.get(ms, TimeUnit.MILLISECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  boolean isClosed() {
    return closed.isDone();
  }

  @Override
  public void close() {
    if (!isClosed()) ws.close();
    client.close();
  }
}
