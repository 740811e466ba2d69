package io.livegate.bridge;

import static io.livegate.bridge.RawWireClient.upgradeHeaders;
import static io.livegate.testing.Await.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.bridge.RawWireClient.Frame;
import io.livegate.core.Addresses;
import io.livegate.testing.BridgeClient;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The raw WebSocket at {@code /eventbus/websocket} on the wire, byte by byte: the handshake, fragments,
 * control frames, protocol errors and limits, as RFC 6455 says a server must treat them.
 */
class RawWebSocketTest extends BridgeTestBase {
  private RawWireClient wire;

  @AfterEach
  void closeWire() throws IOException {
    if (wire != null) wire.close();
  }

  @Test
  void handshakeAnswers101WithTheAcceptKeyOfTheRfc() throws IOException {
    String response = client().request("GET", "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
        + "Sec-WebSocket-Key: " + RawWireClient.KEY + "\r\nSec-WebSocket-Version: 13\r\n");
    assertTrue(response.startsWith("HTTP/1.1 101"), response);
    assertTrue(response.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), response); // RFC 6455, section 1.3
  }

  @Test
  void requestsThatAreNotAWebSocketUpgradeGetAPlainHttpErrorAndTheBridgeCarriesOn() throws IOException {
    assertTrue(client().request("POST", upgradeHeaders(13)).startsWith("HTTP/1.1 405"));
    assertTrue(client().request("GET", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
        .startsWith("HTTP/1.1 400"), "no key");
    assertTrue(client().request("GET", "Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
        + RawWireClient.KEY + "\r\n").startsWith("HTTP/1.1 400"), "not websocket");
    String oldVersion = client().request("GET", upgradeHeaders(8));
    assertTrue(oldVersion.startsWith("HTTP/1.1 426"), oldVersion);
    assertTrue(oldVersion.toLowerCase().contains("sec-websocket-version: 13"), oldVersion);

    assertEquals("PONG", connect().ping().getString("type"));
  }

  @Test
  void aMessageInFragmentsIsJoinedBeforeTheBridgeReadsIt() throws IOException {
    client().open();
    byte[] register = "{\"type\":\"register\",\"address\":\"chat.lobby\"}".getBytes(StandardCharsets.UTF_8);
    wire.writeFrame(0x01, false, slice(register, 0, 10));             // text, not final
    wire.writeFrame(0x00, false, slice(register, 10, 20));            // continuation
    wire.writeFrame(0x00, true, slice(register, 20, register.length)); // continuation, final
    wire.bridgePing();

    vertx.eventBus().publish("chat.lobby", "hello");
    assertEquals("hello", new JsonObject(wire.readText()).getString("body"));
  }

  @Test
  void webSocketPingIsAnsweredWithAPongCarryingItsPayload() throws IOException {
    client().open();
    wire.writeFrame(0x09, true, "are you there".getBytes(StandardCharsets.UTF_8));
    Frame pong = wire.readFrame();
    assertEquals(0x0A, pong.opcode());
    assertEquals("are you there", new String(pong.payload(), StandardCharsets.UTF_8));
  }

  @Test
  void clientCloseIsEchoedWithItsStatusAndTheConnectionEnds() throws IOException {
    client().open();
    waitUntil(() -> bridge.openConnections() == 1);
    wire.writeFrame(0x08, true, new byte[] {0x03, (byte) 0xE9}); // 1001, going away
    Frame close = wire.readFrame();
    assertEquals(0x08, close.opcode());
    assertEquals(1001, close.status());
    wire.assertEndOfStream();
    waitUntil(() -> bridge.openConnections() == 0);
  }

  @Test
  void anUnmaskedClientFrameIsAProtocolErrorThatClosesOnlyThatSocket() throws IOException {
    BridgeClient bystander = connect();
    bystander.register(Addresses.EVENTS_UPDATES);
    client().open();
    byte[] ping = "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8);
    wire.writeRaw(new byte[] {(byte) 0x81, (byte) ping.length}); // no mask bit: clients must mask
    wire.writeRaw(ping);
    Frame close = wire.readFrame();
    assertEquals(0x08, close.opcode());
    assertEquals(1002, close.status());
    wire.assertEndOfStream();

    vertx.eventBus().publish(Addresses.EVENTS_UPDATES, 1);
    assertEquals(1, bystander.next().getInteger("body"));
  }

  @Test
  void aFrameBeyondTheTransportLimitClosesTheSocketWith1009() throws IOException {
    client().open();
    long tooLong = 2L * testConfig().maxFrameBytes() + 1;
    byte[] header = new byte[2 + 8 + 4]; // masked, 64-bit length, a zero mask
    header[0] = (byte) 0x81;
    header[1] = (byte) (0x80 | 127);
    for (int i = 0; i < 8; i++) header[2 + i] = (byte) (tooLong >>> (56 - 8 * i));
    wire.writeRaw(header);
    Frame close = wire.readFrame();
    assertEquals(0x08, close.opcode());
    assertEquals(1009, close.status());
    wire.assertEndOfStream();
  }

  @Test
  void manyMessagesPublishedAtOnceArriveCompleteAndInOrder() throws IOException {
    client().open().register("public.burst");
    int messages = 2000;
    for (int i = 0; i < messages; i++) vertx.eventBus().publish("public.burst", i);
    for (int i = 0; i < messages; i++) {
      assertEquals(i, new JsonObject(wire.readText()).getInteger("body"));
    }
  }

  /** A fresh connection to the bridge (each request of these tests on its own). */
  private RawWireClient client() throws IOException {
    if (wire != null) wire.close();
    wire = new RawWireClient(port, 0);
    return wire;
  }

  private static byte[] slice(byte[] bytes, int from, int to) {
    byte[] part = new byte[to - from];
    System.arraycopy(bytes, from, part, 0, part.length);
    return part;
  }
}
