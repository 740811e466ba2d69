package io.livegate.bridge;

import java.util.List;

/**
 * Why the bridge refused a client frame: the {@code body} of the {@code {"type":"err"}} frame it answers,
 * in the same words as vertx-web's stock SockJS bridge so existing clients understand them.
 */
public final class BridgeErrors {
  /** Not JSON, JSON that is not an object, or a body the event bus cannot carry. */
  public static final String INVALID_JSON = "invalid_json";
  /** No {@code type} field. */
  public static final String MISSING_TYPE = "missing_type";
  /** {@code type} is not a string, or not one of send, publish, register, unregister, ping. */
  public static final String INVALID_TYPE = "invalid_type";
  /** No {@code address}, or one that is not a non-empty string. */
  public static final String MISSING_ADDRESS = "missing_address";
  /** The address is not permitted for that direction, or is internal. */
  public static final String ACCESS_DENIED = "access_denied";
  /** The frame is larger than {@code maxFrameBytes}. */
  public static final String FRAME_TOO_LARGE = "frame_too_large";
  /** {@code headers} is not an object whose values are all strings. */
  public static final String INVALID_HEADERS = "invalid_headers";
  /** {@code replyAddress} is not a string of 1 to 36 characters (the stock client sends a UUID). */
  public static final String INVALID_REPLY_ADDRESS = "invalid_reply_address";

  /** The address is longer than {@link io.livegate.core.Addresses#MAX_LENGTH} characters (as in the REST API). */
  public static final String ADDRESS_TOO_LONG = "address_too_long";

  /** The socket sends more frames a second than {@code --max-frames-per-second} (with a burst of twice that). */
  public static final String RATE_LIMITED = "rate_limited";
  /** A register beyond {@code --max-registrations} addresses on one socket. */
  public static final String TOO_MANY_REGISTRATIONS = "too_many_registrations";
  /**
   * A register on an address new to this node, which already holds registrations on {@code --max-addresses}
   * distinct addresses (the socket's other registrations stay). Registers beyond {@code --max-registrations-per-second}
   * get {@link #RATE_LIMITED}.
   */
  public static final String TOO_MANY_ADDRESSES = "too_many_addresses";

  /**
   * A register whose {@code since} is not a decimal offset, is ahead of the address's newest, or comes without
   * {@code epoch} ({@code err} with the address and a message; the socket is registered all the same, live).
   */
  public static final String INVALID_SINCE = "invalid_since";
  /** A register with {@code since} on an address that keeps no history ({@code --history-addresses}); registered, live. */
  public static final String NO_HISTORY = "no_history";
  /** A {@code publish} on an address that keeps a history, which could not keep it (the cluster did not answer): not published. */
  public static final String PUBLISH_FAILED = "publish_failed";

  /**
   * A register on an address that keeps presence whose {@code headers.name} is not text of at most
   * {@link io.livegate.core.Presence#MAX_NAME_BYTES} bytes: not registered.
   */
  public static final String INVALID_PRESENCE_NAME = "invalid_presence_name";
  /** A register on an address that keeps presence while this node holds {@code --max-presence-entries}: registered, not shown. */
  public static final String PRESENCE_FULL = "presence_full";
  /** Connecting: this bridge lets no browser in without a token ({@code --anonymous false}). */
  public static final String TOKEN_REQUIRED = "token_required";
  /** Connecting: the token is not signed by the configured key, not a JWT, or its {@code channels} claim is wrong. */
  public static final String INVALID_TOKEN = "invalid_token";
  /** Connecting with an expired token, or the token expired while connected: the connection is closed. */
  public static final String TOKEN_EXPIRED = "token_expired";

  /**
   * Why the bridge closed a connection ({@code livegate_bridge_connections_closed_total{cause}}): what the node held
   * for it went beyond {@code --max-queued-bytes} (it does not read what is sent to it, pongs included, or sends a
   * fragmented message while not reading); closed with 1008 where the close frame can still reach it.
   */
  public static final String CLOSED_MAX_QUEUED_BYTES = "max_queued_bytes";
  /** It went on sending beyond {@code --max-frames-per-second} for a second's worth of refusals (1008). */
  public static final String CLOSED_FRAME_RATE = "frame_rate";
  /**
   * {@code --max-addresses} is spent and another socket, holding fewer of them alone, registered on a new one: the one
   * holding the most alone gives way (1008, after a {@link #TOO_MANY_ADDRESSES} err frame).
   */
  public static final String CLOSED_MAX_ADDRESSES = "max_addresses";
  /** A text message that is not UTF-8 (1007, RFC 6455 8.1). */
  public static final String CLOSED_INVALID_UTF8 = "invalid_utf8";
  /** A frame beyond the transport's limit, twice {@code --max-frame-bytes} (1009). */
  public static final String CLOSED_FRAME_TOO_LARGE = "frame_too_large";
  /** Any other breach of the WebSocket protocol: an unmasked frame, a bad opcode, fragments out of order (1002). */
  public static final String CLOSED_PROTOCOL_ERROR = "protocol_error";
  /** The close reason a connection dropped for {@link #CLOSED_MAX_QUEUED_BYTES} gets. */
  public static final String OVER_BUDGET_REASON = "more held for this connection than --max-queued-bytes";

  public static final List<String> ALL = List.of(INVALID_JSON, MISSING_TYPE, INVALID_TYPE, MISSING_ADDRESS,
      ACCESS_DENIED, FRAME_TOO_LARGE, INVALID_HEADERS, INVALID_REPLY_ADDRESS, ADDRESS_TOO_LONG, RATE_LIMITED,
      TOO_MANY_REGISTRATIONS, TOO_MANY_ADDRESSES, INVALID_SINCE, NO_HISTORY, PUBLISH_FAILED, INVALID_PRESENCE_NAME,
      PRESENCE_FULL);
  /** Why a connection was not admitted, or was ended for its token. */
  public static final List<String> CONNECTION_REFUSALS = List.of(TOKEN_REQUIRED, INVALID_TOKEN, TOKEN_EXPIRED);
  /** Why the bridge closed a connection that it had admitted. */
  public static final List<String> CLOSE_CAUSES = List.of(CLOSED_MAX_QUEUED_BYTES, CLOSED_FRAME_RATE, CLOSED_MAX_ADDRESSES,
      CLOSED_INVALID_UTF8, CLOSED_FRAME_TOO_LARGE, CLOSED_PROTOCOL_ERROR);

  private BridgeErrors() {}
}
