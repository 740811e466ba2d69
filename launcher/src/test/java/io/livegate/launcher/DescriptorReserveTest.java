package io.livegate.launcher;

import static io.livegate.launcher.PrometheusText.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.UnixOperatingSystemMXBean;
import io.livegate.testing.BridgeClient;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Running out of file descriptors must not stop a node serving the clients it has, its health checks and its REST
 * API: flooded with idle connections beyond its budget, the bridge port refuses the surplus (or closes the oldest idle
 * ones for it, counted) while /health answers, a publish through the API is taken, and a browser connected before gets it.
 */
class DescriptorReserveTest {
  /** Connections this JVM may still open before the bridge refuses; each costs two descriptors here (both ends). */
  private static final int BUDGET = 600;

  @Test
  void aNodeFloodedBeyondItsDescriptorsStillAnswersHealthAndServesItsClients() throws Exception {
    UnixOperatingSystemMXBean os = (UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    List<Socket> flood = new ArrayList<>();
    try (TestCluster cluster = new TestCluster()) {
      // The bridge refuses once fewer than the reserve are free: BUDGET descriptors from now on, less what the node
      // takes to start (Hazelcast, the event bus, the jars).
      long reserve = os.getMaxFileDescriptorCount() - os.getOpenFileDescriptorCount() - BUDGET;
      GatewayNode tight = cluster.start("bridge,rest", "--fd-reserve", String.valueOf(reserve));
      BridgeClient tightBrowser = cluster.connect(tight);
      tightBrowser.subscribe("public.fd");

      double refused = 0;
      for (int round = 0; round < 20 && refused == 0; round++) {
        for (int i = 0; i < BUDGET / 10; i++) flood.add(idle(tight.config().bridgePort()));
        refused = value(cluster.get(tight, "/metrics").bodyAsString(), "livegate_http_connections_refused_total",
            "port=\"bridge\"", "reason=\"file_descriptors\"");
      }
      assertTrue(refused > 0, "the bridge refused connections beyond its descriptors, or closed old idle ones for them");
      assertTrue(flood.stream().anyMatch(DescriptorReserveTest::closedByTheNode), "flood connections were closed");

      assertEquals(200, cluster.get(tight, "/health").statusCode(), "the REST port keeps a reserve of its own");
      assertEquals(202, cluster.post(tight, "/api/publish/public.fd", "{\"n\":1}").statusCode());
      assertEquals(1, tightBrowser.next(f -> "public.fd".equals(f.getString("address")), 5)
          .getJsonObject("body").getInteger("n"), "the browser connected before is served");
      assertFalse(tightBrowser.isClosed());
      assertEquals(0, value(cluster.get(tight, "/metrics").bodyAsString(), "livegate_http_connections_refused_total",
          "port=\"rest\""), "the REST port refused nothing");
    } finally {
      for (Socket socket : flood) socket.close();
    }
  }

  private static Socket idle(int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(2000);
    return socket;
  }

  private static boolean closedByTheNode(Socket socket) {
    try {
      socket.setSoTimeout(1);
      return socket.getInputStream().read() == -1;
    } catch (java.net.SocketTimeoutException stillOpen) {
      return false;
    } catch (java.net.SocketException reset) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
