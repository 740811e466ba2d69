package io.livegate.core;

import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Logs refusals that are the state of things rather than a fault (a send nobody answers, a timeout, the history out
 * of reach) at INFO, without letting callers choose the log's volume: the first of a kind at once, the next ones of
 * the minute counted, and one line with the count when the minute is over ({@code ... and 1,234 more like it in the
 * last minute: POST /api/send -> 503}), one a minute while they go on. At most {@link #MAX_KINDS} kinds at once; beyond,
 * they are counted together.
 */
public final class RefusalLog {
  public static final long WINDOW_MS = 60_000;
  static final int MAX_KINDS = 100;
  private static final String OTHERS = "other refusals";

  private final Vertx vertx;
  private final Logger log;
  private final long windowMs;
  private final Map<String, Integer> more = new HashMap<>();

  public RefusalLog(Vertx vertx, Logger log) {
    this(vertx, log, WINDOW_MS);
  }

  /** @param windowMs the time between two lines of one kind (tests shorten it) */
  public RefusalLog(Vertx vertx, Logger log, long windowMs) {
    this.vertx = vertx;
    this.log = log;
    this.windowMs = windowMs;
  }

  /**
   * @param kind what repeats, without what varies (e.g. {@code POST /api/send -> 503})
   * @param line the first of the minute, in full
   */
  public void refused(String kind, String line) {
    synchronized (this) {
      if (!more.containsKey(kind) && more.size() >= MAX_KINDS) kind = OTHERS;
      Integer counted = more.get(kind);
      if (counted != null) {
        more.put(kind, counted + 1);
        return;
      }
      more.put(kind, 0);
    }
    log.log(Level.INFO, line);
    String opened = kind;
    vertx.setTimer(windowMs, id -> endWindow(opened));
  }

  private void endWindow(String kind) {
    int counted;
    synchronized (this) {
      counted = more.getOrDefault(kind, 0);
      if (counted == 0) {
        more.remove(kind);
        return;
      }
      more.put(kind, 0);
    }
    log.log(Level.INFO, String.format("... and %,d more like it in the last minute: %s", counted, kind));
    vertx.setTimer(windowMs, id -> endWindow(kind));
  }
}
