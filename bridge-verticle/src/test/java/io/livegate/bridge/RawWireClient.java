package io.livegate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A WebSocket client written byte by byte over a plain socket, for what a library client would not do:
 * bad handshakes, hand-made frames (masked, fragments, pings, any length), and not reading at all (a tiny receive
 * buffer, and no reads). Blocking, with a 5 s read timeout.
 */
final class RawWireClient implements AutoCloseable {
  static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

  record Frame(int opcode, byte[] payload) {
    int status() {
      return ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
    }
  }

  private final Socket tcp;
  private final DataInputStream in;
  private final OutputStream out;

  /** @param receiveBuffer the socket's receive buffer in bytes, or 0 for the system's */
  RawWireClient(int port, int receiveBuffer) throws IOException {
    tcp = new Socket();
    if (receiveBuffer > 0) tcp.setReceiveBufferSize(receiveBuffer);
    tcp.setTcpNoDelay(true); // each write leaves as it is: a test can cut a frame between reads
    tcp.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    tcp.setSoTimeout(5000);
    in = new DataInputStream(tcp.getInputStream());
    out = tcp.getOutputStream();
  }

  static String upgradeHeaders(int version) {
    return "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + KEY
        + "\r\nSec-WebSocket-Version: " + version + "\r\n";
  }

  /** Sends one request to {@code /eventbus/websocket} and returns the response head. */
  String request(String method, String headers) throws IOException {
    return request(method, "/eventbus/websocket", headers);
  }

  /** Sends one request and returns the response head; the Host header names the port, as browsers do. */
  String request(String method, String path, String headers) throws IOException {
    out.write((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + tcp.getPort() + "\r\nContent-Length: 0\r\n"
        + headers + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return readHead();
  }

  /** A WebSocket handshake on {@code path} as a browser sends it (no Content-Length), which must succeed. */
  RawWireClient upgrade(String path) throws IOException {
    out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + tcp.getPort() + "\r\n" + upgradeHeaders(13) + "\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    String response = readHead();
    assertTrue(response.startsWith("HTTP/1.1 101"), response);
    return this;
  }

  /** The handshake, which must succeed. */
  RawWireClient open() throws IOException {
    String response = request("GET", upgradeHeaders(13));
    assertTrue(response.startsWith("HTTP/1.1 101"), response);
    return this;
  }

  /** The handshake with a token as the query parameter, which must succeed (the token is judged after it). */
  RawWireClient open(String token) throws IOException {
    String response = request("GET", "/eventbus/websocket?token=" + java.net.URLEncoder.encode(token,
        StandardCharsets.UTF_8), upgradeHeaders(13));
    assertTrue(response.startsWith("HTTP/1.1 101"), response);
    return this;
  }

  /** A client frame: masked, as RFC 6455 requires of clients (a zero mask keeps the payload as it is). */
  void writeFrame(int opcode, boolean fin, byte[] payload) throws IOException {
    out.write(frame(opcode, fin, payload));
    out.flush();
  }

  private static byte[] frame(int opcode, boolean fin, byte[] payload) {
    java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream(payload.length + 14);
    frame.write((fin ? 0x80 : 0) | opcode);
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else if (payload.length <= 0xFFFF) {
      frame.write(0x80 | 126);
      frame.write(payload.length >>> 8);
      frame.write(payload.length & 0xFF);
    } else {
      frame.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) frame.write((int) ((long) payload.length >>> shift) & 0xFF);
    }
    frame.writeBytes(new byte[4]);
    frame.writeBytes(payload);
    return frame.toByteArray();
  }

  /**
   * {@code count} pings in one write: the server reads them together, so a close it decides on meets no more of our
   * writes (which would be answered with a reset, and lose the close frame).
   */
  void pings(byte[] payload, int count) throws IOException {
    repeat(frame(0x09, true, payload), count);
  }

  /** {@code count} text frames in one write, as {@link #pings}. */
  void writeTexts(String text, int count) throws IOException {
    repeat(frame(0x01, true, text.getBytes(StandardCharsets.UTF_8)), count);
  }

  private void repeat(byte[] one, int count) throws IOException {
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream(one.length * count);
    for (int i = 0; i < count; i++) all.writeBytes(one);
    out.write(all.toByteArray());
    out.flush();
  }

  /** A WebSocket ping (opcode 9) carrying {@code payload}, at most 125 bytes. */
  void ping(byte[] payload) throws IOException {
    writeFrame(0x09, true, payload);
  }

  /**
   * A WebSocket ping and its pong: the server handles a socket's frames in order, so what was sent before it (the
   * fragments of an unfinished message, say) has been handled. Frames that come before the pong must not be there.
   */
  void pingRoundTrip() throws IOException {
    byte[] label = "round trip".getBytes(StandardCharsets.UTF_8);
    ping(label);
    Frame pong = readFrame();
    assertEquals(0x0A, pong.opcode(), () -> "a pong, not " + pong.opcode() + " " + new String(pong.payload(), StandardCharsets.UTF_8));
    assertEquals("round trip", new String(pong.payload(), StandardCharsets.UTF_8));
  }

  /** Reads past the frames sent before it (text, pongs) to the close frame, which must come. */
  Frame readClose() throws IOException {
    Frame frame;
    do {
      frame = readFrame();
    } while (frame.opcode() == 0x01 || frame.opcode() == 0x0A);
    assertEquals(0x08, frame.opcode(), "a close frame");
    return frame;
  }

  void writeText(String text) throws IOException {
    writeFrame(0x01, true, text.getBytes(StandardCharsets.UTF_8));
  }

  void writeRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Writes {@code bytes} one at a time, a millisecond apart: the server reads a frame cut in many pieces. */
  void trickle(byte[] bytes) throws IOException {
    for (byte b : bytes) {
      out.write(b);
      out.flush();
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
  }

  Frame readFrame() throws IOException {
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

  String readText() throws IOException {
    Frame frame = readFrame();
    assertEquals(0x01, frame.opcode(), "a text frame");
    return new String(frame.payload(), StandardCharsets.UTF_8);
  }

  /** A bridge.ping round trip: frames of a socket are handled in order, so what came before is done. */
  void bridgePing() throws IOException {
    writeText("{\"type\":\"send\",\"address\":\"bridge.ping\",\"replyAddress\":\"p\"}");
    assertEquals("p", new JsonObject(readText()).getString("address"));
  }

  /** Registers and waits until the bridge has handled it. */
  void register(String address) throws IOException {
    writeText(new JsonObject().put("type", "register").put("address", address).encode());
    bridgePing();
  }

  /** Reads until the server has closed the connection; fails if it does not within the read timeout. */
  void assertEndOfStream() throws IOException {
    try {
      while (in.read() >= 0) {
        // what was sent before the close
      }
    } catch (EOFException e) {
      // closed
    }
  }

  private String readHead() throws IOException {
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

  @Override
  public void close() throws IOException {
    tcp.close();
  }
}
