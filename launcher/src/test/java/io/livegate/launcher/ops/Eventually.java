package io.livegate.launcher.ops;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

final class Eventually {
  private Eventually() {}

  /** Waits until the condition holds, checking every 100 ms; fails if it does not within {@code seconds}. */
  static void eventually(String what, int seconds, BooleanSupplier condition) throws InterruptedException {
    if (!within(seconds, condition)) throw new AssertionError("not within " + seconds + " s: " + what);
  }

  /** Waits until the condition holds, at most {@code seconds}: whether it did. */
  static boolean within(int seconds, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) return true;
      Thread.sleep(100);
    }
    return condition.getAsBoolean();
  }
}
