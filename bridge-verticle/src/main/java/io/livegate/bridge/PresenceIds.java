package io.livegate.bridge;

import java.security.SecureRandom;
import java.util.Base64;

/** Ids of presence entries: 16 random bytes, URL-safe base64 (22 characters), so none says where or when. */
final class PresenceIds {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private PresenceIds() {
  }

  static String next() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return ENCODER.encodeToString(bytes);
  }
}
