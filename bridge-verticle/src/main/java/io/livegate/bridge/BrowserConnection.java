package io.livegate.bridge;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

/** A browser's connection, whatever carries it: a SockJS session or a raw WebSocket ({@link RawWebSocket}). */
interface BrowserConnection {
  /**
   * Queues the frame for the browser, unless what already waits for it is over the limit the connection was
   * made with: then nothing is queued and the answer is false (a client that does not read).
   */
  boolean write(ServerFrame frame);

  void close();

  /** Closes at once, without a goodbye and discarding what waits to be sent. */
  void drop();

  /** Closes with a WebSocket close code and reason; SockJS carries them in its close frame. */
  void close(short code, String reason);

  void handlers(Handler<Buffer> data, Handler<Void> closed, Handler<Throwable> failed);

  /** The token the browser gave when connecting (the {@code token} query parameter), or null. */
  String token();

  /**
   * Raw WebSocket only: the bridge's say over the frames that are not a whole message (control frames,
   * fragments), which a SockJS session never passes on. Set once, when the connection is admitted.
   */
  default void gate(FrameGate gate) {}

  /** What the node holds for this connection, the bytes {@code --max-queued-bytes} bounds (0 where not known: SockJS polling). */
  default int held() {
    return 0;
  }

  /** What a raw WebSocket asks of the bridge, and tells it, besides whole messages. */
  interface FrameGate {
    /** Admits everything until the bridge has set its own. */
    FrameGate OPEN = new FrameGate() {
      @Override public boolean admit() {
        return true;
      }
      @Override public void tooLarge() {}
      @Override public void overBudget() {}
      @Override public void closedFor(String cause) {}
    };

    /**
     * A ping, a pong or a fragment before a message's last: true if it may be handled. It takes a token of the
     * socket's frame-rate limit, as a whole message does, and counts as activity for the idle timeout.
     */
    boolean admit();

    /** The last fragment of a message that grew beyond {@code --max-frame-bytes} (the rest was discarded). */
    void tooLarge();

    /** What the node holds for the connection is beyond {@code --max-queued-bytes}: it must be dropped. */
    void overBudget();

    /** The connection broke the WebSocket protocol and is being closed; {@code cause} is a {@link BridgeErrors} cause. */
    void closedFor(String cause);
  }

  /** SockJS: the stock client's transports (websocket, xhr-streaming, xhr-polling, ...). */
  static BrowserConnection of(SockJSSocket sock, int maxQueuedBytes, int maxFrameBytes) {
    return new SockJsConnection(sock, maxQueuedBytes, maxFrameBytes);
  }

  /** The {@code token} query parameter of a request URI, decoded; null if it has none. */
  static String tokenOf(String uri) {
    if (uri == null) return null;
    int query = uri.indexOf('?');
    if (query < 0) return null;
    for (String pair : uri.substring(query + 1).split("&")) {
      if (pair.startsWith("token=")) {
        try {
          return java.net.URLDecoder.decode(pair.substring(6), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return pair.substring(6); // not URL-encoded as it should be: the token check will say what it is worth
        }
      }
    }
    return null;
  }
}
