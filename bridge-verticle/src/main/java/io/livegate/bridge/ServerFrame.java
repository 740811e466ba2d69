package io.livegate.bridge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * One frame for browsers, encoded once however many sockets it goes to: its JSON text (what a SockJS
 * socket writes) and, made on first use, the bytes of a whole WebSocket text frame carrying it, in one pooled
 * direct buffer (what a raw WebSocket writes: a server's frames are not masked, so the same bytes serve every
 * socket; each socket writes a retained view of them, with no copy and no garbage). Whoever makes a frame
 * releases it once written ({@link #release}). Used only on the bridge verticle's context.
 */
final class ServerFrame {
  private static final int FIN_TEXT = 0x81;
  /**
   * Netty's pooled allocator, not the channel's (Netty 4.2's adaptive one): a pooled buffer's
   * {@code retainedDuplicate()} is a recycled object, where the adaptive buffer's is a new one per socket, and
   * at 500 sockets a node that was most of what a message left for the garbage collector.
   */
  private static final ByteBufAllocator WIRE_ALLOCATOR = PooledByteBufAllocator.DEFAULT;

  private final FrameType type;
  private final String text;
  private ByteBuf wire;

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

  /**
   * The bytes of the WebSocket frame, made on first use: the frame's own buffer, for a socket to write a
   * {@code retainedDuplicate()} of, never itself.
   */
  ByteBuf webSocketFrame() {
    if (wire == null) {
      byte[] payload = text.getBytes(StandardCharsets.UTF_8);
      wire = WIRE_ALLOCATOR.directBuffer(headerLength(payload.length) + payload.length);
      writeHeader(wire, payload.length);
      wire.writeBytes(payload);
    }
    return wire;
  }

  /** Gives back the buffer of {@link #webSocketFrame}, if one was made; the sockets' views keep it until sent. */
  void release() {
    if (wire != null) {
      wire.release();
      wire = null;
    }
  }

  @Override
  public String toString() {
    return text;
  }

  private static int headerLength(int payloadLength) {
    return payloadLength < 126 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
  }

  /** RFC 6455 section 5.2: FIN and opcode, then a 7, 16 or 64 bit payload length, no mask. */
  static void writeHeader(ByteBuf out, int length) {
    out.writeByte(FIN_TEXT);
    if (length < 126) {
      out.writeByte(length);
    } else if (length <= 0xFFFF) {
      out.writeByte(126);
      out.writeShort(length);
    } else {
      out.writeByte(127);
      out.writeLong(length);
    }
  }
}
