package io.livegate.bridge;

import static io.livegate.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.core.NodeState;
import io.livegate.core.Probes;
import io.livegate.testing.BridgeClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** What the bridge port answers besides the bridge: its errors, the cluster panel's list, the probes of a bridge-only node. */
class BridgePortAnswersTest extends BridgeTestBase {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void whatNoRouteServesIsAJsonErrorNotAnHtmlPage() throws Exception {
    HttpResponse<String> missing = get(port, "/nope");
    assertJsonError(missing, 404);
    assertTrue(missing.body().contains("/nope is not a path of this port"), missing.body());
    // A request line of 20,000 characters: refused before routing, with a body that says why.
    HttpResponse<String> tooLong = get(port, "/" + "a".repeat(20_000));
    assertJsonError(tooLong, 414);
    assertTrue(tooLong.body().contains("the request line is too long"), tooLong.body());
    // The bridge still serves after both.
    assertEquals(200, get(port, "/").statusCode());
  }

  @Test
  void theClusterListNamesTheNodesWithoutTheirAddresses() throws Exception {
    HttpResponse<String> listed = get(port, BridgeVerticle.CLUSTER_PATH);
    assertEquals(200, listed.statusCode());
    assertEquals("no-store", listed.headers().firstValue("Cache-Control").orElse(""));
    JsonArray nodes = new JsonArray(listed.body());
    assertEquals(1, nodes.size());
    JsonObject node = nodes.getJsonObject(0);
    assertEquals(BridgeTestBase.NODE_ID, node.getString("id"));
    assertEquals("127.0.0.1:0", node.getString("name"));
    assertEquals(new JsonArray().add("bridge"), node.getJsonArray("roles"));
    assertTrue(node.getBoolean("self"));
    assertFalse(node.containsKey("host") || node.containsKey("bridgePort") || node.containsKey("apiPort"),
        "hosts and ports are the REST API's to tell: " + node.encode());
  }

  @Test
  void aPingIsAnsweredWithTheNodesIdAndName() {
    BridgeClient client = connect();
    JsonObject pong = client.ping();
    assertEquals(BridgeTestBase.NODE_ID, pong.getString("node"));
    assertEquals(testConfig().displayName(), pong.getString("name"));
  }

  @Test
  void aBridgeServingTheProbesAnswersThemWithTheNodesState() throws Exception {
    AtomicReference<NodeState> state = new AtomicReference<>(NodeState.JOINING);
    BridgeVerticle probed = new BridgeVerticle(testConfig(), BridgeTestBase.oneNode(), registry)
        .serveProbes(new Probes(state::get, () -> "livegate_test 1.0\n"));
    await(vertx.deployVerticle(probed));
    int probedPort = probed.port();
    HttpResponse<String> joining = get(probedPort, "/ready");
    assertJsonError(joining, 503);
    assertEquals("joining", new JsonObject(joining.body()).getString("state"));
    state.set(NodeState.READY);
    assertEquals(200, get(probedPort, "/ready").statusCode());
    assertEquals(200, get(probedPort, "/health").statusCode());
    assertEquals("livegate_test 1.0\n", get(probedPort, "/metrics").body());
    assertEquals(404, get(port, "/ready").statusCode(), "a bridge that was not given the probes does not serve them");
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void assertJsonError(HttpResponse<String> response, int status) {
    assertEquals(status, response.statusCode(), response.body());
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
        response.headers().toString());
    JsonObject body = new JsonObject(response.body());
    assertEquals(status, body.getInteger("status"));
    assertFalse(body.getString("error").isBlank());
    assertFalse(response.body().contains("<html"), response.body());
  }
}
