package io.livegate.bridge;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.bridge.RawWireClient.Frame;
import io.livegate.core.Addresses;
import io.livegate.core.NodeConfig.BridgeLimits;
import io.livegate.testing.BridgeClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What one socket, and the node's bridge as a whole, may use: each refusal seen by the client and counted. */
class LimitsTest extends BridgeTestBase {
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<RawWireClient> wires = new ArrayList<>();
  private BridgeVerticle limited;

  @AfterEach
  void closeWires() throws IOException {
    for (RawWireClient wire : wires) wire.close();
  }

  @Test
  void aRegisterBeyondTheLimitIsRefusedWhileTheOthersStay() throws IOException {
    RawWireClient wire = open(new BridgeLimits(3, 1000, 100));
    for (String address : List.of("public.a", "public.b", "public.c")) wire.register(address);

    wire.writeText(register("public.d"));
    assertEquals(err(BridgeErrors.TOO_MANY_REGISTRATIONS), new JsonObject(wire.readText()));
    wire.register("public.a"); // already there: no new registration, no refusal
    assertEquals(1, refused(BridgeErrors.TOO_MANY_REGISTRATIONS));

    vertx.eventBus().publish("public.c", "still registered");
    assertEquals("still registered", new JsonObject(wire.readText()).getString("body"));
    wire.writeText(new JsonObject().put("type", "unregister").put("address", "public.a").encode());
    wire.register("public.d"); // room again
    vertx.eventBus().publish("public.d", "now");
    assertEquals("now", new JsonObject(wire.readText()).getString("body"));
  }

  @Test
  void registrationsBeyondTheSocketsRateAreRefusedWhileTheOthersStay() throws IOException {
    RawWireClient wire = open(new BridgeLimits(4, 1000, 100, 1, 1000)); // a burst of 4, then one a second
    for (String address : List.of("public.a", "public.b", "public.c", "public.d")) wire.register(address);
    wire.writeText(new JsonObject().put("type", "unregister").put("address", "public.a").encode());

    wire.writeText(register("public.e"));
    assertEquals(err(BridgeErrors.RATE_LIMITED), new JsonObject(wire.readText()));
    assertEquals(1, refused(BridgeErrors.RATE_LIMITED));
    wire.register("public.b"); // already there: no new registration, no token

    vertx.eventBus().publish("public.d", "still registered");
    assertEquals("still registered", new JsonObject(wire.readText()).getString("body"));
  }

  @Test
  void anAddressNewToANodeAtItsAddressBudgetIsRefusedUntilAnotherIsLeft() throws IOException {
    RawWireClient first = open(new BridgeLimits(64, 1000, 100, 100, 2));
    RawWireClient second = wire().open();
    first.register("public.a");
    first.register("public.b");
    second.register("public.a"); // not new to the node: no budget spent

    second.writeText(register("public.c"));
    assertEquals(err(BridgeErrors.TOO_MANY_ADDRESSES), new JsonObject(second.readText()));
    assertEquals(1, refused(BridgeErrors.TOO_MANY_ADDRESSES));
    vertx.eventBus().publish("public.a", "both still registered");
    assertEquals("both still registered", new JsonObject(first.readText()).getString("body"));
    assertEquals("both still registered", new JsonObject(second.readText()).getString("body"));

    first.writeText(new JsonObject().put("type", "unregister").put("address", "public.b").encode());
    for (int attempt = 0; ; attempt++) { // room for one once public.b's consumer is gone (the event bus says when)
      second.writeText(register("public.c"));
      JsonObject answer = new JsonObject(pingAfter(second));
      if (answer.getString("type").equals("pong")) break;
      assertEquals(err(BridgeErrors.TOO_MANY_ADDRESSES), answer);
      assertTrue(attempt < 50, "room again");
    }
    vertx.eventBus().publish("public.c", "now");
    assertEquals("now", new JsonObject(second.readText()).getString("body"));
  }

  @Test
  void whenTheAddressBudgetIsSpentTheSocketHoldingMostOfItAloneGivesWayToOneHoldingFew() throws IOException {
    RawWireClient hog = open(new BridgeLimits(64, 1000, 100, 100, 4));
    RawWireClient page = wire().open();
    for (String address : List.of("public.h1", "public.h2", "public.h3", "public.h4")) hog.register(address);

    page.register("public.mine"); // admitted: no err frame before the ping's answer
    assertEquals(err(BridgeErrors.TOO_MANY_ADDRESSES), new JsonObject(hog.readText()));
    Frame close = hog.readFrame();
    assertEquals(0x08, close.opcode());
    assertEquals(1008, close.status());
    assertEquals(1, meters.counter(BridgeMetrics.CONNECTIONS_CLOSED, "cause", BridgeErrors.CLOSED_MAX_ADDRESSES).count());
    vertx.eventBus().publish("public.mine", "yours");
    assertEquals("yours", new JsonObject(page.readText()).getString("body"));
  }

  @Test
  void framesBeyondTheRateAreRefusedAndASocketThatGoesOnIsClosedWith1008() throws IOException {
    BridgeClient bystander = connect(startLimited(new BridgeLimits(64, 10, 100)));
    bystander.register(Addresses.EVENTS_UPDATES);
    RawWireClient wire = wire().open();

    wire.writeTexts("{\"type\":\"ping\"}", 25); // a burst of 20 passes, then refusals
    assertEquals(err(BridgeErrors.RATE_LIMITED), new JsonObject(wire.readText()));
    assertTrue(refused(BridgeErrors.RATE_LIMITED) >= 1);

    wire.writeTexts("{\"type\":\"ping\"}", 100); // and on: a second's worth refused
    Frame frame;
    do {
      frame = wire.readFrame();
    } while (frame.opcode() == 0x01); // the err frames sent before the close
    assertEquals(0x08, frame.opcode());
    assertEquals(1008, frame.status());
    wire.assertEndOfStream();
    assertEquals(1, meters.counter(BridgeMetrics.CLOSED_FOR_RATE).count());

    vertx.eventBus().publish(Addresses.EVENTS_UPDATES, 7);
    assertEquals(7, bystander.next().getInteger("body"), "the other socket is served as before");
  }

  @Test
  void connectionsBeyondTheNodesLimitAreRefusedWith503UntilOneCloses() throws IOException {
    startLimited(new BridgeLimits(64, 1000, 2));
    RawWireClient first = wire().open();
    wire().open();
    RawRefusal refusal = new RawRefusal(wire().request("GET", RawWireClient.upgradeHeaders(13)));
    assertTrue(refusal.head().startsWith("HTTP/1.1 503"), refusal.head());
    assertEquals(1, meters.counter(BridgeMetrics.CONNECTIONS_REFUSED, "reason", BridgeMetrics.REFUSED_FULL).count());

    first.close();
    RawRefusal later = null;
    for (int attempt = 0; attempt < 50; attempt++) { // the node counts the first out once its close is seen
      later = new RawRefusal(wire().request("GET", RawWireClient.upgradeHeaders(13)));
      if (later.head().startsWith("HTTP/1.1 101")) break;
      sleep(20);
    }
    assertTrue(later.head().startsWith("HTTP/1.1 101"), later.head());
  }

  @Test
  void aSockJsSessionBeyondTheNodesLimitIsClosedAndCountedAsTheRawWebSocketIs() throws IOException {
    startLimited(new BridgeLimits(64, 1000, 1));
    wire().open();
    LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
    Promise<Void> closed = Promise.promise();
    WebSocketClient client = vertx.createWebSocketClient();
    ClientWebSocket session = client.webSocket(); // handlers first: the node closes it at once
    session.textMessageHandler(texts::add).closeHandler(v -> closed.tryComplete());
    // Closed as soon as SockJS hands the session over: the client sees the close, or its handshake cut short.
    Future<?> connected = session.connect(limited.port(), "127.0.0.1", "/eventbus/000/fullnode/websocket");
    eventually("the session closed", 10, () -> connected.failed() || closed.future().isComplete());
    assertTrue(texts.stream().noneMatch(text -> text.startsWith("a[")), "no bridge frame: " + texts);
    assertEquals(1, meters.counter(BridgeMetrics.CONNECTIONS_REFUSED, "reason", BridgeMetrics.REFUSED_FULL).count(),
        "one gate, one count, whichever transport");
    client.close();
  }

  private record RawRefusal(String head) {}

  /** The answer to the frame just written, if it has one, else {"type":"pong"} (the bridge.ping after it). */
  private static String pingAfter(RawWireClient wire) throws IOException {
    wire.writeText("{\"type\":\"send\",\"address\":\"bridge.ping\",\"replyAddress\":\"p\"}");
    String first = wire.readText();
    if ("p".equals(new JsonObject(first).getString("address"))) return "{\"type\":\"pong\"}";
    wire.readText(); // the ping's reply
    return first;
  }

  private int startLimited(BridgeLimits limits) {
    limited = startAnotherBridge(testConfig(limitFlags(limits)), meters);
    return limited.port();
  }

  private RawWireClient open(BridgeLimits limits) throws IOException {
    startLimited(limits);
    return wire().open();
  }

  private RawWireClient wire() throws IOException {
    RawWireClient wire = new RawWireClient(limited.port(), 0);
    wires.add(wire);
    return wire;
  }

  private double refused(String reason) {
    return meters.counter(BridgeMetrics.FRAMES_REFUSED, "reason", reason).count();
  }

  private static String register(String address) {
    return new JsonObject().put("type", "register").put("address", address).encode();
  }

  private static JsonObject err(String reason) {
    return new JsonObject().put("type", "err").put("body", reason);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
