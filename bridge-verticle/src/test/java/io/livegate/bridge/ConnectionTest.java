package io.livegate.bridge;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.core.Addresses;
import io.livegate.testing.BridgeClient;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP side: idle sockets, abrupt drops, the SockJS fallback transports and the dashboard page. */
class ConnectionTest extends BridgeTestBase {
  private HttpClient http;

  @BeforeEach
  void createHttpClient() {
    // No keep-alive: SockJS polling closes the connection after each poll without saying so
    // (vert-x3/vertx-web#2862), and a pooled connection could be reused as it closes.
    http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
  }

  @AfterEach
  void closeHttpClient() {
    await(http.close());
  }

  @Test
  void idleSocketIsClosedAfterTheIdleTimeoutWhileAPingingOneStaysOpen() {
    int shortIdle = startAnotherBridge(testConfig("--idle-timeout-ms", "400"));
    BridgeClient silent = connect(shortIdle);
    BridgeClient pinging = connect(shortIdle);
    long pinger = vertx.setPeriodic(100, id -> pinging.writeTextAsync("{\"type\":\"ping\"}"));

    assertTrue(silent.awaitClosed(3000), "the silent socket was closed");
    assertFalse(pinging.isClosed(), "a socket that pings stays open");
    vertx.cancelTimer(pinger);
    assertEquals("PONG", pinging.ping().getString("type"));
  }

  @Test
  void abruptClientDropIsCleanedUpWithoutWarnings() throws Exception {
    List<LogRecord> warnings = new CopyOnWriteArrayList<>();
    Handler collector = warningCollector(warnings);
    Logger.getLogger("").addHandler(collector);
    NetClient tcp = vertx.createNetClient();
    try {
      NetSocket socket = rawWebSocketHandshake(tcp);
      socket.write(maskedTextFrame("{\"type\":\"register\",\"address\":\"chat.lobby\"}"));
      waitUntil(() -> registry.get(BridgeMetrics.ADDRESSES).gauge().value() == 1); // registered, so the drop leaves it too

      await(socket.close()); // no WebSocket close frame: the TCP connection just goes

      waitUntil(() -> bridge.openConnections() == 0);
      await(bridge.heldBytes()); // a turn of the bridge's event loop after the close: whatever it logs is logged
      assertTrue(warnings.isEmpty(), () -> "logged: " + warnings.get(0).getMessage());
    } finally {
      Logger.getLogger("").removeHandler(collector);
      await(tcp.close());
    }
  }

  @Test
  void sockJsInfoEndpointAnswers() {
    Reply info = call(HttpMethod.GET, "/eventbus/info", null);
    assertEquals(200, info.status());
    assertTrue(new JsonObject(info.body()).getBoolean("websocket"));
  }

  @Test
  void xhrPollingFallbackCarriesFramesBothWays() {
    String session = "/eventbus/000/" + UUID.randomUUID() + "/";
    assertEquals("o\n", call(HttpMethod.POST, session + "xhr", null).body());

    JsonArray frames = new JsonArray()
        .add(new JsonObject().put("type", "register").put("address", Addresses.EVENTS_UPDATES).encode())
        .add(new JsonObject().put("type", "send").put("address", Addresses.BRIDGE_PING).put("replyAddress", "p1")
            .encode());
    assertEquals(204, call(HttpMethod.POST, session + "xhr_send", frames.encode()).status());
    JsonObject pong = pollFrames(session).get(0);
    assertEquals("p1", pong.getString("address"));
    assertEquals(BridgeTestBase.NODE_ID, pong.getJsonObject("body").getString("node"));

    vertx.eventBus().publish(Addresses.EVENTS_UPDATES, new JsonObject().put("id", "EVENT#01"));
    JsonObject update = pollFrames(session).get(0);
    assertEquals("rec", update.getString("type"));
    assertEquals(Addresses.EVENTS_UPDATES, update.getString("address"));
    assertEquals("EVENT#01", update.getJsonObject("body").getString("id"));
  }

  @Test
  void aPlainRequestToTheRawWebSocketIsRefusedWith400AndTheBridgeCarriesOn() {
    Reply refused = call(HttpMethod.GET, "/eventbus/websocket", null);
    assertEquals(400, refused.status());
    assertTrue(!refused.body().contains("Exception"), refused.body());
    assertEquals(200, call(HttpMethod.GET, "/eventbus/info", null).status());
  }

  @Test
  void dashboardPageIsServedAtRoot() {
    Reply page = call(HttpMethod.GET, "/", null);
    assertEquals(200, page.status());
    assertTrue(page.contentType().startsWith("text/html"), page.contentType());
    assertTrue(page.body().contains("<title>Livegate dashboard</title>"));
  }

  private record Reply(int status, String contentType, String body) {}

  private Reply call(HttpMethod method, String path, String body) {
    Future<Reply> reply = http.request(method, port, "127.0.0.1", path)
        .compose(request -> body == null ? request.send() : request.send(body))
        .compose(response -> response.body().map(data -> reply(response, data)));
    return await(reply);
  }

  private static Reply reply(HttpClientResponse response, Buffer data) {
    return new Reply(response.statusCode(), response.getHeader(HttpHeaders.CONTENT_TYPE), data.toString());
  }

  /** One xhr poll: {@code a["<frame>",...]} unpacked into bridge frames. */
  private List<JsonObject> pollFrames(String session) {
    String body = call(HttpMethod.POST, session + "xhr", null).body().trim();
    assertTrue(body.startsWith("a["), body);
    List<JsonObject> frames = new ArrayList<>();
    new JsonArray(body.substring(1)).forEach(text -> frames.add(new JsonObject((String) text)));
    return frames;
  }

  private NetSocket rawWebSocketHandshake(NetClient tcp) throws Exception {
    NetSocket socket = await(tcp.connect(port, "127.0.0.1"));
    CompletableFuture<String> response = new CompletableFuture<>();
    socket.handler(data -> response.complete(data.toString()));
    socket.write("GET /eventbus/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    assertTrue(response.get(5, TimeUnit.SECONDS).startsWith("HTTP/1.1 101"));
    return socket;
  }

  /** A client-to-server text frame (clients must mask; a zero mask keeps the payload readable). */
  private static Buffer maskedTextFrame(String text) {
    byte[] payload = text.getBytes();
    return Buffer.buffer().appendByte((byte) 0x81).appendByte((byte) (0x80 | payload.length))
        .appendInt(0).appendBytes(payload);
  }

  private static Handler warningCollector(List<LogRecord> warnings) {
    return new Handler() {
      @Override public void publish(LogRecord record) {
        if (record.getLevel().intValue() >= Level.WARNING.intValue()) warnings.add(record);
      }
      @Override public void flush() {}
      @Override public void close() {}
    };
  }
}
