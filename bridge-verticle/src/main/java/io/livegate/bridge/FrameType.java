package io.livegate.bridge;

import java.util.Locale;

/** The {@code type} of a bridge frame: five a client sends, two the server sends. */
public enum FrameType {
  SEND, PUBLISH, REGISTER, UNREGISTER, PING,
  /** Server to client: a message for a registered address or a reply. */
  REC,
  /** Server to client: a refusal, or a failed reply. */
  ERR;

  private final String wire = name().toLowerCase(Locale.ROOT);

  /** The word on the wire. */
  public String wire() {
    return wire;
  }

  public boolean fromClient() {
    return this != REC && this != ERR;
  }

  /** The client frame type named {@code word}, or null if a client may not send it. */
  static FrameType fromClient(String word) {
    for (FrameType type : values()) {
      if (type.fromClient() && type.wire.equals(word)) return type;
    }
    return null;
  }
}
