package io.livegate.bridge;

import io.livegate.core.Addresses;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The one place that decides whether a client frame is acceptable: size, JSON shape, type, address (and its
 * length), headers, reply address and permission, in that order. It never throws for bad input.
 */
final class FrameValidator {
  /** The stock JS client labels its replies with a UUID; anything longer is not a client of ours. */
  static final int MAX_REPLY_ADDRESS_LENGTH = 36;

  /** The outcome of validating one frame: accepted, or refused with a reason from {@link BridgeErrors}. */
  sealed interface Verdict permits Accepted, Refused {}

  record Accepted(InboundFrame frame) implements Verdict {}

  record Refused(String reason) implements Verdict {}

  private final int maxFrameBytes;
  private final Predicate<String> keepsPresence;

  /** A bridge whose node keeps no presence. */
  FrameValidator(int maxFrameBytes) {
    this(maxFrameBytes, address -> false);
  }

  /** @param keepsPresence whether an address keeps presence ({@code --presence-addresses}) */
  FrameValidator(int maxFrameBytes, Predicate<String> keepsPresence) {
    this.maxFrameBytes = maxFrameBytes;
    this.keepsPresence = keepsPresence;
  }

  /** The largest frame accepted: what a connection's transport need hold of one at most. */
  int maxFrameBytes() {
    return maxFrameBytes;
  }

  /**
   * @param permitted   what this socket may reach (anonymous, or what its token grants)
   * @param awaitsReply true for an address this socket was handed as a reply address: a send to it
   *                    answers a pending message and needs no permission
   */
  Verdict validate(Buffer data, PermittedAddresses permitted, Predicate<String> awaitsReply) {
    if (data.length() > maxFrameBytes) return new Refused(BridgeErrors.FRAME_TOO_LARGE);
    JsonObject json = parseObject(data);
    if (json == null) return new Refused(BridgeErrors.INVALID_JSON);

    Object type = json.getValue("type");
    if (type == null) return new Refused(BridgeErrors.MISSING_TYPE);
    FrameType frameType = type instanceof String word ? FrameType.fromClient(word) : null;
    if (frameType == null) return new Refused(BridgeErrors.INVALID_TYPE);
    if (frameType == FrameType.PING) return new Accepted(InboundFrame.ping());

    if (!(json.getValue("address") instanceof String address) || address.isEmpty()) {
      return new Refused(BridgeErrors.MISSING_ADDRESS);
    }
    if (address.length() > Addresses.MAX_LENGTH) return new Refused(BridgeErrors.ADDRESS_TOO_LONG);
    Object headers = json.getValue("headers");
    if (headers != null && !isObjectOfStrings(headers)) return new Refused(BridgeErrors.INVALID_HEADERS);
    Object replyAddress = json.getValue("replyAddress");
    if (replyAddress != null && !isReplyLabel(replyAddress)) {
      return new Refused(BridgeErrors.INVALID_REPLY_ADDRESS);
    }
    Object body = json.getValue("body");
    if (!isCarriable(body)) return new Refused(BridgeErrors.INVALID_JSON);
    if (!isPermitted(permitted, frameType, address, awaitsReply)) return new Refused(BridgeErrors.ACCESS_DENIED);

    return new Accepted(new InboundFrame(frameType, address, body, (JsonObject) headers, (String) replyAddress));
  }

  private boolean isPermitted(PermittedAddresses permitted, FrameType type, String address,
      Predicate<String> awaitsReply) {
    if (Addresses.isPresence(address) && !awaitsReply.test(address)) {
      // Who is on an address: asked (send) and followed (register) by whoever may register on that address; told by
      // the node alone, never published to.
      String target = Addresses.presenceTarget(address);
      return type != FrameType.PUBLISH && keepsPresence.test(target) && permitted.allowsOutbound(target);
    }
    return switch (type) {
      // bridge.ping is the bridge's own round trip, answered here and never put on the event bus: any socket may.
      case SEND -> awaitsReply.test(address) || Addresses.BRIDGE_PING.equals(address) || permitted.allowsInbound(address);
      case PUBLISH -> permitted.allowsInbound(address);
      case REGISTER, UNREGISTER -> permitted.allowsOutbound(address);
      default -> false;
    };
  }

  private static JsonObject parseObject(Buffer data) {
    try {
      return Json.decodeValue(data) instanceof JsonObject object ? object : null;
    } catch (DecodeException e) {
      return null;
    }
  }

  private static boolean isObjectOfStrings(Object headers) {
    if (!(headers instanceof JsonObject object)) return false;
    for (Map.Entry<String, Object> header : object) {
      if (!(header.getValue() instanceof String)) return false;
    }
    return true;
  }

  private static boolean isReplyLabel(Object replyAddress) {
    return replyAddress instanceof String label && !label.isEmpty() && label.length() <= MAX_REPLY_ADDRESS_LENGTH;
  }

  /** The event bus has codecs for these; a number beyond 64 bits (BigInteger) has none. */
  private static boolean isCarriable(Object body) {
    return body == null || body instanceof String || body instanceof Boolean || body instanceof Integer
        || body instanceof Long || body instanceof Double || body instanceof JsonObject || body instanceof JsonArray;
  }
}
