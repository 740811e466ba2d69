package io.livegate.bridge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * One frame for browsers, encoded once however many sockets it goes to: its JSON text (what a SockJS
 * socket writes) and, made on first use, the bytes of a whole WebSocket text frame carrying it (what a raw
 * WebSocket writes: a server's frames are not masked, so the same bytes serve every socket).
 * Used only on the bridge verticle's context.
 */
final class ServerFrame {
  private static final int FIN_TEXT = 0x81;

  private final FrameType type;
  private final String text;
  private byte[] webSocketFrame;

  ServerFrame(FrameType type, String text) {
    this.type = type;
    this.text = text;
  }

  /** {@code rec} or {@code err}: what the frames-out metric counts it as. */
  FrameType type() {
    return type;
  }

  String text() {
    return text;
  }

  /** A new buffer over the shared bytes of the WebSocket frame: a wrapper per socket, never a copy. */
  ByteBuf webSocketFrame() {
    if (webSocketFrame == null) webSocketFrame = encodeWebSocketFrame(text.getBytes(StandardCharsets.UTF_8));
    return Unpooled.wrappedBuffer(webSocketFrame);
  }

  @Override
  public String toString() {
    return text;
  }

  /** RFC 6455 section 5.2: FIN and opcode, then a 7, 16 or 64 bit payload length, no mask, the payload. */
  static byte[] encodeWebSocketFrame(byte[] payload) {
    int length = payload.length;
    int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    byte[] frame = new byte[header + length];
    frame[0] = (byte) FIN_TEXT;
    if (length < 126) {
      frame[1] = (byte) length;
    } else if (length <= 0xFFFF) {
      frame[1] = 126;
      frame[2] = (byte) (length >>> 8);
      frame[3] = (byte) length;
    } else {
      frame[1] = 127;
      for (int i = 0; i < 8; i++) frame[2 + i] = (byte) ((long) length >>> (56 - 8 * i));
    }
    System.arraycopy(payload, 0, frame, header, length);
    return frame;
  }
}
