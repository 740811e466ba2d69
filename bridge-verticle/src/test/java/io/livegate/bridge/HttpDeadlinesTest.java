package io.livegate.bridge;

import static io.livegate.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.core.HttpGuard;
import io.livegate.core.NodeConfig.HttpLimits;
import io.livegate.testing.BridgeClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Slowloris on the bridge port: connections that trickle a request's headers or body are closed at their deadline
 * (408 where an answer can still be given), the unfinished ones are capped, and what is upgraded or streaming is not
 * cut: a raw WebSocket, a SockJS WebSocket and an xhr-streaming response all outlive the deadlines and go on.
 */
class HttpDeadlinesTest extends BridgeTestBase {
  private static final long HEADER_MS = 400;
  private static final long BODY_MS = 600;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<Socket> sockets = new ArrayList<>();
  private int guarded;
  private BridgeVerticle limited;

  @AfterEach
  void closeSockets() throws IOException {
    for (Socket socket : sockets) socket.close();
  }

  @Test
  void aConnectionTricklingHeadersIsClosedAtTheDeadlineWhileAWebSocketGoesOn() throws Exception {
    start(new HttpLimits(HEADER_MS, BODY_MS, 100, 0));
    BridgeClient browser = connect(guarded);
    browser.register("public.deadline");
    Socket slow = open();
    long start = System.nanoTime();
    write(slow, "GET / HTTP/1.1\r\nHost: x\r\n");
    InputStream in = slow.getInputStream();
    trickle(slow, i -> "X-Slow: " + i + "\r\n"); // a header line at a time, never the blank line that ends them
    assertEquals(0, readUntilEnd(in).length, "closed without an answer");
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(tookMs >= HEADER_MS && tookMs < HEADER_MS + 1500, "closed after " + tookMs + " ms");
    assertEquals(1, timedOut(HttpGuard.PHASE_HEADERS));

    vertx.eventBus().publish("public.deadline", "after the deadline");
    assertEquals("after the deadline", browser.next().getString("body"), "the upgraded socket is not the guard's");
    assertFalse(browser.isClosed());
  }

  @Test
  void anIdleConnectionAfterItsAnswerIsClosedAtTheHeaderDeadline() throws Exception {
    start(new HttpLimits(HEADER_MS, BODY_MS, 100, 0));
    Socket keptAlive = open();
    write(keptAlive, "GET /eventbus/info HTTP/1.1\r\nHost: x\r\n\r\n");
    String answer = new String(readUntilEnd(keptAlive.getInputStream()), StandardCharsets.US_ASCII);
    assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
    assertEquals(1, timedOut(HttpGuard.PHASE_HEADERS), "closed once idle for the header timeout");
  }

  @Test
  void aBodyThatDoesNotArriveInTimeGets408AndItsConnectionIsClosed() throws Exception {
    start(new HttpLimits(HEADER_MS, BODY_MS, 100, 0));
    Socket slow = open();
    write(slow, "POST /eventbus/123/abcdef/xhr_send HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n[");
    trickle(slow, i -> "\"");
    String answer = new String(readUntilEnd(slow.getInputStream()), StandardCharsets.US_ASCII);
    assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
    assertEquals(1, timedOut(HttpGuard.PHASE_BODY));
  }

  @Test
  void beyondTheCapTheLongestWaitingUnfinishedConnectionMakesRoomForANewOne() throws Exception {
    start(new HttpLimits(60_000, 60_000, 3, 0));
    Socket oldest = open();
    write(oldest, "GET / HTTP/1.1\r\n");
    awaitUnfinished(1);
    open();
    open();
    awaitUnfinished(3);
    Thread.sleep(HttpGuard.EVICTABLE_AFTER_MS); // set-up: the three have now waited long enough to make room
    Socket quick = open();
    write(quick, "GET /eventbus/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    String answer = new String(readUntilEnd(quick.getInputStream()), StandardCharsets.US_ASCII);
    assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
    assertEquals(0, readUntilEnd(oldest.getInputStream()).length, "the oldest was closed without an answer");
    assertEquals(1, meters.counter(HttpGuard.REFUSED, "port", "bridge", "reason", HttpGuard.REASON_UNFINISHED).count());
  }

  /** A connect storm's connections are young: none is closed for a newcomer, which is refused instead (load shed). */
  @Test
  void beyondTheCapWithOnlyYoungConnectionsTheNewOneIsRefused() throws Exception {
    start(new HttpLimits(60_000, 60_000, 2, 0));
    Socket first = open();
    Socket second = open();
    awaitUnfinished(2);
    Socket third = open();
    assertEquals(0, readUntilEnd(third.getInputStream()).length, "closed at once");
    write(first, "GET /eventbus/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertTrue(new String(readUntilEnd(first.getInputStream()), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"));
    assertEquals(1, meters.counter(HttpGuard.REFUSED, "port", "bridge", "reason", HttpGuard.REASON_UNFINISHED).count());
    second.close();
  }

  /** SockJS's own WebSocket, upgraded by Vert.x (not by the raw takeover), outlives the deadlines too. */
  @Test
  void aSockJsWebSocketOutlivesTheDeadlines() throws Exception {
    start(new HttpLimits(HEADER_MS, BODY_MS, 100, 0));
    WebSocketClient client = vertx.createWebSocketClient();
    LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
    // Handlers first: one set as the connect completes can miss SockJS's open frame.
    ClientWebSocket ws = client.webSocket();
    ws.textMessageHandler(frames::add);
    await(ws.connect(guarded, "127.0.0.1", "/eventbus/123/sockjsws/websocket"));
    assertEquals("o", frames.poll(5, TimeUnit.SECONDS));
    Socket slow = open();
    write(slow, "GET / HTTP/1.1\r\n");
    assertEquals(0, readUntilEnd(slow.getInputStream()).length, "the slow one is closed at its deadline");
    await(ws.writeTextMessage("[\"{\\\"type\\\":\\\"send\\\",\\\"address\\\":\\\"bridge.ping\\\",\\\"replyAddress\\\":\\\"r1\\\"}\"]"));
    String reply = frames.poll(5, TimeUnit.SECONDS);
    assertTrue(reply != null && reply.startsWith("a[") && reply.contains("PONG"), String.valueOf(reply));
    await(client.close());
  }

  /** An xhr-streaming response streams for as long as the session lives: neither deadline cuts it. */
  @Test
  void anXhrStreamingResponseIsNotCutByTheDeadlines() throws Exception {
    start(new HttpLimits(HEADER_MS, BODY_MS, 100, 0));
    Socket stream = open();
    stream.setSoTimeout(5000);
    write(stream, "POST /eventbus/123/streaming/xhr_streaming HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    InputStream in = stream.getInputStream();
    awaitText(in, "\r\no\n"); // SockJS's open frame, in a chunk of its own
    Socket slow = open();
    write(slow, "GET / HTTP/1.1\r\n");
    assertEquals(0, readUntilEnd(slow.getInputStream()).length, "the slow one is closed at its deadline");
    Thread.sleep(BODY_MS); // both deadlines are now past for the stream, which must still be served

    Socket send = open();
    String ping = "[\"{\\\"type\\\":\\\"send\\\",\\\"address\\\":\\\"bridge.ping\\\",\\\"replyAddress\\\":\\\"r1\\\"}\"]";
    write(send, "POST /eventbus/123/streaming/xhr_send HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: "
        + ping.length() + "\r\n\r\n" + ping);
    assertTrue(awaitText(in, "PONG").contains("a["), "the reply came down the stream");
    assertEquals(1, timedOut(HttpGuard.PHASE_HEADERS), "only the slow one timed out");
  }

  private void start(HttpLimits limits) {
    limited = startAnotherBridge(testConfig("--http-header-timeout-ms", String.valueOf(limits.headerTimeoutMs()),
        "--http-body-timeout-ms", String.valueOf(limits.bodyTimeoutMs()),
        "--max-unfinished-connections", String.valueOf(limits.maxUnfinished()),
        "--fd-reserve", String.valueOf(limits.descriptorReserve())), meters);
    guarded = limited.port();
  }

  /** The server sees a connection a moment after the client's connect returns. */
  private void awaitUnfinished(int connections) throws InterruptedException {
    for (int i = 0; i < 250 && limited.guard().unfinishedConnections() < connections; i++) Thread.sleep(20);
    assertEquals(connections, limited.guard().unfinishedConnections());
  }

  /** Writes a piece at a time, every 50 ms, until the server answers or closes the connection (at most 3 s). */
  private static void trickle(Socket socket, java.util.function.IntFunction<String> piece) throws Exception {
    for (int i = 0; i < 60 && socket.getInputStream().available() == 0; i++) {
      try {
        write(socket, piece.apply(i));
      } catch (IOException closedMeanwhile) {
        return;
      }
      Thread.sleep(50);
    }
  }

  private Socket open() throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", guarded), 5000);
    socket.setSoTimeout(5000);
    sockets.add(socket);
    return socket;
  }

  private static void write(Socket socket, String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
  }

  /** What the server sends until it closes the connection (fails on the 5 s read timeout). */
  private static byte[] readUntilEnd(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] chunk = new byte[4096];
    try {
      for (int n = in.read(chunk); n != -1; n = in.read(chunk)) all.write(chunk, 0, n);
    } catch (java.net.SocketException reset) {
      // closed by the server with unread bytes: a reset
    }
    return all.toByteArray();
  }

  private static String awaitText(InputStream in, String wanted) throws IOException {
    StringBuilder seen = new StringBuilder();
    byte[] chunk = new byte[4096];
    while (!seen.toString().contains(wanted)) {
      int n;
      try {
        n = in.read(chunk);
      } catch (SocketTimeoutException e) {
        throw new AssertionError("no '" + wanted.replace("\r", "\\r").replace("\n", "\\n") + "' within 5 s: "
            + seen.toString().replace("\r", "\\r").replace("\n", "\\n"));
      }
      if (n == -1) throw new AssertionError("closed before '" + wanted + "': " + seen);
      seen.append(new String(chunk, 0, n, StandardCharsets.UTF_8));
    }
    return seen.toString();
  }

  private double timedOut(String phase) {
    return meters.counter(HttpGuard.TIMED_OUT, "port", "bridge", "phase", phase).count();
  }
}
