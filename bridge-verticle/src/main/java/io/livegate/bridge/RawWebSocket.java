package io.livegate.bridge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import java.util.concurrent.TimeUnit;

/**
 * A browser's raw WebSocket at {@code /eventbus/websocket}, at the end of a Netty pipeline of our own once
 * {@link RawWebSocketUpgrade} has done the handshake: the WebSocket codec, a UTF-8 check of text frames and this.
 * Vert.x's own WebSocket would keep a connection and a WebSocket object with two message queues (about 8 KiB) per
 * socket; this keeps the channel and a few fields. Frames are written without a flush and flushed once per
 * turn of the event loop by {@link DeferredFlush}. Runs on the channel's event loop, the bridge verticle's;
 * the bridge's handlers are called on its context.
 *
 * <p>One budget per connection, {@code maxQueuedBytes}: what waits to be sent to the client (bridge frames and
 * pongs alike) and what it has sent of a message not yet finished. A write or a ping that would take it beyond
 * is refused and the bridge told ({@link FrameGate#overBudget}). A fragmented message is joined here, up to
 * {@code maxMessageBytes}; beyond, the rest of its fragments are discarded as they come and its last one is told
 * to the bridge ({@link FrameGate#tooLarge}): a message of any size costs at most that. A single frame beyond it
 * comes empty, its payload discarded by {@link FrameSizeGuard} ahead of the decoder, and is treated the same.
 */
final class RawWebSocket extends ChannelInboundHandlerAdapter implements BrowserConnection {
  /** A close frame that waits behind what the client does not read: the connection is closed all the same. */
  private static final long CLOSING_TIMEOUT_MS = 5_000;
  /** Bytes of a pong's header: a server's frames are not masked, and a control frame's payload is under 126. */
  private static final int PONG_HEADER = 2;

  private final VertxInternals.Dispatch context;
  private final DeferredFlush flusher;
  private final int maxQueuedBytes;
  private final int maxMessageBytes;
  private String token;
  private final Runnable onDisconnected;
  private ChannelHandlerContext ctx;
  private Handler<Buffer> dataHandler;
  private Handler<Void> closedHandler;
  private Handler<Throwable> failedHandler;
  private FrameGate gate = FrameGate.OPEN;
  private boolean flushRequested;
  private boolean closing;
  /** The message being joined from fragments, or null. */
  private ByteBuf message;
  /** The message being received in fragments is discarded: it grew too large, or a fragment was refused. */
  private boolean discarding;
  private boolean discardedForSize;
  /** The next data frame comes empty: {@link FrameSizeGuard} discarded its payload, beyond the frame limit. */
  private boolean nextFrameTooLarge;

  /**
   * @param maxQueuedBytes  what the node may hold for this connection (see the class comment)
   * @param maxMessageBytes the largest message joined from fragments; beyond, the bridge's {@code frame_too_large}
   * @param onDisconnected  run once when the channel closes (what Vert.x would have counted), or null
   * @param token           the token given with the upgrade request, or null
   */
  RawWebSocket(VertxInternals.Dispatch context, DeferredFlush flusher, int maxQueuedBytes, int maxMessageBytes,
      Runnable onDisconnected, String token) {
    this.token = token;
    this.context = context;
    this.flusher = flusher;
    this.maxQueuedBytes = maxQueuedBytes;
    this.maxMessageBytes = maxMessageBytes;
    this.onDisconnected = onDisconnected;
  }

  @Override
  public void handlers(Handler<Buffer> data, Handler<Void> closed, Handler<Throwable> failed) {
    this.dataHandler = data;
    this.closedHandler = closed;
    this.failedHandler = failed;
  }

  @Override
  public void gate(FrameGate gate) {
    this.gate = gate;
  }

  @Override
  public boolean write(ServerFrame frame) {
    if (closing || ctx.channel().unsafe().outboundBuffer() == null) return true; // gone: nothing waits, nothing to refuse
    ByteBuf bytes = frame.webSocketFrame();
    if (held() + bytes.readableBytes() > maxQueuedBytes) return false;
    send(bytes.retainedDuplicate());
    return true;
  }

  /**
   * What the node holds for this connection now: what waits to be sent, and the message being joined. (A frame
   * still arriving sits in the decoder, at most the frame limit since {@link FrameSizeGuard}, and is not counted.)
   */
  @Override
  public int held() {
    ChannelOutboundBuffer queued = ctx.channel().unsafe().outboundBuffer();
    long pending = queued == null ? 0 : queued.totalPendingWriteBytes();
    return (int) Math.min(Integer.MAX_VALUE, pending + (message == null ? 0 : message.capacity()));
  }

  /** Queued now, flushed with the other sockets' frames at the end of this turn of the event loop. */
  private void send(Object frame) {
    ctx.write(frame, ctx.voidPromise());
    if (!flushRequested) {
      flushRequested = true;
      flusher.request(this);
    }
  }

  void flush() {
    flushRequested = false;
    ctx.flush();
  }

  @Override
  public void close() {
    close(WebSocketCloseStatus.NORMAL_CLOSURE);
  }

  /** Read once, when the bridge admits the connection; not kept for the connection's life. */
  @Override
  public String token() {
    String given = token;
    token = null;
    return given;
  }

  /**
   * Over budget: closed at once, with a 1008 close frame if the socket's buffers take it now (a client that reads
   * learns why); what waits is discarded, the close frame with it if it cannot leave.
   */
  @Override
  public void drop() {
    if (closing) return;
    closing = true;
    releaseMessage();
    ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.POLICY_VIOLATION.code(), BridgeErrors.OVER_BUDGET_REASON));
    ctx.close();
  }

  /** Drain: a close code and reason the client acts on (1012: reconnect, to another node). */
  @Override
  public void close(short code, String reason) {
    close(new WebSocketCloseStatus(code, reason));
  }

  /**
   * Sends a close frame with {@code status} and closes the connection (a server need not wait for the echo). What is
   * read meanwhile is discarded; a close frame that cannot leave within {@link #CLOSING_TIMEOUT_MS} (a client that
   * does not read) is given up with the connection.
   */
  void close(WebSocketCloseStatus status) {
    if (closing) return;
    closing = true;
    releaseMessage();
    ChannelFuture sent = ctx.writeAndFlush(new CloseWebSocketFrame(status)).addListener(ChannelFutureListener.CLOSE);
    if (!sent.isDone()) ctx.executor().schedule(() -> ctx.close(), CLOSING_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof WebSocketFrame frame)) {
      ReferenceCountUtil.release(msg); // what the HTTP decoder still held of the upgrade request
      return;
    }
    try {
      if (!closing) onFrame(frame);
    } finally {
      frame.release();
    }
  }

  /**
   * Every frame but a close takes a token of the frame-rate limit: a whole message or a message's last fragment
   * in the bridge's own reading of it, anything else through {@link FrameGate#admit}.
   */
  private void onFrame(WebSocketFrame frame) {
    if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame) {
      // Text and binary alike, as the stock bridge reads them. The decoder has checked that fragments come in order.
      boolean tooLarge = takeTooLarge();
      if (frame.isFinalFragment()) {
        if (tooLarge) {
          tell(FrameGate::tooLarge);
        } else {
          deliver(frame.content());
        }
      } else if (admit()) {
        if (tooLarge) {
          discard(true);
        } else {
          append(frame.content());
        }
      } else {
        discard(false);
      }
    } else if (frame instanceof ContinuationWebSocketFrame) {
      onContinuation(frame, takeTooLarge());
    } else if (frame instanceof PingWebSocketFrame ping) {
      if (admit()) answer(ping);
    } else if (frame instanceof PongWebSocketFrame) {
      admit(); // unasked for, or the answer to nothing of ours: it costs its token, and needs nothing
    } else if (frame instanceof CloseWebSocketFrame close) {
      echoClose(close);
    }
  }

  /** @param tooLarge the fragment came empty, its payload beyond the frame limit */
  private void onContinuation(WebSocketFrame fragment, boolean tooLarge) {
    if (!fragment.isFinalFragment()) {
      if (!admit()) {
        discard(false);
      } else if (tooLarge) {
        discard(true);
      } else if (!discarding) {
        append(fragment.content());
      }
      return;
    }
    if (tooLarge) {
      discard(true);
    } else if (!discarding) {
      append(fragment.content());
    }
    if (closing) return; // over budget while joining it
    if (!discarding) {
      deliver(message);
    } else if (discardedForSize) {
      tell(FrameGate::tooLarge);
    } else {
      admit(); // the end of a message refused in part: discarded, but a frame all the same
    }
    releaseMessage();
    discarding = false;
    discardedForSize = false;
  }

  /** {@link FrameSizeGuard}: the next data frame the decoder hands on is one whose payload it discarded. */
  void nextFrameTooLarge() {
    nextFrameTooLarge = true;
  }

  private boolean takeTooLarge() {
    boolean tooLarge = nextFrameTooLarge;
    nextFrameTooLarge = false;
    return tooLarge;
  }

  /** Asks the bridge, on its context, whether a frame may be handled (see {@link FrameGate#admit}). */
  private boolean admit() {
    boolean[] admitted = new boolean[1];
    context.emit(gate, bridge -> admitted[0] = bridge.admit());
    return admitted[0];
  }

  /** Tells the bridge, on its context. */
  private void tell(Handler<FrameGate> event) {
    context.emit(gate, event);
  }

  /** Adds a fragment to the message being joined, unless that takes it beyond its limit: then it is discarded. */
  private void append(ByteBuf fragment) {
    int size = (message == null ? 0 : message.readableBytes()) + fragment.readableBytes();
    if (size > maxMessageBytes) {
      discard(true);
      return;
    }
    if (message == null) message = ctx.alloc().buffer(fragment.readableBytes(), maxMessageBytes);
    message.writeBytes(fragment);
    if (held() > maxQueuedBytes) tell(FrameGate::overBudget);
  }

  private void discard(boolean forSize) {
    releaseMessage();
    discardedForSize |= forSize;
    discarding = true;
  }

  private void releaseMessage() {
    if (message != null) {
      message.release();
      message = null;
    }
  }

  private void deliver(ByteBuf content) {
    if (dataHandler != null) context.emit(Buffer.buffer(ByteBufUtil.getBytes(content)), dataHandler);
  }

  /**
   * RFC 6455 5.5.2: a pong with the ping's payload, queued like any frame for this client and within its budget. A
   * ping that arrives while the budget is spent is not answered: the client does not read, and is dropped.
   */
  private void answer(PingWebSocketFrame ping) {
    if (held() + PONG_HEADER + ping.content().readableBytes() > maxQueuedBytes) {
      tell(FrameGate::overBudget);
      return;
    }
    send(new PongWebSocketFrame(ping.content().retain()));
  }

  /** The client closes: answer with its status (RFC 6455 5.5.1), then close the connection. */
  private void echoClose(CloseWebSocketFrame close) {
    closing = true;
    releaseMessage();
    int status = close.statusCode();
    CloseWebSocketFrame echo = status < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(status, null);
    ctx.writeAndFlush(echo).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closing = true;
    releaseMessage();
    if (onDisconnected != null) onDisconnected.run();
    if (closedHandler != null) context.emit(null, closedHandler);
  }

  /**
   * A protocol violation (the decoder or the UTF-8 check has sent its close frame already: 1002, 1007, 1009),
   * counted by the bridge; or a failed read or write. Either way the connection is closed.
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (failedHandler != null) context.emit(cause, failedHandler);
    if (cause instanceof CorruptedWebSocketFrameException violation && !closing) {
      String closedFor = causeOf(violation);
      tell(bridge -> bridge.closedFor(closedFor));
    }
    closing = true;
    releaseMessage();
    ctx.close();
  }

  private static String causeOf(CorruptedWebSocketFrameException violation) {
    WebSocketCloseStatus status = violation.closeStatus();
    if (status.code() == WebSocketCloseStatus.INVALID_PAYLOAD_DATA.code()) return BridgeErrors.CLOSED_INVALID_UTF8;
    if (status.code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code()) return BridgeErrors.CLOSED_FRAME_TOO_LARGE;
    return BridgeErrors.CLOSED_PROTOCOL_ERROR;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (VertxInternals.isServerShutdown(event)) {
      close(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE); // the HTTP server is shutting down
    } else {
      ReferenceCountUtil.release(event);
    }
  }

  @Override
  public String toString() {
    return "WebSocket " + (ctx == null ? "(not connected)" : ctx.channel().remoteAddress());
  }
}
