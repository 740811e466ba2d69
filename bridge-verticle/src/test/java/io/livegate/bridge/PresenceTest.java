package io.livegate.bridge;

import static io.livegate.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.testing.BridgeClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Who is on an address that keeps presence, on one node: a send to {@code presence.<address>} lists them, a register
 * on it hears them join and leave, and every way to ask wrongly gets a clear err while the socket carries on.
 */
class PresenceTest extends BridgeTestBase {
  private static final String ROOM = "chat.lobby";
  private static final String PRESENCE = "presence." + ROOM;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @Test
  void aRegisterShowsTheConnectionPresentWithItsNameAndListenersHearItJoinAndLeave() {
    BridgeClient listener = connect();
    listener.register(PRESENCE);
    BridgeClient ann = connect();
    ann.write(register(ROOM, "Ann"));
    JsonObject joined = listener.next().getJsonObject("body");
    assertEquals("join", joined.getString("action"));
    assertEquals(ROOM, joined.getString("address"));
    assertEquals("Ann", joined.getJsonObject("member").getString("name"));
    assertEquals(1, joined.getInteger("count"));
    String annId = joined.getJsonObject("member").getString("id");
    assertEquals(annId, joined.getJsonObject("member").getString("client"), "anonymous: who it is, is its entry's id");

    BridgeClient bob = connect();
    bob.write(register(ROOM, null));
    assertEquals(2, listener.next().getJsonObject("body").getInteger("count"));
    JsonObject list = ask(listener, ROOM);
    assertEquals(2, list.getInteger("count"));
    JsonArray members = list.getJsonArray("members");
    assertEquals("Ann", members.getJsonObject(0).getString("name"), "the first to come first");
    assertNull(members.getJsonObject(1).getString("name"), "no name given, none shown");
    assertFalse(list.getBoolean("more"));

    ann.close();
    JsonObject left = listener.next().getJsonObject("body");
    assertEquals("leave", left.getString("action"));
    assertEquals(annId, left.getJsonObject("member").getString("id"));
    assertEquals(1, left.getInteger("count"));
    bob.write(new JsonObject().put("type", "unregister").put("address", ROOM));
    assertEquals("leave", listener.next().getJsonObject("body").getString("action"), "an unregister leaves too");
    assertEquals(0, ask(listener, ROOM).getInteger("count"));
    assertEquals(2, registry.counter(BridgeMetrics.PRESENCE_JOINS).count());
    assertEquals(2, registry.counter(BridgeMetrics.PRESENCE_LEAVES).count());
  }

  @Test
  void aSecondRegisterOfTheSameConnectionIsOneEntry() {
    BridgeClient listener = connect();
    listener.register(PRESENCE);
    BridgeClient ann = connect();
    ann.write(register(ROOM, "Ann"));
    assertEquals("join", listener.next().getJsonObject("body").getString("action"));
    ann.write(register(ROOM, "Ann again"));
    ann.ping(); // handled: nothing more to hear
    assertEquals(1, ask(listener, ROOM).getInteger("count"));
  }

  @Test
  void aNameBeyondTheLimitOrWithControlCharactersIsRefusedAndTheConnectionIsNotRegistered() {
    BridgeClient client = connect();
    for (String name : List.of("x".repeat(65), "é".repeat(33), "line\nbreak")) {
      client.write(register(ROOM, name));
      JsonObject err = client.next();
      assertEquals("err", err.getString("type"), err.encode());
      assertEquals(ROOM, err.getString("address"));
      assertEquals(BridgeErrors.INVALID_PRESENCE_NAME, err.getString("body"));
    }
    vertx.eventBus().publish(ROOM, "not for it");
    client.ping(); // nothing came before the pong: not registered
    assertEquals(0, ask(client, ROOM).getInteger("count"));
    client.write(register(ROOM, "x".repeat(64)));
    client.ping();
    assertEquals(1, ask(client, ROOM).getInteger("count"), "64 bytes: the limit, taken; the socket carried on");
  }

  @Test
  void presenceIsAskedAndFollowedOnlyWhereARegisterWouldBeTakenAndNeverPublishedTo() {
    int limited = startAnotherBridge(testConfig("--bridge-outbound", "chat\\.open,public\\..+",
        "--bridge-inbound", "chat\\..+"), meters).port();
    BridgeClient client = connect(limited);
    for (String address : List.of("presence.chat.closed", "presence.public.news", "presence.", "presence.presence.chat.open")) {
      client.write(new JsonObject().put("type", "send").put("address", address).put("replyAddress", "r"));
      assertEquals(BridgeErrors.ACCESS_DENIED, client.next().getString("body"), address);
      client.write(new JsonObject().put("type", "register").put("address", address));
      assertEquals(BridgeErrors.ACCESS_DENIED, client.next().getString("body"), address);
    }
    client.write(new JsonObject().put("type", "publish").put("address", "presence.chat.open").put("body", "fake join"));
    assertEquals(BridgeErrors.ACCESS_DENIED, client.next().getString("body"), "only the node tells who is there");
    client.write(new JsonObject().put("type", "send").put("address", "presence.chat.open"));
    JsonObject noReply = client.next();
    assertEquals(BridgeErrors.INVALID_REPLY_ADDRESS, noReply.getString("body"), noReply.encode());
    assertEquals(0, ask(client, "chat.open").getInteger("count"), "and the socket carries on");
  }

  @Test
  void beyondTheNodesPresenceBudgetARegisterStandsButIsNotShown() {
    int tight = startAnotherBridge(testConfig("--max-presence-entries", "1"), meters).port();
    BridgeClient first = connect(tight);
    first.write(register(ROOM, "first"));
    first.ping();
    BridgeClient second = connect(tight);
    second.write(register(ROOM, "second"));
    JsonObject full = second.next();
    assertEquals(BridgeErrors.PRESENCE_FULL, full.getString("body"), full.encode());
    second.ping();
    assertEquals(1, ask(second, ROOM).getInteger("count"));
    vertx.eventBus().publish(ROOM, "still delivered");
    assertEquals("still delivered", second.next().getString("body"), "registered all the same");
    first.close();
    eventually("the first left", 5, () -> ask(second, ROOM).getInteger("count") == 0);
    assertEquals(0.0, meters.get(BridgeMetrics.PRESENCE_ENTRIES).tag("whose", "own").gauge().value(), 0.0,
        "the one not shown holds no entry: none, until it registers again");
  }

  @Test
  void anAddressThatKeepsNoPresenceHasNone() {
    BridgeClient client = connect();
    client.register("public.news");
    client.write(new JsonObject().put("type", "send").put("address", "presence.public.news").put("replyAddress", "r"));
    assertEquals(BridgeErrors.ACCESS_DENIED, client.next().getString("body"));
    int none = startAnotherBridge(testConfig("--presence-addresses", ""), meters).port();
    BridgeClient elsewhere = connect(none);
    elsewhere.write(register(ROOM, "Ann"));
    elsewhere.ping();
    elsewhere.write(new JsonObject().put("type", "send").put("address", PRESENCE).put("replyAddress", "r"));
    assertEquals(BridgeErrors.ACCESS_DENIED, elsewhere.next().getString("body"), "presence off: refused like any other");
    assertTrue(meters.counter(BridgeMetrics.PRESENCE_JOINS).count() == 0, "and nobody was shown present");
  }

  private static JsonObject register(String address, String name) {
    JsonObject headers = new JsonObject();
    if (name != null) headers.put("name", name);
    return new JsonObject().put("type", "register").put("address", address).put("headers", headers);
  }

  /** The list of who is on {@code address}, asked over {@code client}'s socket. */
  private static JsonObject ask(BridgeClient client, String address) {
    String replyAddress = client.request("presence." + address, null);
    JsonObject reply = client.next();
    assertEquals(replyAddress, reply.getString("address"), reply.encode());
    return reply.getJsonObject("body");
  }
}
