package io.livegate.launcher;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.testing.BridgeClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Two real clustered nodes: A runs every role, B the bridge and the REST API. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterMessagingTest {
  private TestCluster cluster;
  private GatewayNode a;
  private GatewayNode b;

  @BeforeAll
  void startTwoNodes() throws Exception {
    cluster = new TestCluster();
    a = cluster.start("bridge,rest,simulator");
    b = cluster.start("bridge,rest");
  }

  @AfterAll
  void stopNodes() throws Exception {
    cluster.close();
  }

  @Test
  void simulatorUpdatesOnNodeAReachAWebSocketClientOnNodeB() throws Exception {
    BridgeClient browser = cluster.connect(b);
    browser.subscribe("events.updates");
    JsonObject frame = browser.next(f -> "events.updates".equals(f.getString("address")), 10);
    assertEquals("rec", frame.getString("type"));
    JsonObject event = frame.getJsonObject("body");
    assertTrue(event.getString("id").matches("EVENT#0[0-4]"), event.encode());
    assertEquals(a.nodeId(), event.getString("publishedBy"), "the simulator runs on A");
    assertNotNull(event.getJsonObject("score").getInteger("home"));
    assertTrue(event.getLong("version") > 0);
  }

  @Test
  void restPublishOnNodeAReachesClientsOnBothNodesOnceEach() throws Exception {
    BridgeClient onA = cluster.connect(a);
    BridgeClient onB = cluster.connect(b);
    onA.subscribe("public.news");
    onB.subscribe("public.news");
    cluster.awaitDelivery(a, "public.news", onA, onB);

    HttpResponse<Buffer> response = cluster.post(a, "/api/publish/public.news", "{\"headline\":\"goal\"}");
    assertEquals(202, response.statusCode());

    for (BridgeClient client : new BridgeClient[] {onA, onB}) {
      JsonObject frame = client.poll("public.news", 5000);
      assertNotNull(frame, "delivered");
      assertEquals(new JsonObject().put("headline", "goal"), frame.getJsonObject("body"));
      assertNull(client.poll("public.news", 700), "delivered once only");
    }
  }

  @Test
  void numbersPublishedThroughRestOnNodeAReachAClientOnNodeBAsJavaScriptWritesThem() throws Exception {
    BridgeClient onB = cluster.connect(b);
    onB.subscribe("public.numbers");
    cluster.awaitDelivery(a, "public.numbers", onB);

    String body = "{\"seq\":1,\"sent\":10234567.123,\"small\":0.000015,\"count\":12345678901}";
    assertEquals(202, cluster.post(a, "/api/publish/public.numbers", body).statusCode());

    JsonObject frame = onB.poll("public.numbers", 5000);
    assertNotNull(frame, "delivered");
    assertEquals(new JsonObject(body), frame.getJsonObject("body"));
    assertTrue(onB.lastText().contains("\"body\":" + body), "as published: " + onB.lastText());
  }

  @Test
  void browserSendToChatSupportReachesAServiceOnAnotherNodeAndTheReplyComesBackToThatClientOnly() throws Exception {
    MessageConsumer<JsonObject> service = b.vertx().eventBus().<JsonObject>consumer("chat.support",
        m -> m.reply(new JsonObject().put("answer", "hello " + m.body().getString("name"))));
    await(service.completion(), 10);
    try {
      BridgeClient asker = cluster.connect(a);
      BridgeClient bystander = cluster.connect(a);
      bystander.awaitHandled();
      asker.writeAsync(new JsonObject().put("type", "send").put("address", "chat.support")
          .put("replyAddress", "my-reply-1").put("body", new JsonObject().put("name", "ada")));

      JsonObject reply = asker.next(f -> "my-reply-1".equals(f.getString("address")), 10);
      assertEquals("rec", reply.getString("type"));
      assertEquals("hello ada", reply.getJsonObject("body").getString("answer"));
      assertNull(bystander.poll("my-reply-1", 700), "the reply goes to the asking client only");
    } finally {
      await(service.unregister(), 10);
    }
  }

  @Test
  void restSendReturnsTheReplyOfAConsumerOnAnotherNode() throws Exception {
    String address = "svc.echo." + UUID.randomUUID();
    MessageConsumer<Object> echo = b.vertx().eventBus().consumer(address,
        m -> m.reply(new JsonObject().put("echo", m.body())));
    await(echo.completion(), 10);
    try {
      HttpResponse<Buffer> response = cluster.post(a, "/api/send/" + address, "{\"n\":1}");
      assertEquals(200, response.statusCode(), response.bodyAsString());
      assertEquals(new JsonObject().put("echo", new JsonObject().put("n", 1)), response.bodyAsJsonObject());
    } finally {
      await(echo.unregister(), 10);
    }
  }

  @Test
  void restSendWithNoConsumerIs503() throws Exception {
    HttpResponse<Buffer> response = cluster.post(a, "/api/send/svc.nobody." + UUID.randomUUID(), "{}");
    assertError(response, 503);
  }

  @Test
  void restSendToAConsumerThatNeverRepliesIs504() throws Exception {
    String address = "svc.silent." + UUID.randomUUID();
    MessageConsumer<Object> silent = b.vertx().eventBus().consumer(address, m -> {});
    await(silent.completion(), 10);
    try {
      assertError(cluster.post(a, "/api/send/" + address + "?timeout=300", "{}"), 504);
    } finally {
      await(silent.unregister(), 10);
    }
  }

  @Test
  void pingIsAnsweredByTheNodeThatServesTheSocket() throws Exception {
    for (GatewayNode node : new GatewayNode[] {a, b}) {
      JsonObject pong = cluster.connect(node).awaitHandled();
      assertEquals("PONG", pong.getString("type"));
      assertEquals(node.nodeId(), pong.getString("node"));
      assertTrue(Math.abs(System.currentTimeMillis() - pong.getLong("serverTime")) < 5000);
    }
  }

  @Test
  void eventsFromTheRestApiAndTheSnapshotOnAnyNodeShowAllFiveEvents() throws Exception {
    eventually("events published", 10, () -> status(b, "/events") == 200);
    JsonArray events = cluster.get(b, "/events").bodyAsJsonArray();
    assertEquals(5, events.size());
    assertEquals("EVENT#00", events.getJsonObject(0).getString("id"));

    HttpResponse<Buffer> one = cluster.get(b, "/events/EVENT%2303");
    assertEquals(200, one.statusCode());
    assertEquals("EVENT#03", one.bodyAsJsonObject().getString("id"));

    BridgeClient browser = cluster.connect(b);
    browser.writeAsync(new JsonObject().put("type", "send").put("address", "events.snapshot").put("replyAddress", "snap"));
    JsonArray snapshot = browser.next(f -> "snap".equals(f.getString("address")), 5).getJsonArray("body");
    assertEquals(5, snapshot.size());
  }

  @Test
  void badFramesGetErrFramesAndTheConnectionAndOtherClientsCarryOn() throws Exception {
    BridgeClient listener = cluster.connect(b);
    listener.subscribe("public.keepalive");
    cluster.awaitDelivery(a, "public.keepalive", listener);
    BridgeClient hostile = cluster.connect(b);
    String[][] cases = {
        {"not json", "invalid_json"},
        {"{\"address\":\"public.x\"}", "missing_type"},
        {"{\"type\":\"explode\",\"address\":\"public.x\"}", "invalid_type"},
        {"{\"type\":\"register\"}", "missing_address"},
        {"{\"type\":\"register\",\"address\":\"secret.stuff\"}", "access_denied"},
        {"{\"type\":\"publish\",\"address\":\"events.updates\",\"body\":{}}", "access_denied"},
        {"{\"type\":\"send\",\"address\":\"gateway.internal.x\",\"body\":{}}", "access_denied"},
    };
    for (String[] c : cases) {
      hostile.writeTextAsync(c[0]);
      JsonObject err = hostile.next(f -> "err".equals(f.getString("type")), 5);
      assertEquals(c[1], err.getString("body"), "for " + c[0]);
    }
    assertFalse(hostile.isClosed());
    assertEquals("PONG", hostile.awaitHandled().getString("type"), "the same socket still works");

    assertEquals(202, cluster.post(a, "/api/publish/public.keepalive", "1").statusCode());
    assertNotNull(listener.poll("public.keepalive", 5000), "the other client kept receiving");
  }

  @Test
  void badRestInputGetsAJsonErrorWithTheFittingStatus() throws Exception {
    assertError(cluster.post(a, "/api/publish/public.x", "{not json"), 400);
    assertError(cluster.post(a, "/api/publish/gateway.internal.x", "{}"), 403);
    assertError(cluster.get(a, "/events/EVENT%2399"), 404);
    assertError(cluster.get(a, "/no/such/path"), 404);
  }

  @Test
  void healthAndReadinessAnswerOnEveryNode() throws Exception {
    for (GatewayNode node : new GatewayNode[] {a, b}) {
      assertEquals(200, status(node, "/health"));
      assertEquals(200, status(node, "/ready"));
      String metrics = cluster.get(node, "/metrics").bodyAsString();
      assertTrue(metrics.contains("livegate_cluster_nodes 2.0"), "cluster size gauge");
    }
  }

  private int status(GatewayNode node, String path) {
    try {
      return cluster.get(node, path).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private static void assertError(HttpResponse<Buffer> response, int status) {
    assertEquals(status, response.statusCode(), response.bodyAsString());
    JsonObject error = response.bodyAsJsonObject();
    assertEquals(status, error.getInteger("status"));
    assertFalse(error.getString("error").isBlank());
    assertFalse(response.bodyAsString().contains("Exception"), "no stack trace: " + response.bodyAsString());
  }
}
