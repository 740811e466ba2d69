package io.livegate.bridge;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.failure;
import static io.livegate.testing.Await.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.core.Addresses;
import io.livegate.testing.BridgeClient;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What browsers and backend services see through the bridge when everyone behaves. */
class BridgeDeliveryTest extends BridgeTestBase {

  @Test
  void registeredSocketReceivesPublishedMessage() {
    BridgeClient browser = connect();
    browser.register(Addresses.EVENTS_UPDATES);

    JsonObject event = new JsonObject().put("id", "EVENT#00").put("version", 7);
    vertx.eventBus().publish(Addresses.EVENTS_UPDATES, event, new DeliveryOptions().addHeader("source", "test"));

    JsonObject frame = browser.next();
    assertEquals("rec", frame.getString("type"));
    assertEquals(Addresses.EVENTS_UPDATES, frame.getString("address"));
    assertEquals(event, frame.getJsonObject("body"));
    assertEquals("test", frame.getJsonObject("headers").getString("source"));
    assertFalse(frame.containsKey("replyAddress"), "a publish cannot be replied to");
  }

  @Test
  void fractionalNumbersReachBrowsersWrittenAsJavaScriptWritesThem() {
    BridgeClient browser = connect();
    browser.register("public.numbers");
    JsonObject body = new JsonObject()
        .put("sent", 10234567.123)
        .put("small", 0.000015)
        .put("tiny", 1.5e-9)
        .put("huge", 1e21)
        .put("count", 12345678901L)
        .put("ratio", 0.25)
        .put("single", 1.25e8f)
        .put("list", new JsonArray().add(2.5e7).add(-3.75e8))
        .put("nested", new JsonObject().put("at", 1.7e10));

    vertx.eventBus().publish("public.numbers", body);

    JsonObject frame = browser.next();
    String text = browser.lastText();
    for (String written : List.of("\"sent\":10234567.123", "\"small\":0.000015", "\"tiny\":1.5E-9", "\"huge\":1.0E21",
        "\"count\":12345678901", "\"ratio\":0.25", "\"single\":125000000", "[25000000,-375000000]", "\"at\":17000000000")) {
      assertTrue(text.contains(written), written + " in " + text);
    }
    assertEquals(body, frame.getJsonObject("body"), "the same numbers, however written");
  }

  @Test
  void twoSocketsOnOneAddressEachReceiveAPublishExactlyOnce() {
    BridgeClient first = connect();
    BridgeClient second = connect();
    first.register("public.news");
    second.register("public.news");

    vertx.eventBus().publish("public.news", "extra!");

    assertEquals("extra!", first.next().getString("body"));
    assertEquals("extra!", second.next().getString("body"));
    first.expectNoFrame(200);
    second.expectNoFrame(0);
  }

  @Test
  void nodeHoldsOneConsumerPerAddressWhateverTheNumberOfSockets() {
    BridgeClient first = connect();
    BridgeClient second = connect();
    first.register("chat.lobby");
    second.register("chat.lobby");
    List<Object> local = new CopyOnWriteArrayList<>();
    await(vertx.eventBus().consumer("chat.lobby", message -> local.add(message.body())).completion());

    // Point-to-point sends round-robin over the address's consumers: with ONE bridge consumer beside
    // ours, half of them reach the bridge (with one consumer per socket, two thirds would).
    for (int i = 0; i < 6; i++) vertx.eventBus().send("chat.lobby", i);

    int toFirst = drain(first);
    int toSecond = drain(second);
    assertEquals(3, toFirst + toSecond, "sends that reached the bridge");
    assertEquals(3, local.size(), "sends that reached the local consumer");
    assertTrue(toFirst >= 1 && toSecond >= 1, "the bridge shares its sends between sockets, round-robin");
  }

  @Test
  void pointToPointSendReachesExactlyOneRegisteredSocket() {
    BridgeClient first = connect();
    BridgeClient second = connect();
    first.register("chat.lobby");
    second.register("chat.lobby");

    vertx.eventBus().send("chat.lobby", "only one of you");

    JsonObject frame = first.poll(2000);
    BridgeClient other = second;
    if (frame == null) {
      frame = second.next();
      other = first;
    }
    assertEquals("only one of you", frame.getString("body"));
    other.expectNoFrame(200);
  }

  @Test
  void afterTheLastSocketUnregistersTheAddressHasNoConsumer() {
    BridgeClient first = connect();
    BridgeClient second = connect();
    first.register("chat.lobby");
    second.register("chat.lobby");

    first.unregister("chat.lobby");
    assertEquals("still here", requestBrowser(second, "chat.lobby", "still here"));
    second.unregister("chat.lobby");

    assertFailure(ReplyFailure.NO_HANDLERS, vertx.eventBus().request("chat.lobby", "anyone?"));
  }

  @Test
  void unregisterStopsDelivery() {
    BridgeClient leaving = connect();
    BridgeClient staying = connect();
    leaving.register("public.news");
    staying.register("public.news");
    leaving.unregister("public.news");

    vertx.eventBus().publish("public.news", "after");

    assertEquals("after", staying.next().getString("body"));
    leaving.expectNoFrame(200);
  }

  @Test
  void closingASocketRemovesItsRegistrationsAndItsConnection() {
    BridgeClient browser = connect();
    browser.register("chat.lobby");
    assertEquals(1, bridge.openConnections());

    browser.close();

    waitUntil(() -> bridge.openConnections() == 0);
    assertEquals(0.0, registry.get(BridgeMetrics.CONNECTIONS).gauge().value());
    assertFailure(ReplyFailure.NO_HANDLERS, vertx.eventBus().request("chat.lobby", "anyone?"));
  }

  @Test
  void sendWithReplyAddressBringsTheReplyBackToThatSocketOnly() {
    vertx.eventBus().<String>consumer("chat.echo", message -> message.reply("echo: " + message.body()));
    BridgeClient asking = connect();
    BridgeClient bystander = connect();
    bystander.register("chat.echo");

    String replyAddress = asking.request("chat.echo", "hello");

    JsonObject reply = asking.next();
    assertEquals("rec", reply.getString("type"));
    assertEquals(replyAddress, reply.getString("address"));
    assertEquals("echo: hello", reply.getString("body"));
    bystander.expectNoFrame(200);
  }

  @Test
  void sendToAnAddressWithoutConsumerAnswersNoHandlersAtTheReplyAddress() {
    BridgeClient browser = connect();

    String replyAddress = browser.request("chat.nobody-home", "hello?");

    JsonObject failure = browser.next();
    assertEquals("err", failure.getString("type"));
    assertEquals(replyAddress, failure.getString("address"));
    assertEquals("NO_HANDLERS", failure.getString("failureType"));
    assertNotNull(failure.getInteger("failureCode"));
    assertNotNull(failure.getString("message"));
  }

  @Test
  void bridgePingIsAnsweredByTheBridgeItselfWithTheNodeId() {
    // Were the ping forwarded on the event bus, this consumer would answer instead.
    vertx.eventBus().consumer(Addresses.BRIDGE_PING, message -> message.reply(new JsonObject().put("type", "WRONG")));
    BridgeClient browser = connect();
    long before = System.currentTimeMillis();

    JsonObject pong = browser.ping();

    assertEquals("PONG", pong.getString("type"));
    assertEquals(BridgeTestBase.NODE_ID, pong.getString("node"));
    long serverTime = pong.getLong("serverTime");
    assertTrue(serverTime >= before && serverTime <= System.currentTimeMillis(), "serverTime " + serverTime);
  }

  @Test
  void eventBusRequestToABrowserIsAnsweredThroughTheBridgeMadeReplyAddress() throws Exception {
    BridgeClient browser = connect();
    browser.register("chat.help");

    Future<Message<Object>> answer = vertx.eventBus().request("chat.help", "how do I?");

    JsonObject question = browser.next();
    assertEquals("how do I?", question.getString("body"));
    String replyAddress = question.getString("replyAddress");
    assertNotNull(replyAddress, "a send that expects a reply carries a reply address");
    assertFalse(Addresses.isInternal(replyAddress), "the browser never sees an event-bus reply address");
    browser.write(new JsonObject().put("type", "send").put("address", replyAddress).put("body", "like this"));
    assertEquals("like this", await(answer).body());

    browser.write(new JsonObject().put("type", "send").put("address", replyAddress).put("body", "again"));
    assertEquals(new JsonObject().put("type", "err").put("body", BridgeErrors.ACCESS_DENIED), browser.next(),
        "a reply address answers once");
  }

  @Test
  void browserReplyCanItselfAskForAReply() {
    BridgeClient browser = connect();
    browser.register("chat.help");
    BlockingQueue<String> confirmations = new LinkedBlockingQueue<>();
    vertx.eventBus().request("chat.help", "question")
        .compose(answer -> answer.replyAndRequest("got it: " + answer.body()))
        .onSuccess(last -> confirmations.add((String) last.body()));

    String bridgeReplyAddress = browser.next().getString("replyAddress");
    browser.write(new JsonObject().put("type", "send").put("address", bridgeReplyAddress).put("body", "answer")
        .put("replyAddress", "browser-1"));

    JsonObject confirmation = browser.next();
    assertEquals("browser-1", confirmation.getString("address"));
    assertEquals("got it: answer", confirmation.getString("body"));
    browser.write(new JsonObject().put("type", "send").put("address", confirmation.getString("replyAddress"))
        .put("body", "thanks"));
    assertEquals("thanks", pollString(confirmations));
  }

  @Test
  void browserPublishReachesEveryEventBusSubscriberWithItsHeaders() {
    BlockingQueue<Message<Object>> received = new LinkedBlockingQueue<>();
    vertx.eventBus().consumer("chat.lobby", received::add);
    vertx.eventBus().consumer("chat.lobby", received::add);
    BridgeClient browser = connect();

    browser.write(new JsonObject().put("type", "publish").put("address", "chat.lobby")
        .put("body", new JsonObject().put("text", "hi all")).put("headers", new JsonObject().put("from", "ann")));

    for (int i = 0; i < 2; i++) {
      Message<Object> message = pollMessage(received);
      assertEquals(new JsonObject().put("text", "hi all"), message.body());
      assertEquals("ann", message.headers().get("from"));
    }
  }

  @Test
  void metricsCountConnectionsAcceptedFramesAndRefusals() {
    BridgeClient browser = connect();
    browser.ping();
    browser.writeText("not json");
    browser.next();

    assertEquals(1.0, registry.get(BridgeMetrics.CONNECTIONS).gauge().value());
    assertEquals(1.0, registry.get(BridgeMetrics.FRAMES_IN).tag("type", "send").counter().count());
    assertEquals(1.0, registry.get(BridgeMetrics.FRAMES_REFUSED).tag("reason", BridgeErrors.INVALID_JSON)
        .counter().count());
  }

  private String requestBrowser(BridgeClient browser, String address, String body) {
    Future<Message<Object>> answer = vertx.eventBus().request(address, body);
    JsonObject question = browser.next();
    browser.write(new JsonObject().put("type", "send").put("address", question.getString("replyAddress"))
        .put("body", question.getString("body")));
    return (String) await(answer).body();
  }

  private static int drain(BridgeClient browser) {
    int count = 0;
    while (browser.poll(300) != null) count++;
    return count;
  }

  private static void assertFailure(ReplyFailure expected, Future<?> future) {
    assertEquals(expected, assertInstanceOf(ReplyException.class, failure(future, 5)).failureType());
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String pollString(BlockingQueue<String> queue) {
    try {
      String value = queue.poll(5, TimeUnit.SECONDS);
      assertNotNull(value, "nothing arrived within 5 s");
      return value;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private static Message<Object> pollMessage(BlockingQueue<Message<Object>> queue) {
    try {
      Message<Object> message = queue.poll(5, TimeUnit.SECONDS);
      assertNotNull(message, "nothing arrived within 5 s");
      return message;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
