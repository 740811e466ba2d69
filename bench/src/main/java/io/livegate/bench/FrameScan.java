package io.livegate.bench;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Finds {@code "seq":} and {@code "sent":} in a rec frame without parsing it: a delivery must cost the
 * generator as little as possible, or the generator, not the nodes, sets the ceiling. Also accepts the
 * escaped form ({@code \"seq\":}) of a body published as a JSON string.
 */
final class FrameScan {
  static final long NONE = Long.MIN_VALUE;
  private static final byte[] SEQ = bytes("\"seq\":");
  private static final byte[] SEQ_ESCAPED = bytes("\\\"seq\\\":");
  private static final byte[] SENT = bytes("\"sent\":");
  private static final byte[] SENT_ESCAPED = bytes("\\\"sent\\\":");
  private static final byte[] ERR = bytes("\"type\":\"err\"");

  private FrameScan() {}

  /** The number after "seq":, or {@link #NONE} if the frame has none. */
  static long seq(Buffer frame) {
    return numberAfter(frame, SEQ, SEQ_ESCAPED);
  }

  /** The number after "sent":, or {@link #NONE}. */
  static long sent(Buffer frame) {
    return numberAfter(frame, SENT, SENT_ESCAPED);
  }

  static boolean isError(Buffer frame) {
    return indexOf(frame, ERR, 0) >= 0;
  }

  static long numberAfter(Buffer frame, byte[] key, byte[] escapedKey) {
    int i = indexOf(frame, key, 0);
    int at;
    if (i >= 0) {
      at = i + key.length;
    } else {
      i = indexOf(frame, escapedKey, 0);
      if (i < 0) return NONE;
      at = i + escapedKey.length;
    }
    return parseLong(frame, at);
  }

  /** A JSON integer starting at {@code at} (spaces skipped), or {@link #NONE}. */
  static long parseLong(Buffer b, int at) {
    int n = b.length();
    while (at < n && b.getByte(at) == ' ') at++;
    boolean negative = at < n && b.getByte(at) == '-';
    if (negative) at++;
    long value = 0;
    int digits = 0;
    for (; at < n && digits < 19; at++, digits++) {
      int d = b.getByte(at) - '0';
      if (d < 0 || d > 9) break;
      value = value * 10 + d;
    }
    if (digits == 0) return NONE;
    return negative ? -value : value;
  }

  static int indexOf(Buffer b, byte[] key, int from) {
    int last = b.length() - key.length;
    byte first = key[0];
    outer:
    for (int i = from; i <= last; i++) {
      if (b.getByte(i) != first) continue;
      for (int k = 1; k < key.length; k++) {
        if (b.getByte(i + k) != key[k]) continue outer;
      }
      return i;
    }
    return -1;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
