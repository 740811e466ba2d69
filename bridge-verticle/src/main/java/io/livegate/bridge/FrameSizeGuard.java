package io.livegate.bridge;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Ahead of the WebSocket decoder of a raw WebSocket: a data frame whose payload is beyond {@code --max-frame-bytes}
 * is handed to the decoder empty, its payload discarded as it arrives, and {@link RawWebSocket} (or, for SockJS,
 * the bridge) is told, so that the client gets {@code frame_too_large} and the connection carries on. Netty's decoder holds a frame until it is whole
 * (in a buffer rounded up to a power of two: up to 256 KiB for the transport's limit of twice the frame limit, per
 * socket, for as long as the client takes to finish it); so a frame of any size costs at most the frame limit.
 * Frames beyond the transport's limit, and frames the decoder will refuse anyway (unmasked ones), pass as they are:
 * the decoder closes their connection at their header (1009, 1002). Runs on the channel's event loop.
 */
final class FrameSizeGuard extends ChannelInboundHandlerAdapter {
  /** FIN, RSV and opcode; MASK and a 7-bit length; a 64-bit length at most; the mask key. */
  private static final int MAX_HEADER = 2 + 8 + 4;
  private static final int OPCODE_BINARY = 0x2;

  private final int maxFrameBytes;
  private final int transportLimit;
  private final Runnable emptied;
  /** The payload bytes of the frame passing as it is, still to come. */
  private long passing;
  /** The payload bytes of an emptied frame, still to discard. */
  private long discarding;
  /** A header cut between two reads, or null: its bytes so far (at most {@link #MAX_HEADER}). */
  private byte[] split;
  private int splitLength;

  /**
   * @param maxFrameBytes  a data frame's payload beyond this is not read
   * @param transportLimit a payload beyond this is left to the decoder, which closes the connection
   * @param emptied        run just before the decoder is handed an emptied frame, which it hands on at once
   */
  FrameSizeGuard(int maxFrameBytes, int transportLimit, Runnable emptied) {
    this.maxFrameBytes = maxFrameBytes;
    this.transportLimit = transportLimit;
    this.emptied = emptied;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    int start = in.readerIndex();
    boolean asItIs;
    try {
      asItIs = scan(ctx, in);
    } catch (RuntimeException e) {
      in.release();
      throw e;
    }
    if (asItIs) {
      ctx.fireChannelRead(in.readerIndex(start)); // the common case: nothing to change, no slice made
    } else {
      in.release();
    }
  }

  /**
   * Passes on what goes to the decoder as it is, in as few pieces as it can.
   *
   * @return true if all of {@code in} is to pass as it is (nothing passed yet): the caller passes it
   */
  private boolean scan(ChannelHandlerContext ctx, ByteBuf in) {
    int start = in.readerIndex();
    int pass = start;
    while (in.isReadable()) {
      if (discarding > 0) {
        int n = (int) Math.min(discarding, in.readableBytes());
        in.skipBytes(n);
        discarding -= n;
        pass = in.readerIndex();
      } else if (passing > 0) {
        int n = (int) Math.min(passing, in.readableBytes());
        in.skipBytes(n);
        passing -= n;
      } else if (split == null && headerLength(in, in.readerIndex()) <= in.readableBytes()) {
        int header = in.readerIndex();
        int length = headerLength(in, header);
        long payload = payloadLength(in, header);
        in.skipBytes(length);
        if (isOversized(in, header, payload)) {
          pass(ctx, in, pass, header);
          empty(ctx, in, header, length, payload);
          pass = in.readerIndex();
        } else {
          passing = payload;
        }
      } else {
        pass(ctx, in, pass, in.readerIndex());
        readSplitHeader(ctx, in);
        pass = in.readerIndex();
      }
    }
    if (pass == start) return true; // nothing was cut out: every byte passes
    pass(ctx, in, pass, in.readerIndex());
    return false;
  }

  /** A header cut between reads: gathered here (a few bytes) until whole, then judged like any other. */
  private void readSplitHeader(ChannelHandlerContext ctx, ByteBuf in) {
    if (split == null) {
      split = new byte[MAX_HEADER];
      splitLength = 0;
    }
    while (in.isReadable() && (splitLength < 2 || splitLength < headerLength(split[1]))) {
      split[splitLength++] = in.readByte();
    }
    if (splitLength < 2 || splitLength < headerLength(split[1])) return; // the rest comes with the next read
    ByteBuf header = ctx.alloc().buffer(splitLength).writeBytes(split, 0, splitLength);
    split = null;
    long payload = payloadLength(header, 0);
    if (isOversized(header, 0, payload)) {
      empty(ctx, header, 0, header.readableBytes(), payload);
      header.release();
    } else {
      passing = payload;
      ctx.fireChannelRead(header);
    }
  }

  /** Hands the decoder the frame's header with a length of 0, and discards its payload as it comes. */
  private void empty(ChannelHandlerContext ctx, ByteBuf header, int start, int length, long payload) {
    ByteBuf empty = ctx.alloc().buffer(6);
    empty.writeByte(header.getByte(start));
    empty.writeByte(0x80); // masked, no payload
    empty.writeBytes(header, start + length - 4, 4);
    discarding = payload;
    emptied.run(); // the decoder hands the emptied frame on at once: it is whole
    ctx.fireChannelRead(empty);
  }

  /** A masked data frame (text, binary, continuation) over the frame limit and within the transport's. */
  private boolean isOversized(ByteBuf header, int start, long payload) {
    int opcode = header.getByte(start) & 0x0F;
    boolean masked = (header.getByte(start + 1) & 0x80) != 0;
    return opcode <= OPCODE_BINARY && masked && payload > maxFrameBytes && payload <= transportLimit;
  }

  private static void pass(ChannelHandlerContext ctx, ByteBuf in, int from, int to) {
    if (to > from) ctx.fireChannelRead(in.retainedSlice(from, to - from));
  }

  /** The header's length, or more than is readable if its second byte has not come yet. */
  private static int headerLength(ByteBuf in, int start) {
    return in.writerIndex() - start < 2 ? Integer.MAX_VALUE : headerLength(in.getByte(start + 1));
  }

  private static int headerLength(byte second) {
    int length7 = second & 0x7F;
    return 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + ((second & 0x80) != 0 ? 4 : 0);
  }

  /** RFC 6455 5.2; a 64-bit length with its top bit set (refused by the decoder) reads as the largest. */
  private static long payloadLength(ByteBuf header, int start) {
    int length7 = header.getByte(start + 1) & 0x7F;
    if (length7 < 126) return length7;
    if (length7 == 126) return header.getUnsignedShort(start + 2);
    long length = header.getLong(start + 2);
    return length < 0 ? Long.MAX_VALUE : length;
  }
}
