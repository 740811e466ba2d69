package io.livegate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.core.Addresses;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The raw WebSocket at {@code /eventbus/websocket} on the wire, byte by byte: the handshake, fragments,
 * control frames, protocol errors and limits, as RFC 6455 says a server must treat them.
 */
class RawWebSocketTest extends BridgeTestBase {
  private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
  private Socket tcp;
  private DataInputStream in;
  private OutputStream out;

  @AfterEach
  void closeTcp() throws IOException {
    if (tcp != null) tcp.close();
  }

  @Test
  void handshakeAnswers101WithTheAcceptKeyOfTheRfc() throws IOException {
    String response = request("GET", "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
        + "Sec-WebSocket-Key: " + KEY + "\r\nSec-WebSocket-Version: 13\r\n");
    assertTrue(response.startsWith("HTTP/1.1 101"), response);
    assertTrue(response.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), response); // RFC 6455, section 1.3
  }

  @Test
  void requestsThatAreNotAWebSocketUpgradeGetAPlainHttpErrorAndTheBridgeCarriesOn() throws IOException {
    assertTrue(request("POST", upgradeHeaders(13)).startsWith("HTTP/1.1 405"));
    assertTrue(request("GET", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
        .startsWith("HTTP/1.1 400"), "no key");
    assertTrue(request("GET", "Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + KEY + "\r\n")
        .startsWith("HTTP/1.1 400"), "not websocket");
    String oldVersion = request("GET", upgradeHeaders(8));
    assertTrue(oldVersion.startsWith("HTTP/1.1 426"), oldVersion);
    assertTrue(oldVersion.toLowerCase().contains("sec-websocket-version: 13"), oldVersion);

    assertEquals("PONG", connect().ping().getString("type"));
  }

  @Test
  void aMessageInFragmentsIsJoinedBeforeTheBridgeReadsIt() throws IOException {
    open();
    byte[] register = "{\"type\":\"register\",\"address\":\"chat.lobby\"}".getBytes(StandardCharsets.UTF_8);
    writeFrame(0x01, false, slice(register, 0, 10));             // text, not final
    writeFrame(0x00, false, slice(register, 10, 20));            // continuation
    writeFrame(0x00, true, slice(register, 20, register.length)); // continuation, final
    bridgePing();

    vertx.eventBus().publish("chat.lobby", "hello");
    JsonObject rec = new JsonObject(readText());
    assertEquals("hello", rec.getString("body"));
  }

  @Test
  void webSocketPingIsAnsweredWithAPongCarryingItsPayload() throws IOException {
    open();
    writeFrame(0x09, true, "are you there".getBytes(StandardCharsets.UTF_8));
    Frame pong = readFrame();
    assertEquals(0x0A, pong.opcode());
    assertEquals("are you there", new String(pong.payload(), StandardCharsets.UTF_8));
  }

  @Test
  void clientCloseIsEchoedWithItsStatusAndTheConnectionEnds() throws IOException {
    open();
    waitUntil(() -> bridge.openConnections() == 1);
    writeFrame(0x08, true, new byte[] {0x03, (byte) 0xE9}); // 1001, going away
    Frame close = readFrame();
    assertEquals(0x08, close.opcode());
    assertEquals(1001, status(close));
    assertEndOfStream();
    waitUntil(() -> bridge.openConnections() == 0);
  }

  @Test
  void anUnmaskedClientFrameIsAProtocolErrorThatClosesOnlyThatSocket() throws IOException {
    BridgeClient bystander = connect();
    bystander.register(Addresses.EVENTS_UPDATES);
    open();
    byte[] ping = "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8);
    out.write(new byte[] {(byte) 0x81, (byte) ping.length}); // no mask bit: clients must mask
    out.write(ping);
    out.flush();
    Frame close = readFrame();
    assertEquals(0x08, close.opcode());
    assertEquals(1002, status(close));
    assertEndOfStream();

    vertx.eventBus().publish(Addresses.EVENTS_UPDATES, 1);
    assertEquals(1, bystander.next().getInteger("body"));
  }

  @Test
  void aFrameBeyondTheTransportLimitClosesTheSocketWith1009() throws IOException {
    open();
    int tooLong = 2 * testConfig().maxFrameBytes() + 1;
    out.write(new byte[] {(byte) 0x81, (byte) (0x80 | 126 + 1)}); // masked, 64-bit length follows
    for (int shift = 56; shift >= 0; shift -= 8) out.write((int) ((long) tooLong >>> shift));
    out.write(new byte[4]);
    out.flush();
    Frame close = readFrame();
    assertEquals(0x08, close.opcode());
    assertEquals(1009, status(close));
    assertEndOfStream();
  }

  @Test
  void manyMessagesPublishedAtOnceArriveCompleteAndInOrder() throws IOException {
    open();
    writeFrame(0x01, true, "{\"type\":\"register\",\"address\":\"public.burst\"}".getBytes(StandardCharsets.UTF_8));
    bridgePing();
    int messages = 2000;
    for (int i = 0; i < messages; i++) vertx.eventBus().publish("public.burst", i);
    for (int i = 0; i < messages; i++) {
      assertEquals(i, new JsonObject(readText()).getInteger("body"));
    }
  }

  /** A bridge.ping round trip: frames of a socket are handled in order, so what came before is done. */
  private void bridgePing() throws IOException {
    writeFrame(0x01, true, "{\"type\":\"send\",\"address\":\"bridge.ping\",\"replyAddress\":\"p\"}"
        .getBytes(StandardCharsets.UTF_8));
    assertEquals("p", new JsonObject(readText()).getString("address"));
  }

  private String upgradeHeaders(int version) {
    return "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + KEY
        + "\r\nSec-WebSocket-Version: " + version + "\r\n";
  }

  /** Sends one request and returns the response head (up to the blank line). */
  private String request(String method, String headers) throws IOException {
    if (tcp != null) tcp.close();
    tcp = new Socket("127.0.0.1", port);
    tcp.setSoTimeout(5000);
    in = new DataInputStream(tcp.getInputStream());
    out = tcp.getOutputStream();
    out.write((method + " /eventbus/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n" + headers + "\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return readHead(in);
  }

  private void open() throws IOException {
    String response = request("GET", upgradeHeaders(13));
    assertTrue(response.startsWith("HTTP/1.1 101"), response);
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) break;
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  /** A client frame: masked, as RFC 6455 requires of clients (a zero mask keeps the payload as it is). */
  private void writeFrame(int opcode, boolean fin, byte[] payload) throws IOException {
    out.write((fin ? 0x80 : 0) | opcode);
    if (payload.length < 126) {
      out.write(0x80 | payload.length);
    } else {
      out.write(0x80 | 126);
      out.write(payload.length >>> 8);
      out.write(payload.length & 0xFF);
    }
    out.write(new byte[4]);
    out.write(payload);
    out.flush();
  }

  private record Frame(int opcode, byte[] payload) {}

  private Frame readFrame() throws IOException {
    int first = in.readUnsignedByte();
    int second = in.readUnsignedByte();
    assertEquals(0, second & 0x80, "a server never masks");
    long length = second & 0x7F;
    if (length == 126) length = in.readUnsignedShort();
    else if (length == 127) length = in.readLong();
    byte[] payload = new byte[(int) length];
    in.readFully(payload);
    return new Frame(first & 0x0F, payload);
  }

  private String readText() throws IOException {
    Frame frame = readFrame();
    assertEquals(0x01, frame.opcode(), "a text frame");
    return new String(frame.payload(), StandardCharsets.UTF_8);
  }

  private static int status(Frame close) {
    return ((close.payload()[0] & 0xFF) << 8) | (close.payload()[1] & 0xFF);
  }

  private void assertEndOfStream() throws IOException {
    try {
      int b = in.read();
      assertEquals(-1, b, "the server closed the connection");
    } catch (EOFException e) {
      // closed
    }
  }

  private static byte[] slice(byte[] bytes, int from, int to) {
    byte[] part = new byte[to - from];
    System.arraycopy(bytes, from, part, 0, part.length);
    return part;
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("condition not met within 5 s");
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
