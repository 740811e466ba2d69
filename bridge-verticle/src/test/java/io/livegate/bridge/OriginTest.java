package io.livegate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Pages of other sites may not open bridge connections with their visitors' browsers; the bridge's own may. */
class OriginTest extends BridgeTestBase {
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @Test
  void byDefaultOnlyTheBridgesOwnPagesAndClientsWithoutAnOriginMayConnect() throws IOException {
    int bridgePort = startAnotherBridge(testConfig(), meters).port();
    assertTrue(upgrade(bridgePort, "Origin: http://127.0.0.1:" + bridgePort + "\r\n").startsWith("HTTP/1.1 101"));
    assertTrue(upgrade(bridgePort, "").startsWith("HTTP/1.1 101"), "no Origin: not a browser page");
    String foreign = upgrade(bridgePort, "Origin: https://evil.example\r\n");
    assertTrue(foreign.startsWith("HTTP/1.1 403"), foreign);
    assertTrue(upgrade(bridgePort, "Origin: null\r\n").startsWith("HTTP/1.1 403"), "a sandboxed page");
    assertEquals(2, meters.counter(BridgeMetrics.CONNECTIONS_REFUSED, "reason", BridgeMetrics.REFUSED_ORIGIN).count());
  }

  @Test
  void sockJsRequestsFromAnotherSiteAreRefusedToo() throws IOException {
    int bridgePort = startAnotherBridge(testConfig(), meters).port();
    try (RawWireClient http = new RawWireClient(bridgePort, 0)) {
      String info = http.request("GET", "/eventbus/info", "Origin: https://evil.example\r\n");
      assertTrue(info.startsWith("HTTP/1.1 403"), info);
    }
    try (RawWireClient http = new RawWireClient(bridgePort, 0)) {
      String own = http.request("GET", "/eventbus/info", "Origin: http://127.0.0.1:" + bridgePort + "\r\n");
      assertTrue(own.startsWith("HTTP/1.1 200"), own);
    }
  }

  @Test
  void configuredOriginsMayConnectAndStarMeansAny() throws IOException {
    int listed = startAnotherBridge(testConfig("--allowed-origins", "https://app.example"), meters).port();
    assertTrue(upgrade(listed, "Origin: https://APP.example:443\r\n").startsWith("HTTP/1.1 101"));
    assertTrue(upgrade(listed, "Origin: https://other.example\r\n").startsWith("HTTP/1.1 403"));

    int any = startAnotherBridge(testConfig("--allowed-origins", "*"));
    assertTrue(upgrade(any, "Origin: https://other.example\r\n").startsWith("HTTP/1.1 101"));
  }

  private static String upgrade(int port, String originHeader) throws IOException {
    try (RawWireClient wire = new RawWireClient(port, 0)) {
      return wire.request("GET", RawWireClient.upgradeHeaders(13) + originHeader);
    }
  }
}
