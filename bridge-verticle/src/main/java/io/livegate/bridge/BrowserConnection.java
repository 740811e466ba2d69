package io.livegate.bridge;

import io.netty.buffer.Unpooled;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

/** A browser's connection, whatever carries it: a SockJS session or a raw WebSocket. */
interface BrowserConnection {
  void write(ServerFrame frame);

  void close();

  /** Closes with a WebSocket close code and reason; SockJS carries them in its close frame. */
  void close(short code, String reason);

  void handlers(Handler<Buffer> data, Handler<Void> closed, Handler<Throwable> failed);

  /** SockJS: the stock client's transports (websocket, xhr-streaming, xhr-polling, ...). */
  static BrowserConnection of(SockJSSocket sock) {
    return new BrowserConnection() {
      @Override
      public void write(ServerFrame frame) {
        sock.write(frame.text());
      }

      @Override
      public void close() {
        sock.close();
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
    };
  }

  /**
   * A raw WebSocket, served by the bridge itself rather than through SockJS's wrapper: it writes a
   * frame's UTF-8 bytes, encoded once for all sockets, as a text frame (an unpooled heap buffer is
   * passed to Netty as it is, so each socket costs a wrapper, not a copy of the message).
   */
  static BrowserConnection of(ServerWebSocket ws) {
    return new BrowserConnection() {
      @Override
      public void write(ServerFrame frame) {
        ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, Unpooled.wrappedBuffer(frame.utf8()), true));
      }

      @Override
      public void close() {
        ws.close();
      }

      @Override
      public void close(short code, String reason) {
        ws.close(code, reason);
      }

      @Override
      public void handlers(Handler<Buffer> data, Handler<Void> closed, Handler<Throwable> failed) {
        ws.exceptionHandler(failed);
        ws.closeHandler(closed);
        // Whole messages (fragments joined), text and binary alike, as the stock bridge reads them.
        ws.textMessageHandler(text -> data.handle(Buffer.buffer(text)));
        ws.binaryMessageHandler(data);
      }

      @Override
      public String toString() {
        return "WebSocket " + ws.remoteAddress();
      }
    };
  }
}
