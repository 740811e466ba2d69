package io.livegate.bridge;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.testing.BridgeClient;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What an operator relies on: drain, and the frames-out meter. */
class BridgeOperationsTest extends BridgeTestBase {
  private WebSocketClient wsClient;

  @BeforeEach
  void createClient() {
    wsClient = vertx.createWebSocketClient();
  }

  @AfterEach
  void closeClient() {
    await(wsClient.close());
  }

  @Test
  void drainClosesRawWebSocketsWith1012AndRefusesNewOnesWith503() throws Exception {
    WebSocket ws = await(wsClient.connect(port, "127.0.0.1", "/eventbus/websocket"));
    CompletableFuture<Void> closed = new CompletableFuture<>();
    ws.closeHandler(v -> closed.complete(null));
    ws.writeTextMessage(new JsonObject().put("type", "register").put("address", "events.updates").encode());
    waitUntil(() -> bridge.openConnections() == 1);

    await(bridge.drain());

    closed.get(5, TimeUnit.SECONDS);
    assertEquals((short) 1012, ws.closeStatusCode());
    assertEquals("node draining, reconnect", ws.closeReason());
    waitUntil(() -> bridge.openConnections() == 0);
    ExecutionException refused = assertThrows(ExecutionException.class,
        () -> wsClient.connect(port, "127.0.0.1", "/eventbus/websocket").toCompletionStage().toCompletableFuture()
            .get(5, TimeUnit.SECONDS));
    assertEquals(503, assertInstanceOf(UpgradeRejectedException.class, refused.getCause()).getStatus());
  }

  @Test
  void drainClosesSockJsSessionsWithSockJsCloseFrame() throws Exception {
    // SockJS's own WebSocket transport: frames "o" (open), "a[...]" (messages), "c[code,reason]" (close).
    BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    // The handler is set as the connection completes, on its event loop: set after, it could miss the "o" frame.
    WebSocket ws = await(wsClient.connect(port, "127.0.0.1", "/eventbus/000/drainsession/websocket")
        .onSuccess(socket -> socket.textMessageHandler(frames::add)));
    assertEquals("o", frames.poll(5, TimeUnit.SECONDS));
    waitUntil(() -> bridge.openConnections() == 1);

    await(bridge.drain());

    // vertx-web 5.0.10 drops the code and reason of SockJSSocket.close(code, reason): its own close frame
    // (3000 "Go away!") goes out; once it honours them, this frame says 1012 like the raw WebSocket.
    String close = frames.poll(5, TimeUnit.SECONDS);
    assertTrue(close != null && close.startsWith("c["), "a SockJS close frame: " + close);
    waitUntil(() -> bridge.openConnections() == 0);
  }

  @Test
  void framesOutAreCountedByTypeOncePerSocketWritten() {
    BridgeClient a = connect();
    BridgeClient b = connect();
    a.register("chat.ops");
    b.register("chat.ops");
    double recBefore = framesOut("rec");
    double errBefore = framesOut("err");

    vertx.eventBus().publish("chat.ops", new JsonObject().put("n", 1));
    a.next();
    b.next();
    a.writeText("not json");
    a.next();

    assertEquals(recBefore + 2, framesOut("rec"), "one published message written to two sockets");
    assertEquals(errBefore + 1, framesOut("err"));
  }

  private double framesOut(String type) {
    return registry.get(BridgeMetrics.FRAMES_OUT).tag("type", type).counter().count();
  }
}
