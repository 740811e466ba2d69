package io.livegate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a client may post to SockJS's send transports: every malformed body gets a 4xx, one over the frame limit 413,
 * each counted, and none of them a stack trace or a SEVERE line in the log (vertx-web alone answered 500, threw a
 * NullPointerException on {@code [null]} and failed its router on large forms).
 */
class SockJsSendTest extends BridgeTestBase {
  private static final String PING = "[\"{\\\"type\\\":\\\"ping\\\"}\"]";
  private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      if (record.getLevel().intValue() >= Level.WARNING.intValue() || record.getThrown() != null) logged.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void captureTheLog() {
    Logger.getLogger("").addHandler(capture);
  }

  @AfterEach
  void stopCapturing() {
    Logger.getLogger("").removeHandler(capture);
  }

  @Test
  void everyMalformedXhrSendGetsA4xxAndNoStackTrace() throws Exception {
    long limit = SockJsSends.bodyLimit(testConfig().maxFrameBytes());
    assertEquals(400, xhrSend("[null]", "text/plain"));
    assertEquals(400, xhrSend("[{}]", "text/plain"));
    assertEquals(400, xhrSend("[1]", "text/plain"));
    assertEquals(400, xhrSend("{}", "text/plain"));
    assertEquals(400, xhrSend("not json", "text/plain"));
    assertEquals(400, xhrSend("", "text/plain"));
    assertEquals(413, xhrSend("[\"" + "a".repeat((int) limit) + "\"]", "text/plain"));
    assertEquals(413, xhrSend("a=" + "b".repeat((int) limit), "application/x-www-form-urlencoded"));
    assertEquals(400, xhrSend("a=" + "b".repeat((int) limit / 2), "application/x-www-form-urlencoded"));
    assertEquals(400, xhrSend("a=%zz", "application/x-www-form-urlencoded"));
    assertEquals(415, xhrSend("--x\r\n\r\n--x--\r\n", "multipart/form-data; boundary=x"));
    assertEquals(413, chunkedXhrSend("[\"" + "a".repeat((int) limit) + "\"]"), "no Content-Length: counted as it comes");

    assertEquals(204, xhrSend(PING, "text/plain"), "a well-formed send is SockJS's, as before");
    assertEquals(204, xhrSend(PING, "application/x-www-form-urlencoded"), "as curl -d sends it");
    assertEquals(List.of(), logged.stream().map(r -> r.getLevel() + " " + r.getMessage()).toList());
    assertEquals(8, refused(SockJsSends.MALFORMED));
    assertEquals(3, refused(SockJsSends.TOO_LARGE));
    assertEquals(1, refused(SockJsSends.UNSUPPORTED_TYPE));
  }

  @Test
  void aSockJsWebSocketUpgradeWithAnEmptyBodyIsServedAsAnyOther() throws Exception {
    // Browsers send no Content-Length with an upgrade; a client that sends "Content-Length: 0" is served all the same.
    RawWireClient wire = new RawWireClient(port, 0);
    try {
      String head = wire.request("GET", "/eventbus/000/" + UUID.randomUUID() + "/websocket", RawWireClient.upgradeHeaders(13));
      assertTrue(head.startsWith("HTTP/1.1 101"), head);
      assertEquals("o", wire.readText());
    } finally {
      wire.close();
    }
    assertEquals(List.of(), logged.stream().map(r -> r.getLevel() + " " + r.getMessage()).toList());
  }

  @Test
  void jsonpSendTakesItsFormAndRefusesWhatSockJsWouldChokeOn() throws Exception {
    assertEquals(200, send("jsonp_send", "d=" + java.net.URLEncoder.encode(PING, "UTF-8"), "application/x-www-form-urlencoded"));
    assertEquals(400, send("jsonp_send", "d=" + java.net.URLEncoder.encode("[null]", "UTF-8"), "application/x-www-form-urlencoded"));
    assertEquals(400, send("jsonp_send", "x=1", "application/x-www-form-urlencoded"));
    assertEquals(415, send("jsonp_send", PING, "application/json"));
    assertEquals(List.of(), logged.stream().map(r -> r.getLevel() + " " + r.getMessage()).toList());
  }

  /**
   * A client of its own for each request: SockJS closes an xhr polling connection after its answer, and a client that
   * pooled it would send the next request into the closed connection.
   */
  private static HttpClient http() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  private int xhrSend(String body, String type) throws Exception {
    return send("xhr_send", body, type);
  }

  /** Opens a session (xhr polling, answered at once with SockJS's open frame) and posts {@code body} to it. */
  private int send(String transport, String body, String type) throws Exception {
    String session = base() + UUID.randomUUID().toString().substring(0, 8);
    assertEquals(200, http().send(HttpRequest.newBuilder(URI.create(session + "/xhr")).POST(HttpRequest.BodyPublishers.noBody())
        .build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    HttpRequest request = HttpRequest.newBuilder(URI.create(session + "/" + transport)).header("Content-Type", type)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return http().send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  private int chunkedXhrSend(String body) throws Exception {
    String session = base() + UUID.randomUUID().toString().substring(0, 8);
    http().send(HttpRequest.newBuilder(URI.create(session + "/xhr")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.discarding());
    HttpRequest request = HttpRequest.newBuilder(URI.create(session + "/xhr_send")).header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body.getBytes()))).build();
    try {
      return http().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (java.io.IOException cutWhileSending) {
      return 413; // the answer came while the client was still sending: the JDK's client then reports the reset
    }
  }

  private String base() {
    return "http://127.0.0.1:" + port + "/eventbus/000/";
  }

  private double refused(String reason) {
    return registry.counter(SockJsSends.REFUSED, "reason", reason).count();
  }

  @Test
  void theLimitFitsTheLargestFrameEscaped() {
    assertTrue(SockJsSends.bodyLimit(65_536) >= 2 * 65_536 + "[\"\"]".length());
  }
}
