package io.livegate.launcher;

import static io.livegate.launcher.PrometheusText.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The node's HTTP gauges come back down whatever a client does: none only grows. */
class HttpMetricsTest {
  private static final String ACTIVE = "vertx_http_server_active_requests";

  @Test
  void headsThatNeverEndOrCannotBeReadLeaveNoActiveRequestBehind() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode node = cluster.start("bridge,rest", "--http-header-timeout-ms", "300");
      double before = value(cluster.get(node, "/metrics").bodyAsString(), ACTIVE);

      for (int port : new int[] {node.config().apiPort(), node.config().bridgePort()}) {
        // Netty hands the part of a head it has on as an invalid request when the deadline closes the connection.
        assertEquals("", exchange(port, "GET /eventbus/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a\r\n"));
        assertTrue(exchange(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n").matches("(?s)HTTP/1\\.[01] 400 .*"));
        String tooLong = exchange(port, "GET /" + "x".repeat(10_000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertTrue(tooLong.matches("(?s)HTTP/1\\.[01] 414 .*"), tooLong); // an unreadable head says no version: 1.0
      }
      String rest = exchange(node.config().apiPort(), "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n");
      assertTrue(rest.endsWith("{\"error\":\"not a well-formed HTTP request\",\"status\":400}"), rest);

      assertEquals(before, value(cluster.get(node, "/metrics").bodyAsString(), ACTIVE), 0.5);
    }
  }

  @Test
  void requestsWhoseBodyNeverArrivesGetA408AndLeaveNoActiveRequestBehind() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode node = cluster.start("bridge,rest", "--http-body-timeout-ms", "300");
      double before = value(cluster.get(node, "/metrics").bodyAsString(), ACTIVE);

      for (int port : new int[] {node.config().apiPort(), node.config().bridgePort()}) {
        for (int i = 0; i < 3; i++) {
          String answer = postWithoutTheBody(port, port == node.config().apiPort() ? "/api/publish/public.x" : "/eventbus/000/s/xhr_send");
          assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
        }
      }

      // What is active now is this /metrics request itself, as before.
      assertEquals(before, value(cluster.get(node, "/metrics").bodyAsString(), ACTIVE), 0.5);
    }
  }

  /** A POST that announces a body and sends only its first bytes; returns all the node answers before it closes. */
  private static String postWithoutTheBody(int port, String path) throws IOException {
    return exchange(port, "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        + "Content-Length: 100\r\n\r\n[\"a"); // a little of it, as slowloris does
  }

  /** Sends {@code text} and returns all the node answers until it closes the connection. */
  private static String exchange(int port, String text) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
