package io.livegate.rest;

import static io.livegate.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.core.HttpGuard;
import io.livegate.core.NodeConfig;
import io.livegate.core.NodeSettings;
import io.livegate.testing.SettableCluster;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Slow and vanishing clients of the REST port: a body that does not arrive in time gets the API's 408, headers that
 * never end are closed, both counted; a client that goes away mid-request costs no log line.
 */
class SlowClientsTest {
  private static final long HEADER_MS = 300;
  private static final long BODY_MS = 400;
  private final List<LogRecord> warnings = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      if (record.getLevel().intValue() >= Level.WARNING.intValue() || record.getThrown() != null) warnings.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private Vertx vertx;
  private PrometheusMeterRegistry registry;
  private int port;

  @BeforeEach
  void startApi() throws Exception {
    Logger.getLogger("").addHandler(capture);
    vertx = Vertx.vertx();
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    NodeConfig config = NodeSettings.parse(new String[] {"--max-body-bytes", "1024",
        "--http-header-timeout-ms", String.valueOf(HEADER_MS), "--http-body-timeout-ms", String.valueOf(BODY_MS),
        "--max-unfinished-connections", "100", "--fd-reserve", "0"}, Map.of()).config().withListening("127.0.0.1", 0, 0);
    RestVerticle api = new RestVerticle(config, new SettableCluster("self").setMembers(List.of()), registry, () -> true, () -> { });
    await(vertx.deployVerticle(api));
    port = api.actualPort();
  }

  @AfterEach
  void stopApi() {
    Logger.getLogger("").removeHandler(capture);
    await(vertx.close());
    registry.close();
  }

  @Test
  void aBodyThatDoesNotArriveInTimeGetsTheApis408() throws Exception {
    try (Socket slow = open()) {
      write(slow, "POST /api/publish/public.slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
      String answer = readUntilEnd(slow.getInputStream());
      assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
      JsonObject error = new JsonObject(answer.substring(answer.indexOf("\r\n\r\n") + 4));
      assertEquals(408, error.getInteger("status"));
    }
    assertEquals(1, registry.counter(HttpGuard.TIMED_OUT, "port", "rest", "phase", HttpGuard.PHASE_BODY).count());
    assertEquals(List.of(), messages());
  }

  @Test
  void headersThatNeverEndAreClosedAndTheNextClientIsServed() throws Exception {
    try (Socket slow = open()) {
      write(slow, "GET /health HTTP/1.1\r\nHost: x\r\n");
      assertEquals("", readUntilEnd(slow.getInputStream()), "closed, with no request to answer");
    }
    assertEquals(1, registry.counter(HttpGuard.TIMED_OUT, "port", "rest", "phase", HttpGuard.PHASE_HEADERS).count());
    assertTrue(health().startsWith("HTTP/1.1 200"));
  }

  /** Once a WARNING each ("-> 500 ... Connection was closed"): whoever sent requests set the log's volume. */
  @Test
  void aClientThatGoesAwayMidRequestCostsNoLogLine() throws Exception {
    for (int i = 0; i < 20; i++) {
      try (Socket gone = open()) {
        write(gone, "POST /api/publish/public.gone HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"half\":");
      }
    }
    // The REST verticle has one event loop: the closes above are handled before this later connection's request.
    assertTrue(health().startsWith("HTTP/1.1 200"));
    assertEquals(List.of(), messages());
  }

  @Test
  void aBodyTheDecoderCannotReadIsA400AndNoWarning() throws Exception {
    try (Socket broken = open()) {
      write(broken, "POST /api/publish/public.broken HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
      // Vert.x closes a connection whose decoder failed: the 400 may be lost to the reset of the unread bytes.
      String answer = readUntilEnd(broken.getInputStream());
      assertTrue(answer.isEmpty() || answer.startsWith("HTTP/1.1 400"), "[" + answer + "]");
    }
    assertTrue(health().startsWith("HTTP/1.1 200")); // handled on the same event loop after the broken one
    assertEquals(List.of(), messages(), "once a WARNING with a 500");
  }

  private String health() throws IOException {
    try (Socket socket = open()) {
      write(socket, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      return readUntilEnd(socket.getInputStream());
    }
  }

  private List<String> messages() {
    return warnings.stream().map(r -> r.getLevel() + " " + r.getMessage()).toList();
  }

  private Socket open() throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(5000);
    return socket;
  }

  private static void write(Socket socket, String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
  }

  private static String readUntilEnd(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] chunk = new byte[4096];
    try {
      for (int n = in.read(chunk); n != -1; n = in.read(chunk)) all.write(chunk, 0, n);
    } catch (java.net.SocketException reset) {
      // closed with unread bytes: a reset
    }
    return all.toString(StandardCharsets.UTF_8);
  }
}
