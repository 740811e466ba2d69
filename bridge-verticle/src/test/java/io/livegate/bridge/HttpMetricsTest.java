package io.livegate.bridge;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Vert.x's HTTP meters of the bridge's server (on in every node, see launcher's NodeMetrics) stay true for raw WebSockets. */
class HttpMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private Vertx vertx;
  private BridgeVerticle bridge;

  @BeforeEach
  void startBridgeWithVertxMetrics() {
    vertx = Vertx.builder()
        .with(new io.vertx.core.VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    bridge = new BridgeVerticle(BridgeTestBase.testConfig(), BridgeTestBase.oneNode(), registry);
    await(vertx.deployVerticle(bridge));
  }

  @AfterEach
  void stop() {
    await(vertx.close());
  }

  @Test
  void rawWebSocketUpgradesAreNotCountedAsActiveRequestsWhileOpenNorAfter() throws IOException {
    List<RawWireClient> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        RawWireClient socket = new RawWireClient(bridge.port(), 0).open();
        socket.bridgePing(); // admitted and served
        sockets.add(socket);
      }
      assertEquals(0, activeGetRequests(), "handed over: no longer a request in progress");
    } finally {
      for (RawWireClient socket : sockets) socket.close();
    }
    waitUntil(() -> bridge.openConnections() == 0);
    assertEquals(0, activeGetRequests(), "and not after they have closed");
    assertEquals(3, registry.get("vertx.http.server.requests").tag("method", "GET").counter().count(),
        "each upgrade counted once as a request");
  }

  private double activeGetRequests() {
    Gauge gauge = registry.find("vertx.http.server.active.requests").tag("method", "GET").gauge();
    return gauge == null ? 0 : gauge.value();
  }
}
