package io.livegate.bridge;

/**
 * A rate limit: {@code perSecond} tokens a second, up to {@code burst}; full at the first take. Not thread-safe:
 * each socket's buckets are used on the bridge's event loop only.
 */
final class TokenBucket {
  private final double perNano;
  private final double burst;
  private double tokens = -1;
  private long atNanos;

  TokenBucket(int perSecond, int burst) {
    this.perNano = perSecond / 1e9;
    this.burst = burst;
  }

  /** Takes a token if there is one. */
  boolean take(long nowNanos) {
    tokens = tokens < 0 ? burst : Math.min(burst, tokens + (nowNanos - atNanos) * perNano);
    atNanos = nowNanos;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }
}
