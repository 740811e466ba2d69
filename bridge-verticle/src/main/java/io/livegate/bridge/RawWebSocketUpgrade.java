package io.livegate.bridge;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker13;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import java.util.Map;

/**
 * Serves {@code GET /eventbus/websocket}: checks that the request is a WebSocket upgrade (RFC 6455, version
 * 13), does the handshake on the Vert.x connection's channel and puts a {@link RawWebSocket} where Vert.x's
 * connection handler was, as Vert.x does for its own WebSockets but without its per-socket objects. Anything
 * else on that path gets a plain HTTP error. Runs on the bridge verticle's event loop.
 */
final class RawWebSocketUpgrade {
  private static final String VERTX_HANDLER = VertxInternals.VERTX_HANDLER;
  private static final String BRIDGE_HANDLER = "livegate-bridge";
  /** The names Netty's handshaker gives the WebSocket codec. */
  private static final String WS_ENCODER = "wsencoder";
  private static final String WS_DECODER = "wsdecoder";
  private static final String UTF8_CHECK = "livegate-utf8";
  private static final String FRAME_SIZE = "livegate-frame-size";
  private final VertxInternals.Dispatch context;
  private final DeferredFlush flusher;
  private final WebSocketDecoderConfig decoderConfig;
  private final int maxFrameBytes;
  private final int maxMessageBytes;
  private final int maxQueuedBytes;
  private final Handler<BrowserConnection> accepted;

  /**
   * @param maxFrameBytes   largest WebSocket frame the decoder reads; beyond, the connection is closed (1009)
   * @param maxMessageBytes largest message joined from fragments (the bridge's frame limit); beyond, the rest of it
   *                        is discarded and the client gets {@code frame_too_large}
   * @param maxQueuedBytes  what the node may hold for one connection (see {@link RawWebSocket})
   */
  RawWebSocketUpgrade(Context context, int maxFrameBytes, int maxMessageBytes, int maxQueuedBytes,
      Handler<BrowserConnection> accepted) {
    this.context = VertxInternals.dispatch(context);
    this.flusher = new DeferredFlush(this.context.eventLoop());
    this.decoderConfig = WebSocketDecoderConfig.newBuilder()
        .maxFramePayloadLength(maxFrameBytes)
        .expectMaskedFrames(true)
        .allowMaskMismatch(false)
        .allowExtensions(false)
        .closeOnProtocolViolation(true)
        .build();
    this.maxFrameBytes = maxFrameBytes;
    this.maxMessageBytes = maxMessageBytes;
    this.maxQueuedBytes = maxQueuedBytes;
    this.accepted = accepted;
  }

  void handle(HttpServerRequest request) {
    if (request.method() != io.vertx.core.http.HttpMethod.GET) {
      refuse(request, 405, "Only GET can open a WebSocket");
    } else if (!isUpgrade(request)) {
      refuse(request, 400, "Can \"Upgrade\" only to \"WebSocket\".");
    } else if (!"13".equals(request.getHeader(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
      request.response().putHeader(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
      refuse(request, 426, "Unsupported WebSocket version: 13 only");
    } else if (VertxInternals.http1Channel(request.connection()) == null) {
      refuse(request, 400, "WebSocket upgrade over HTTP/1.1 only");
    } else {
      takeOver(request, VertxInternals.http1Channel(request.connection()));
    }
  }

  private void takeOver(HttpServerRequest request, Channel channel) {
    RawWebSocket socket = new RawWebSocket(context, flusher, maxQueuedBytes, maxMessageBytes,
        VertxInternals.disconnectedMetric(request.connection()), request.getParam("token"));
    new WebSocketServerHandshaker13(request.path(), null, decoderConfig)
        .handshake(channel, nettyRequest(request))
        .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    // The handshake has put the WebSocket decoder in place of the HTTP one and the encoder after it; the HTTP
    // encoder goes once the 101 response is out. The encoder moves ahead of the decoder, so that the close
    // frame the decoder sends on a protocol error is encoded too, and so is the UTF-8 check's (1007), after the
    // decoder. What follows is ours: fragments are joined in RawWebSocket, within its budget (Netty's aggregator
    // would hold an unfinished message up to its own limit, off the budget), and a frame beyond the frame limit
    // reaches the decoder empty (FrameSizeGuard, ahead of it), so that the decoder never holds more than that.
    ChannelPipeline pipeline = channel.pipeline();
    pipeline.remove(WS_ENCODER);
    pipeline.addBefore(WS_DECODER, WS_ENCODER, new WebSocket13FrameEncoder(false));
    pipeline.replace(VERTX_HANDLER, BRIDGE_HANDLER, socket);
    removeHttpHandlers(pipeline);
    pipeline.addAfter(WS_DECODER, UTF8_CHECK, new Utf8FrameValidator(true));
    pipeline.addBefore(WS_DECODER, FRAME_SIZE, new FrameSizeGuard(maxMessageBytes, maxFrameBytes, socket::nextFrameTooLarge));
    VertxInternals.bookHandedOver(request);
    channel.config().setAutoRead(true); // Vert.x may have paused reading while the request was routed
    accepted.handle(socket);
  }

  /**
   * What else Vert.x put in the pipeline for HTTP (an upgrade to h2c, WebSocket extensions, an idle timer) has
   * no use on a WebSocket and would cost every frame a pass: only TLS, the codec and the bridge stay, and the
   * HTTP encoder until the handshaker removes it once the 101 is out.
   */
  private static void removeHttpHandlers(ChannelPipeline pipeline) {
    for (String name : pipeline.names()) {
      ChannelHandler handler = pipeline.get(name);
      boolean kept = handler == null || handler instanceof SslHandler || handler instanceof HttpResponseEncoder
          || name.equals(WS_ENCODER) || name.equals(WS_DECODER) || name.equals(BRIDGE_HANDLER) || name.equals(UTF8_CHECK)
          || name.equals(FRAME_SIZE);
      if (!kept) pipeline.remove(handler);
    }
  }

  private static boolean isUpgrade(HttpServerRequest request) {
    String upgrade = request.getHeader(HttpHeaderNames.UPGRADE);
    String connection = request.getHeader(HttpHeaderNames.CONNECTION);
    String key = request.getHeader(HttpHeaderNames.SEC_WEBSOCKET_KEY);
    return upgrade != null && HttpHeaderValues.WEBSOCKET.contentEqualsIgnoreCase(upgrade.trim())
        && connection != null && hasToken(connection, HttpHeaderValues.UPGRADE.toString())
        && key != null && !key.isBlank();
  }

  private static boolean hasToken(String header, String token) {
    for (String part : header.split(",")) {
      if (part.trim().equalsIgnoreCase(token)) return true;
    }
    return false;
  }

  private static void refuse(HttpServerRequest request, int status, String message) {
    request.response().setStatusCode(status).putHeader("Content-Type", "text/plain; charset=utf-8").end(message);
  }

  /** The request as Netty's handshaker reads it: the method, the URI and the headers are all it needs. */
  private static FullHttpRequest nettyRequest(HttpServerRequest request) {
    HttpHeaders headers = new DefaultHttpHeaders();
    for (Map.Entry<String, String> header : request.headers()) headers.add(header.getKey(), header.getValue());
    return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, request.uri(), Unpooled.EMPTY_BUFFER,
        headers, EmptyHttpHeaders.INSTANCE);
  }
}
