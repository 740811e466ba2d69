package io.livegate.bridge;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

/**
 * A SockJS session as a {@link BrowserConnection}. SockJS's own queue ({@code writeQueueFull}) only fills while no
 * transport request is there to take what is written; over its WebSocket transport every write goes straight to the
 * WebSocket, and Vert.x's WebSocket answers every ping with a pong, neither ever refused. So on that transport the
 * session's channel is watched as a raw WebSocket's is: what waits in it counts to {@code --max-queued-bytes}, and
 * its pings and pongs take tokens of the socket's frame-rate limit ({@link ControlFrames}, ahead of Vert.x's
 * WebSocket in the channel's pipeline), and so does what Vert.x holds of a fragmented message it is joining (up to
 * its own message limit). Fragments there take no tokens of their own: Vert.x joins them, and the whole message
 * takes one.
 */
final class SockJsConnection implements BrowserConnection {
  private static final String CONTROL_FRAMES = "livegate-control-frames";
  private static final String VERTX_HANDLER = VertxInternals.VERTX_HANDLER;
  private static final String FRAME_SIZE = "livegate-frame-size";
  /** The name Netty's handshaker gives the WebSocket decoder. */
  private static final String WS_DECODER = "wsdecoder";
  /** Bytes of a pong's header: a server's frames are not masked, and a control frame's payload is under 126. */
  private static final int PONG_HEADER = 2;

  private final SockJSSocket sock;
  private final int maxQueuedBytes;
  /** The channel of the WebSocket transport, or null (the other transports, or not a Vert.x HTTP/1.1 connection). */
  private final Channel webSocket;
  private final ControlFrames controlFrames;

  /** @param maxFrameBytes a frame beyond is discarded as it arrives, ahead of Vert.x's decoder ({@link FrameSizeGuard}) */
  SockJsConnection(SockJSSocket sock, int maxQueuedBytes, int maxFrameBytes) {
    this.sock = sock;
    this.maxQueuedBytes = maxQueuedBytes;
    // SockJS counts its queue in characters: near enough to bytes for the JSON of bridge frames.
    sock.setWriteQueueMaxSize(maxQueuedBytes);
    this.webSocket = webSocketChannel(sock);
    this.controlFrames = webSocket == null ? null
        : new ControlFrames(VertxInternals.dispatch(sock.routingContext().vertx().getOrCreateContext()), maxQueuedBytes);
    if (controlFrames != null && webSocket.pipeline().get(VERTX_HANDLER) != null) {
      webSocket.pipeline().addBefore(VERTX_HANDLER, CONTROL_FRAMES, controlFrames);
    }
    if (controlFrames != null && webSocket.pipeline().get(WS_DECODER) != null) {
      // Vert.x's decoder would hold a frame whole until its last byte (up to twice the frame limit, rounded up to a
      // power of two): one beyond the limit reaches it empty, SockJS ignores the empty message, and the bridge
      // refuses it as frame_too_large. (No transport limit of its own here: any size is discarded so.)
      webSocket.pipeline().addBefore(WS_DECODER, FRAME_SIZE, new FrameSizeGuard(maxFrameBytes, Integer.MAX_VALUE,
          () -> controlFrames.context.emit(controlFrames.gate, FrameGate::tooLarge)));
    }
  }

  @Override
  public boolean write(ServerFrame frame) {
    if (sock.writeQueueFull()) return false;
    if (webSocket != null && held() + frame.text().length() > maxQueuedBytes) return false;
    sock.write(frame.text());
    return true;
  }

  @Override
  public int held() {
    return webSocket == null ? 0 : (int) Math.min(Integer.MAX_VALUE, pending(webSocket) + controlFrames.unfinished);
  }

  @Override
  public void gate(FrameGate gate) {
    if (controlFrames != null) controlFrames.gate = gate;
  }

  @Override
  public void close() {
    sock.close();
  }

  @Override
  public String token() {
    return BrowserConnection.tokenOf(sock.uri());
  }

  @Override
  public void drop() {
    sock.close(1008, "not reading");
    if (webSocket != null) webSocket.close(); // what waits in it is discarded, SockJS's close frame with it
  }

  @Override
  public void close(short code, String reason) {
    // vertx-web 5.0.10 ignores both and sends SockJS's own close frame (3000, "Go away!").
    sock.close(code, reason);
  }

  @Override
  public void handlers(Handler<Buffer> data, Handler<Void> closed, Handler<Throwable> failed) {
    sock.exceptionHandler(failed);
    // closeHandler, not endHandler: only the close handler sees an abrupt drop.
    sock.closeHandler(closed);
    sock.handler(data);
  }

  @Override
  public String toString() {
    return "SockJS socket " + sock.remoteAddress();
  }

  private static long pending(Channel channel) {
    ChannelOutboundBuffer queued = channel.unsafe().outboundBuffer();
    return queued == null ? 0 : queued.totalPendingWriteBytes();
  }

  /** The WebSocket transport's channel: its session was made by the upgrade request, on that connection. */
  private static Channel webSocketChannel(SockJSSocket sock) {
    String uri = sock.uri();
    if (uri == null || sock.routingContext() == null) return null;
    String path = uri.indexOf('?') < 0 ? uri : uri.substring(0, uri.indexOf('?'));
    if (!path.endsWith("/websocket")) return null;
    return VertxInternals.channel(sock.routingContext().request().connection());
  }

  /**
   * Pings and pongs of a SockJS WebSocket, before Vert.x's WebSocket sees them: each takes a token of the socket's
   * frame-rate limit (refused: not answered), and a ping that arrives while the connection's budget is spent is not
   * answered, and the connection is dropped. Runs on the channel's event loop, the bridge verticle's.
   */
  private static final class ControlFrames extends ChannelInboundHandlerAdapter {
    private final VertxInternals.Dispatch context;
    private final int maxQueuedBytes;
    private FrameGate gate = FrameGate.OPEN;
    /** The bytes of the message Vert.x is joining from fragments, so far. */
    private long unfinished;

    ControlFrames(VertxInternals.Dispatch context, int maxQueuedBytes) {
      this.context = context;
      this.maxQueuedBytes = maxQueuedBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof PingWebSocketFrame || msg instanceof PongWebSocketFrame) {
        WebSocketFrame frame = (WebSocketFrame) msg;
        if (frame instanceof PingWebSocketFrame
            && pending(ctx.channel()) + PONG_HEADER + frame.content().readableBytes() > maxQueuedBytes) {
          frame.release();
          context.emit(gate, FrameGate::overBudget);
          return;
        }
        boolean[] admitted = new boolean[1];
        context.emit(gate, bridge -> admitted[0] = bridge.admit());
        if (!admitted[0]) {
          frame.release();
          return;
        }
      }
      if (msg instanceof WebSocketFrame frame && !(msg instanceof PingWebSocketFrame || msg instanceof PongWebSocketFrame)) {
        // What Vert.x's WebSocket holds of a message it joins from fragments counts to the budget too.
        long before = frame instanceof ContinuationWebSocketFrame ? unfinished : 0;
        unfinished = frame.isFinalFragment() ? 0 : before + frame.content().readableBytes();
        if (pending(ctx.channel()) + unfinished > maxQueuedBytes) {
          frame.release();
          unfinished = 0;
          context.emit(gate, FrameGate::overBudget);
          return;
        }
      }
      ctx.fireChannelRead(msg);
    }
  }
}
