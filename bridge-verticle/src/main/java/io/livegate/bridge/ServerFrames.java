package io.livegate.bridge;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Encodes the frames the server sends, as vertx-web's stock bridge does. Frames are text: a browser's
 * plain WebSocket gets strings, and the SockJS transports carry text anyway.
 */
final class ServerFrames {

  /**
   * {@code {"type":"rec","address":A,"body":B[,"headers":{...}][,"replyAddress":R]}}.
   *
   * @throws io.vertx.core.json.EncodeException if the body is not something JSON can carry
   */
  static ServerFrame rec(String address, Object body, MultiMap headers, String replyAddress) {
    JsonObject frame = new JsonObject().put("type", FrameType.REC.wire()).put("address", address).put("body", body);
    if (headers != null && !headers.isEmpty()) frame.put("headers", headersJson(headers));
    if (replyAddress != null) frame.put("replyAddress", replyAddress);
    return new ServerFrame(FrameType.REC, BrowserJson.encode(frame));
  }

  /** {@code {"type":"err","body":reason}}: a refused client frame. */
  static ServerFrame refusal(String reason) {
    return new ServerFrame(FrameType.ERR,
        new JsonObject().put("type", FrameType.ERR.wire()).put("body", reason).encode());
  }

  /** {@code {"type":"err","address":R,"failureCode":..,"failureType":..,"message":..}}: a failed send. */
  static ServerFrame replyFailure(String replyAddress, Throwable cause) {
    ReplyException failure = cause instanceof ReplyException reply
        ? reply
        : new ReplyException(ReplyFailure.ERROR, -1, cause.getMessage());
    return new ServerFrame(FrameType.ERR, new JsonObject()
        .put("type", FrameType.ERR.wire())
        .put("address", replyAddress)
        .put("failureCode", failure.failureCode())
        .put("failureType", failure.failureType().name())
        .put("message", failure.getMessage())
        .encode());
  }

  /** One header value stays a string; a repeated header becomes an array, as in the stock bridge. */
  private static JsonObject headersJson(MultiMap headers) {
    JsonObject json = new JsonObject();
    for (String name : headers.names()) {
      List<String> values = headers.getAll(name);
      json.put(name, values.size() == 1 ? values.get(0) : new JsonArray(List.copyOf(values)));
    }
    return json;
  }

  private ServerFrames() {}
}
