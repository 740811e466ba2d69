package io.livegate.bridge;

import java.nio.charset.StandardCharsets;

/**
 * One frame for browsers, encoded once however many sockets it goes to: its JSON text (what a SockJS
 * socket writes) and, made on first use, its UTF-8 bytes (what a raw WebSocket writes as a text frame).
 * Used only on the bridge verticle's context.
 */
final class ServerFrame {
  private final FrameType type;
  private final String text;
  private byte[] utf8;

  ServerFrame(FrameType type, String text) {
    this.type = type;
    this.text = text;
  }

  /** {@code rec} or {@code err}: what the frames-out metric counts it as. */
  FrameType type() {
    return type;
  }

  String text() {
    return text;
  }

  byte[] utf8() {
    if (utf8 == null) utf8 = text.getBytes(StandardCharsets.UTF_8);
    return utf8;
  }

  @Override
  public String toString() {
    return text;
  }
}
