package io.livegate.bridge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.impl.ShutdownEvent;

/**
 * A browser's raw WebSocket at {@code /eventbus/websocket}, at the end of a Netty pipeline of our own once
 * {@link RawWebSocketUpgrade} has done the handshake: the WebSocket codec, a frame aggregator and this. Vert.x's
 * own WebSocket would keep a connection and a WebSocket object with two message queues (about 8 KiB) per
 * socket; this keeps the channel and a few fields. Frames are written without a flush and flushed once per
 * turn of the event loop by {@link DeferredFlush}. Runs on the channel's event loop, the bridge verticle's;
 * the bridge's handlers are called on its context.
 */
final class RawWebSocket extends ChannelInboundHandlerAdapter implements BrowserConnection {
  private final ContextInternal context;
  private final DeferredFlush flusher;
  private final int maxQueuedBytes;
  private String token;
  private final Runnable onDisconnected;
  private ChannelHandlerContext ctx;
  private Handler<Buffer> dataHandler;
  private Handler<Void> closedHandler;
  private Handler<Throwable> failedHandler;
  private boolean flushRequested;
  private boolean closing;

  /**
   * @param maxQueuedBytes what may wait in the channel to be sent before {@link #write} refuses more
   * @param onDisconnected run once when the channel closes (what Vert.x would have counted), or null
   * @param token          the token given with the upgrade request, or null
   */
  RawWebSocket(ContextInternal context, DeferredFlush flusher, int maxQueuedBytes, Runnable onDisconnected, String token) {
    this.token = token;
    this.context = context;
    this.flusher = flusher;
    this.maxQueuedBytes = maxQueuedBytes;
    this.onDisconnected = onDisconnected;
  }

  @Override
  public void handlers(Handler<Buffer> data, Handler<Void> closed, Handler<Throwable> failed) {
    this.dataHandler = data;
    this.closedHandler = closed;
    this.failedHandler = failed;
  }

  @Override
  public boolean write(ServerFrame frame) {
    ChannelOutboundBuffer queued = ctx.channel().unsafe().outboundBuffer();
    if (closing || queued == null) return true; // gone: nothing waits, nothing to refuse
    ByteBuf bytes = frame.webSocketFrame();
    if (queued.totalPendingWriteBytes() + bytes.readableBytes() > maxQueuedBytes) return false;
    ctx.write(bytes.retainedDuplicate(), ctx.voidPromise());
    if (!flushRequested) {
      flushRequested = true;
      flusher.request(this);
    }
    return true;
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

  @Override
  public void drop() {
    closing = true;
    ctx.close(); // what waits is discarded: a close frame would only wait behind it
  }

  /** Drain: a close code and reason the client acts on (1012: reconnect, to another node). */
  @Override
  public void close(short code, String reason) {
    close(new WebSocketCloseStatus(code, reason));
  }

  /** Sends a close frame with {@code status} and closes the connection (a server need not wait for the echo). */
  void close(WebSocketCloseStatus status) {
    if (closing) return;
    closing = true;
    ctx.writeAndFlush(new CloseWebSocketFrame(status)).addListener(ChannelFutureListener.CLOSE);
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
      onFrame(frame);
    } finally {
      frame.release();
    }
  }

  private void onFrame(WebSocketFrame frame) {
    if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame) {
      // Whole messages (the aggregator joins fragments), text and binary alike, as the stock bridge reads them.
      if (!closing && dataHandler != null) context.emit(Buffer.buffer(ByteBufUtil.getBytes(frame.content())), dataHandler);
    } else if (frame instanceof PingWebSocketFrame) {
      ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
    } else if (frame instanceof CloseWebSocketFrame close) {
      echoClose(close);
    } // a pong needs nothing
  }

  /** The client closes: answer with its status (RFC 6455 5.5.1), then close the connection. */
  private void echoClose(CloseWebSocketFrame close) {
    if (closing) return;
    closing = true;
    int status = close.statusCode();
    CloseWebSocketFrame echo = status < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(status, null);
    ctx.writeAndFlush(echo).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closing = true;
    if (onDisconnected != null) onDisconnected.run();
    if (closedHandler != null) context.emit(null, closedHandler);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (failedHandler != null) context.emit(cause, failedHandler);
    if (cause instanceof TooLongFrameException) {
      close(WebSocketCloseStatus.MESSAGE_TOO_BIG);
    } else {
      // A protocol violation (the decoder has sent its close frame already) or a failed read or write.
      closing = true;
      ctx.close();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof ShutdownEvent) {
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
