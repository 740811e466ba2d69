package io.livegate.core;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many file descriptors this process may still open: its limit ({@code ulimit -n}) less those it holds. Counting
 * them reads {@code /proc/self/fd} (about 5 ms at 15,000), too slow for every connection: so the count is taken on a
 * thread of its own, every second and every 100 ms once fewer than {@link #CLOSE_WATCH} are free, and the connections
 * the HTTP ports open and close in between are added to it. One per process: the descriptors are the process's.
 */
public final class FileDescriptors {
  public static final FileDescriptors PROCESS = new FileDescriptors();
  /** Below this many free descriptors the count is taken ten times as often. */
  static final long CLOSE_WATCH = 4_096;

  private final UnixOperatingSystemMXBean unix;
  private final ExecutorService counter;
  private final AtomicBoolean counting = new AtomicBoolean();
  private final AtomicLong sinceCount = new AtomicLong();
  private volatile long limit = Long.MAX_VALUE;
  private volatile long counted;
  private volatile long countedAtNanos;

  private FileDescriptors() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    unix = os instanceof UnixOperatingSystemMXBean u ? u : null;
    counter = unix == null ? null : Executors.newSingleThreadExecutor(task -> {
      Thread thread = new Thread(task, "livegate-fd-count");
      thread.setDaemon(true);
      return thread;
    });
    count();
  }

  /** Descriptors this process may still open, as far as it knows now; {@code Long.MAX_VALUE} where it cannot tell. */
  public long free() {
    if (unix == null) return Long.MAX_VALUE;
    long free = limit - counted - sinceCount.get();
    long interval = free < CLOSE_WATCH ? 100 : 1_000;
    if (System.nanoTime() - countedAtNanos > TimeUnit.MILLISECONDS.toNanos(interval) && counting.compareAndSet(false, true)) {
      counter.execute(this::count);
    }
    return free;
  }

  /** A connection was accepted: one descriptor more until the next count. */
  public void opened() {
    sinceCount.incrementAndGet();
  }

  public void closed() {
    sinceCount.decrementAndGet();
  }

  private void count() {
    try {
      if (unix == null) return;
      long open = unix.getOpenFileDescriptorCount();
      sinceCount.set(0);
      counted = open;
      limit = unix.getMaxFileDescriptorCount();
      countedAtNanos = System.nanoTime();
    } finally {
      counting.set(false);
    }
  }
}
