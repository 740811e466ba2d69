package io.livegate.bridge;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * A client frame that passed {@link FrameValidator}: its type is known, its address (null for a ping) is
 * permitted, its headers are strings, and its body is something the event bus can carry.
 *
 * @param replyAddress the client's label for the answer to a send, or null; never an event-bus address
 */
record InboundFrame(FrameType type, String address, Object body, JsonObject headers, String replyAddress) {

  static InboundFrame ping() {
    return new InboundFrame(FrameType.PING, null, null, null, null);
  }

  boolean expectsReply() {
    return replyAddress != null;
  }

  DeliveryOptions deliveryOptions(long sendTimeoutMs) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(sendTimeoutMs);
    if (headers != null && !headers.isEmpty()) options.setHeaders(toMultiMap(headers));
    return options;
  }

  private static MultiMap toMultiMap(JsonObject headers) {
    MultiMap map = MultiMap.caseInsensitiveMultiMap();
    for (Map.Entry<String, Object> header : headers) {
      map.add(header.getKey(), (String) header.getValue());
    }
    return map;
  }
}
