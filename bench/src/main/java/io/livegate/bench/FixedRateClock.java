package io.livegate.bench;

import io.vertx.core.Context;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Calls {@code send(i, scheduledNanos)} for i below {@code count} at a fixed rate, on the publisher's context.
 * A dedicated thread keeps the time (event-loop timers have millisecond steps); the messages due at each
 * wake-up go to the context in one task. Each carries its scheduled time, so a late hand-off or a busy
 * publisher shows in the latency; the worst lateness is returned.
 */
final class FixedRateClock {
  interface Send {
    void send(long i, long scheduledNanos);
  }

  private FixedRateClock() {}

  /** Completes, with the worst lateness in nanoseconds, once the last message has been sent. */
  static CompletableFuture<Long> run(Context context, double rate, long count, Send send) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    if (count <= 0) {
      done.complete(0L);
      return done;
    }
    AtomicLong lagMax = new AtomicLong();
    double intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
    Thread clock = new Thread(() -> {
      long t0 = System.nanoTime();
      long i = 0;
      while (i < count) {
        long due = t0 + (long) (i * intervalNanos);
        long wait;
        while ((wait = due - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
        long now = System.nanoTime();
        long from = i;
        while (i < count && t0 + (long) (i * intervalNanos) <= now) i++;
        long to = i;
        context.runOnContext(v -> {
          long late = System.nanoTime() - (t0 + (long) (from * intervalNanos));
          if (late > lagMax.get()) lagMax.set(late);
          for (long k = from; k < to; k++) send.send(k, t0 + (long) (k * intervalNanos));
          if (to == count) done.complete(lagMax.get());
        });
      }
    }, "publisher-clock");
    clock.setDaemon(true);
    clock.start();
    return done;
  }
}
