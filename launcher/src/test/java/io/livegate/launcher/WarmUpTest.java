package io.livegate.launcher;

import static io.livegate.launcher.PrometheusText.value;
import static io.livegate.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.core.NodeConfig;
import io.livegate.core.NodeSettings;
import io.livegate.testing.BridgeClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A node pays the JIT before it reports ready, through a private copy of its bridge: the node's metrics, its
 * cluster and its real port see nothing of it, and its security is not loosened by it.
 */
class WarmUpTest {

  @Test
  void aNodeIsReadyOnlyOnceWarmedUpAndNothingOfTheWarmUpShows() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode node = cluster.start("bridge,rest", "--warm-up", "true");
      BridgeWarmUp.Outcome outcome = node.warmedUp();
      assertNotNull(outcome, "the warm-up ran before the node started");
      assertEquals(outcome.passes() * BridgeWarmUp.CONNECTIONS, outcome.connections(), outcome.toString());
      assertEquals((long) outcome.connections() * BridgeWarmUp.ROUNDS, outcome.deliveries(), outcome.toString());
      assertEquals((long) outcome.passes() * BridgeWarmUp.ROUNDS * BridgeWarmUp.ADDRESSES, outcome.restPublishes(),
          "with the rest role, every message went through the private REST API");
      assertTrue(node.isReady());
      assertEquals(200, cluster.get(node, "/ready").statusCode());

      String metrics = cluster.get(node, "/metrics").bodyAsString();
      assertEquals(0, value(metrics, "livegate_bridge_connections"));
      assertEquals(0, value(metrics, "livegate_bridge_frames_out_total", "type=\"rec\""), "no warm-up frame counted");
      assertFalse(metrics.contains("warmup"), "no warm-up address in the event-bus meters");
      // The warm-up's Vert.x once shared the node's registry (Vert.x's Micrometer backends are keyed by name):
      // its 6,006 upgrades and 3,000 REST publishes showed in the node's HTTP server meters.
      assertEquals(0, value(metrics, "vertx_http_server_requests_total", "code=\"101\""), "no warm-up upgrade counted");
      assertEquals(0, value(metrics, "vertx_http_server_requests_total", "method=\"POST\""), "no warm-up publish");

      BridgeClient browser = cluster.connect(node);
      browser.subscribe("public.after.warmup");
      assertEquals(202, cluster.post(node, "/api/publish/public.after.warmup", "{\"n\":1}").statusCode());
      JsonObject frame = browser.next(f -> "public.after.warmup".equals(f.getString("address")), 5);
      assertEquals(1, frame.getJsonObject("body").getInteger("n"));
      assertEquals(1, value(cluster.get(node, "/metrics").bodyAsString(), "livegate_bridge_connections"));
    }
  }

  @Test
  void aNodeThatWantsTokensStillRefusesBrowsersWithoutOneAfterItsWarmUp() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode node = cluster.start("bridge", "--warm-up", "true",
          "--jwt-secret", "a-secret-of-at-least-thirty-two-chars!", "--anonymous", "false");
      BridgeWarmUp.Outcome outcome = node.warmedUp();
      assertEquals((long) outcome.passes() * BridgeWarmUp.CONNECTIONS * BridgeWarmUp.ROUNDS, outcome.deliveries(),
          "the private bridge admits its own clients");
      assertEquals(0, outcome.restPublishes(), "without the rest role, messages are published on the event bus");
      BridgeClient browser = cluster.connect(node);
      JsonObject refusal = browser.next(f -> "err".equals(f.getString("type")), 5);
      assertEquals("token_required", refusal.getString("body"));
    }
  }

  /**
   * Over TLS, with fewer clients. And with an idle timeout shorter than the storm of handshakes: the warm-up's clients
   * are silent until the first ping, and the private bridge once closed them on the node's timeout, so the warm-up
   * stalled on a busy machine.
   */
  @Test
  void aNodeWithTlsWarmsUpOverTlsWhateverItsIdleTimeout() throws Exception {
    SelfSignedCertificate certificate = SelfSignedCertificate.create("livegate.example");
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode node = cluster.start("bridge,rest", "--warm-up", "true", "--idle-timeout-ms", "500",
          "--tls-cert", certificate.certificatePath(), "--tls-key", certificate.privateKeyPath());
      BridgeWarmUp.Outcome outcome = node.warmedUp();
      assertNotNull(outcome, "the warm-up ran before the node started");
      assertEquals(outcome.passes() * BridgeWarmUp.TLS_CONNECTIONS, outcome.connections(), outcome.toString());
      assertEquals((long) outcome.connections() * BridgeWarmUp.ROUNDS, outcome.deliveries(), outcome.toString());
      assertEquals((long) outcome.passes() * BridgeWarmUp.ROUNDS * BridgeWarmUp.ADDRESSES, outcome.restPublishes(),
          "published through the private REST API, over TLS too");
    } finally {
      certificate.delete();
    }
  }

  /**
   * A warm-up over its budget starts no further pass (the first always runs), so that a node on a slow or crowded
   * machine becomes ready with a shorter warm-up rather than late; the log says so.
   */
  @Test
  void noPassStartsOnceTheBudgetIsSpent() throws Exception {
    NodeConfig config = NodeSettings.parse(new String[] {"--roles", "bridge", "--http-host", "127.0.0.1"}, Map.of())
        .config();
    Vertx home = Vertx.vertx();
    try {
      BridgeWarmUp.Outcome outcome = await(BridgeWarmUp.run(config, home.getOrCreateContext(), 0), 120);
      assertEquals(1, outcome.passes(), outcome.toString());
      assertEquals(BridgeWarmUp.CONNECTIONS, outcome.connections(), outcome.toString());
      assertEquals((long) BridgeWarmUp.CONNECTIONS * BridgeWarmUp.ROUNDS, outcome.deliveries(), outcome.toString());
      assertEquals(0, outcome.restPublishes(), "no rest role: published on the private event bus");
      assertTrue(outcome.toString().endsWith("(1 of " + BridgeWarmUp.PASSES + " passes: over its time budget)"),
          outcome.toString());
    } finally {
      home.close().await();
    }
  }

  @Test
  void aNodeWithoutABridgeOrWithTheWarmUpOffStartsAtOnce() throws Exception {
    try (TestCluster cluster = new TestCluster()) {
      assertNull(cluster.start("rest", "--warm-up", "true").warmedUp());
      assertNull(cluster.start("bridge,rest").warmedUp(), "TestCluster's nodes start with --warm-up false");
    }
  }
}
