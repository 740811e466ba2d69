package io.livegate.bridge;

import io.livegate.core.HistoryHeaders;
import io.livegate.core.MessageHeaders;
import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

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
    return recWithJsonHeaders(address, body, MessageHeaders.toJson(headers), replyAddress);
  }

  /** The same, with the headers already as JSON (or null): a publication kept by the history. */
  static ServerFrame recWithJsonHeaders(String address, Object body, JsonObject headers, String replyAddress) {
    JsonObject frame = new JsonObject().put("type", FrameType.REC.wire()).put("address", address).put("body", body);
    if (headers != null && !headers.isEmpty()) frame.put("headers", headers);
    if (replyAddress != null) frame.put("replyAddress", replyAddress);
    return new ServerFrame(FrameType.REC, BrowserJson.encode(frame));
  }

  /**
   * After a register with {@code since}: {@code {"type":"rec","address":A,"body":null,"headers":{"recovered":..,
   * "offset":..,"epoch":..[,"replayed":..]}}}; {@code epoch} is left out when the address has no history at all.
   */
  static ServerFrame marker(String address, boolean recovered, long offset, String epoch, int replayed) {
    JsonObject headers = new JsonObject().put(HistoryHeaders.RECOVERED, Boolean.toString(recovered))
        .put(HistoryHeaders.OFFSET, Long.toString(offset));
    if (epoch != null) headers.put(HistoryHeaders.EPOCH, epoch);
    if (recovered) headers.put(HistoryHeaders.REPLAYED, Integer.toString(replayed));
    return new ServerFrame(FrameType.REC, new JsonObject().put("type", FrameType.REC.wire()).put("address", address)
        .putNull("body").put("headers", headers).encode());
  }

  /**
   * {@code {"type":"err","address":A,"body":reason,"failureType":reason,"message":..}}: a refusal about one address
   * whose registration carries on. The stock client hands that address's handlers only {@code failureCode},
   * {@code failureType} and {@code message}, so the reason is in {@code failureType} too.
   */
  static ServerFrame addressRefusal(String address, String reason, String message) {
    return new ServerFrame(FrameType.ERR, new JsonObject().put("type", FrameType.ERR.wire()).put("address", address)
        .put("body", reason).put("failureType", reason).put("message", message).encode());
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

  private ServerFrames() {}
}
