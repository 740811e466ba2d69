package io.livegate.launcher;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.testing.BridgeClient;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * History and recovery on two real clustered nodes (A: every role, B: bridge and REST), each keeping at most
 * {@link #KEPT} publications per address: numbered cluster-wide whoever publishes, replayed in order to a client that
 * registers with {@code since}, and a clear answer when that cannot be done.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HistoryRecoveryTest {
  private static final int KEPT = 20;
  private TestCluster cluster;
  private GatewayNode a;
  private GatewayNode b;

  @BeforeAll
  void startTwoNodes() throws Exception {
    cluster = new TestCluster();
    a = cluster.start("bridge,rest,simulator", "--history-size", String.valueOf(KEPT));
    b = cluster.start("bridge,rest", "--history-size", String.valueOf(KEPT));
  }

  @AfterAll
  void stopNodes() throws Exception {
    cluster.close();
  }

  @Test
  void publicationsAreNumberedOneByOneClusterWideWhicheverNodePublishes() throws Exception {
    String address = fresh("public.numbered");
    List<JsonObject> answers = new ArrayList<>();
    for (GatewayNode node : List.of(a, b, a, b)) {
      HttpResponse<Buffer> response = cluster.post(node, "/api/publish/" + address, "{\"n\":1}");
      assertEquals(202, response.statusCode(), response.bodyAsString());
      answers.add(response.bodyAsJsonObject());
    }
    String epoch = answers.get(0).getString("epoch");
    assertNotNull(epoch);
    for (int i = 0; i < answers.size(); i++) {
      assertEquals(String.valueOf(i + 1), answers.get(i).getString("offset"), answers.toString());
      assertEquals(epoch, answers.get(i).getString("epoch"), "one epoch for the address");
    }
    JsonObject unkept = cluster.post(a, "/api/publish/other.thing", "{}").bodyAsJsonObject();
    assertFalse(unkept.containsKey("offset"), "an address outside --history-addresses is not numbered: " + unkept);
  }

  @Test
  void liveFramesCarryTheirOffsetAndEpochAndComeInOrderWhenBothNodesPublishAtOnce() throws Exception {
    String address = fresh("public.race");
    BridgeClient onA = cluster.connect(a);
    BridgeClient onB = cluster.connect(b);
    onA.subscribe(address);
    onB.subscribe(address);
    cluster.awaitDelivery(a, address, onA, onB);
    cluster.awaitDelivery(b, address, onA, onB);
    long first = newestOffset(address) + 1;
    int count = 200;
    List<Future<HttpResponse<Buffer>>> posts = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      GatewayNode node = i % 2 == 0 ? a : b;
      posts.add(cluster.http.post(node.config().apiPort(), "127.0.0.1", "/api/publish/" + address)
          .sendBuffer(Buffer.buffer("{\"i\":" + i + "}")));
    }
    await(Future.all(posts), 30);
    for (BridgeClient client : List.of(onA, onB)) {
      for (long expected = first; expected < first + count; expected++) {
        JsonObject frame = client.poll(address, 10_000);
        assertNotNull(frame, "offset " + expected + " arrives");
        assertEquals(String.valueOf(expected), frame.getJsonObject("headers").getString("offset"),
            "in order, none twice, none missing");
      }
      assertNull(client.poll(address, 300), "nothing more");
    }
  }

  @Test
  void aClientThatComesBackWithSinceGetsWhatItMissedInOrderThenTheLiveOnes() throws Exception {
    String address = fresh("chat.recover");
    BridgeClient before = cluster.connect(b);
    before.subscribe(address);
    cluster.awaitDelivery(a, address, before);
    JsonObject seen = publishAndReceive(a, address, before, "{\"line\":\"seen\"}");
    before.close();
    List<String> missed = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      missed.add(cluster.post(i % 2 == 0 ? a : b, "/api/publish/" + address, "{\"line\":" + i + "}")
          .bodyAsJsonObject().getString("offset"));
    }

    BridgeClient after = cluster.connect(a);
    registerSince(after, address, seen.getJsonObject("headers").getString("offset"), epochOf(seen));
    for (int i = 0; i < 5; i++) {
      JsonObject frame = after.poll(address, 5000);
      assertNotNull(frame, "missed publication " + i + " replayed");
      assertEquals(missed.get(i), frame.getJsonObject("headers").getString("offset"));
      assertEquals(i, frame.getJsonObject("body").getInteger("line"));
      assertEquals(epochOf(seen), epochOf(frame));
    }
    JsonObject marker = after.poll(address, 5000);
    assertNotNull(marker);
    assertNull(marker.getValue("body"));
    assertEquals("true", marker.getJsonObject("headers").getString("recovered"), marker.encode());
    assertEquals("5", marker.getJsonObject("headers").getString("replayed"));
    assertEquals(missed.get(4), marker.getJsonObject("headers").getString("offset"));

    String live = cluster.post(b, "/api/publish/" + address, "{\"line\":\"live\"}").bodyAsJsonObject().getString("offset");
    JsonObject next = after.poll(address, 5000);
    assertNotNull(next, "then the live ones");
    assertEquals(live, next.getJsonObject("headers").getString("offset"));
    assertNull(after.poll(address, 300), "each once");
  }

  @Test
  void aReplayedFrameIsTheFrameItWasLive() throws Exception {
    String address = fresh("public.same");
    BridgeClient live = cluster.connect(a);
    live.subscribe(address);
    cluster.awaitDelivery(b, address, live);
    String since = newestOffsetText(address);
    cluster.post(b, "/api/publish/" + address, "{\"x\":[1,2.5,\"three\",null,{\"y\":true}]}");
    JsonObject liveFrame = live.poll(address, 5000);
    assertNotNull(liveFrame);

    BridgeClient later = cluster.connect(b);
    registerSince(later, address, since, epochOf(liveFrame));
    assertEquals(liveFrame, later.poll(address, 5000), "the same rec frame, headers and all");
  }

  @Test
  void aClientAwayLongerThanTheHistoryKeepsIsToldItWasNotRecovered() throws Exception {
    String address = fresh("public.long-gone");
    BridgeClient before = cluster.connect(a);
    before.subscribe(address);
    cluster.awaitDelivery(b, address, before);
    JsonObject seen = publishAndReceive(b, address, before, "{}");
    before.close();
    String newest = null;
    for (int i = 0; i < KEPT + 5; i++) {
      newest = cluster.post(a, "/api/publish/" + address, "{\"i\":" + i + "}").bodyAsJsonObject().getString("offset");
    }
    BridgeClient after = cluster.connect(b);
    registerSince(after, address, seen.getJsonObject("headers").getString("offset"), epochOf(seen));
    JsonObject marker = after.poll(address, 5000);
    assertNotNull(marker);
    assertEquals("false", marker.getJsonObject("headers").getString("recovered"), marker.encode());
    assertEquals(newest, marker.getJsonObject("headers").getString("offset"), "the newest offset, to go on from");
    assertEquals(epochOf(seen), marker.getJsonObject("headers").getString("epoch"));
    assertNull(marker.getValue("body"));
    String live = cluster.post(a, "/api/publish/" + address, "{}").bodyAsJsonObject().getString("offset");
    assertEquals(live, after.poll(address, 5000).getJsonObject("headers").getString("offset"), "then live");
  }

  @Test
  void anotherEpochIsNotRecoveredButToldTheCurrentOne() throws Exception {
    String address = fresh("public.epochs");
    JsonObject published = cluster.post(a, "/api/publish/" + address, "{}").bodyAsJsonObject();
    BridgeClient client = cluster.connect(b);
    registerSince(client, address, "0", "not-this-one");
    JsonObject marker = client.poll(address, 5000);
    assertNotNull(marker);
    assertEquals("false", marker.getJsonObject("headers").getString("recovered"));
    assertEquals(published.getString("epoch"), marker.getJsonObject("headers").getString("epoch"));
    assertEquals(published.getString("offset"), marker.getJsonObject("headers").getString("offset"));
  }

  @Test
  void badSinceValuesGetAnErrOnTheAddressAndTheRegistrationCarriesOn() throws Exception {
    String address = fresh("public.bad");
    String epoch = cluster.post(a, "/api/publish/" + address, "{}").bodyAsJsonObject().getString("epoch");
    String[][] bad = {{"abc", epoch}, {"-1", epoch}, {"99999999999999999999", epoch}, {"1e3", epoch}, {" 1", epoch},
        {"999", epoch}, {"1", null}, {"1", ""}, {"1", "e".repeat(65)}};
    for (String[] since : bad) {
      BridgeClient client = cluster.connect(a);
      JsonObject headers = new JsonObject().put("since", since[0]);
      if (since[1] != null) headers.put("epoch", since[1]);
      client.writeAsync(new JsonObject().put("type", "register").put("address", address).put("headers", headers));
      JsonObject err = client.next(f -> "err".equals(f.getString("type")), 5);
      assertEquals("invalid_since", err.getString("body"), headers + " -> " + err);
      assertEquals("invalid_since", err.getString("failureType"), "what the stock client hands the handler");
      assertEquals(address, err.getString("address"));
      assertNotNull(err.getString("message"));
      cluster.awaitDelivery(b, address, client); // registered all the same, live
      assertFalse(client.isClosed());
    }
    BridgeClient nonNumeric = cluster.connect(b);
    nonNumeric.writeAsync(new JsonObject().put("type", "register").put("address", address)
        .put("headers", new JsonObject().put("since", new JsonObject()).put("epoch", epoch)));
    assertEquals("invalid_headers", nonNumeric.next(f -> "err".equals(f.getString("type")), 5).getString("body"),
        "headers are strings, as ever");

    BridgeClient noHistory = cluster.connect(b);
    noHistory.writeAsync(new JsonObject().put("type", "register").put("address", "events.updates")
        .put("headers", new JsonObject().put("since", "1").put("epoch", epoch)));
    JsonObject err = noHistory.next(f -> "err".equals(f.getString("type")), 5);
    assertEquals("no_history", err.getString("body"));
    assertEquals("no_history", err.getString("failureType"));
    noHistory.next(f -> "events.updates".equals(f.getString("address")) && "rec".equals(f.getString("type")), 10);
  }

  @Test
  void aPublisherCannotForgeAPlaceInTheHistory() throws Exception {
    String address = fresh("chat.forged");
    BridgeClient reader = cluster.connect(b);
    reader.subscribe(address);
    cluster.awaitDelivery(a, address, reader);
    BridgeClient writer = cluster.connect(a);
    writer.writeAsync(new JsonObject().put("type", "publish").put("address", address).put("body", "hi")
        .put("headers", new JsonObject().put("offset", "999999").put("epoch", "mine").put("recovered", "true")
            .put("mood", "happy")));
    JsonObject frame = reader.poll(address, 5000);
    assertNotNull(frame);
    JsonObject headers = frame.getJsonObject("headers");
    assertEquals("happy", headers.getString("mood"));
    assertFalse(headers.containsKey("recovered"));
    assertTrue(Long.parseLong(headers.getString("offset")) < 100, "numbered by the history: " + headers);
    assertFalse("mine".equals(headers.getString("epoch")));
  }

  @Test
  void aClusterMemberPublishesKeptAndNumberedThroughLivegatePublish() throws Exception {
    String address = fresh("public.service");
    BridgeClient reader = cluster.connect(a);
    reader.subscribe(address);
    cluster.awaitDelivery(b, address, reader);
    DeliveryOptions options = new DeliveryOptions().addHeader("address", address).addHeader("source", "quotes");
    Message<Object> reply = await(b.vertx().eventBus().request("livegate.publish",
        new JsonObject().put("price", 42), options), 10);
    JsonObject answer = (JsonObject) reply.body();
    JsonObject frame = reader.poll(address, 5000);
    assertNotNull(frame);
    assertEquals(42, frame.getJsonObject("body").getInteger("price"));
    assertEquals("quotes", frame.getJsonObject("headers").getString("source"));
    assertEquals(answer.getString("offset"), frame.getJsonObject("headers").getString("offset"));
    assertFalse(frame.getJsonObject("headers").containsKey("address"), "the routing header stays behind");

    Throwable refused = failure(b.vertx().eventBus().request("livegate.publish", "x",
        new DeliveryOptions().addHeader("address", "__vertx.secret")), 10);
    assertEquals(400, assertInstanceOf(ReplyException.class, refused).failureCode());
  }

  @Test
  void livegatePublishRefusesABadAddressHeaderWith400AndPublishesNothing() throws Exception {
    String address = fresh("public.refused");
    BridgeClient reader = cluster.connect(b);
    reader.subscribe(address);
    cluster.awaitDelivery(a, address, reader);
    String[] header = {null, "", "x".repeat(257), "gateway.internal.node.x"};
    for (String target : header) {
      DeliveryOptions options = new DeliveryOptions();
      if (target != null) options.addHeader("address", target);
      Throwable refused = failure(a.vertx().eventBus().request("livegate.publish", new JsonObject(), options), 10);
      assertEquals(400, assertInstanceOf(ReplyException.class, refused).failureCode(), "address header " + target);
    }
    String offset = cluster.post(a, "/api/publish/" + address, "{\"after\":true}").bodyAsJsonObject().getString("offset");
    JsonObject next = reader.poll(address, 5000);
    assertNotNull(next);
    assertEquals(offset, next.getJsonObject("headers").getString("offset"), "nothing of the refused ones went out");
  }

  @Test
  void registersWithSinceBeyondTheirRateAreRegisteredWithoutRecovery() throws Exception {
    GatewayNode small = cluster.start("bridge", "--history-size", String.valueOf(KEPT), "--max-registrations", "4");
    String address = fresh("public.rate");
    String epoch = cluster.post(a, "/api/publish/" + address, "{}").bodyAsJsonObject().getString("epoch");
    BridgeClient client = cluster.connect(small);
    for (int i = 0; i < 4; i++) {
      registerSince(client, address, "0", epoch);
      JsonObject marker = client.next(f -> address.equals(f.getString("address"))
          && f.getJsonObject("headers", new JsonObject()).containsKey("recovered"), 5);
      assertEquals("true", marker.getJsonObject("headers").getString("recovered"), "recovery " + i);
      client.writeAsync(new JsonObject().put("type", "unregister").put("address", address));
    }
    registerSince(client, address, "0", epoch);
    JsonObject err = client.next(f -> "err".equals(f.getString("type")), 5);
    assertEquals("rate_limited", err.getString("body"), err.encode());
    assertEquals(address, err.getString("address"));
    cluster.awaitDelivery(a, address, client); // registered all the same, live
    cluster.stop(small);
  }

  @Test
  void theHistoryIsMetered() throws Exception {
    String address = fresh("public.metered");
    String before = cluster.get(a, "/metrics").bodyAsString();
    String epoch = cluster.post(a, "/api/publish/" + address, "{}").bodyAsJsonObject().getString("epoch");
    cluster.post(a, "/api/publish/" + address, "{}");
    BridgeClient client = cluster.connect(a);
    registerSince(client, address, "0", epoch);
    client.next(f -> "true".equals(f.getJsonObject("headers", new JsonObject()).getString("recovered")), 5);
    String after = cluster.get(a, "/metrics").bodyAsString();
    assertEquals(2, PrometheusText.delta(before, after, "livegate_history_appends_total"));
    assertEquals(1, PrometheusText.delta(before, after, "livegate_history_recoveries_total", "outcome", "recovered"));
    assertEquals(2, PrometheusText.delta(before, after, "livegate_history_replayed_total"));
    assertTrue(after.contains("livegate_history_entries"), "entries held");
    assertTrue(after.contains("livegate_history_addresses"));
  }

  private void registerSince(BridgeClient client, String address, String since, String epoch) {
    client.writeAsync(new JsonObject().put("type", "register").put("address", address)
        .put("headers", new JsonObject().put("since", since).put("epoch", epoch)));
  }

  private JsonObject publishAndReceive(GatewayNode node, String address, BridgeClient client, String body) throws Exception {
    String offset = cluster.post(node, "/api/publish/" + address, body).bodyAsJsonObject().getString("offset");
    JsonObject frame = client.next(f -> address.equals(f.getString("address"))
        && offset.equals(f.getJsonObject("headers", new JsonObject()).getString("offset")), 5);
    return frame;
  }

  /** The newest offset of the address now (probes included): what a publication on it reached last. */
  private long newestOffset(String address) throws Exception {
    return Long.parseLong(newestOffsetText(address));
  }

  private String newestOffsetText(String address) throws Exception {
    BridgeClient probe = cluster.connect(a);
    registerSince(probe, address, "0", "ask");
    JsonObject marker = probe.next(f -> address.equals(f.getString("address"))
        && f.getJsonObject("headers", new JsonObject()).containsKey("recovered"), 5);
    probe.close();
    return marker.getJsonObject("headers").getString("offset");
  }

  private static String epochOf(JsonObject frame) {
    return frame.getJsonObject("headers").getString("epoch");
  }

  private static String fresh(String prefix) {
    return prefix + "." + UUID.randomUUID().toString().substring(0, 8);
  }
}
