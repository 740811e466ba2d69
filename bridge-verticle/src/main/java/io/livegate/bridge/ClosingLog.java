package io.livegate.bridge;

import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Logs why the bridge closes connections without letting clients choose the log's volume: the first closing of a
 * cause is one line at once; those that follow within the minute are counted, and their count is one line when
 * the minute ends ({@code ... and 1,234 more ... in the last minute}), and so on each minute while they go on: one
 * line a minute per cause at most. Used only on the bridge verticle's context.
 */
final class ClosingLog {
  static final long WINDOW_MS = 60_000;
  private static final Logger LOG = Logger.getLogger(EventBusBridge.class.getName());

  /** One cause's minute: its first closing was logged; {@code more} have been closed since. */
  private static final class Window {
    final String what;
    final Level level;
    int more;

    Window(String what, Level level) {
      this.what = what;
      this.level = level;
    }
  }

  private final Vertx vertx;
  private final long windowMs;
  private final Map<String, Window> open = new HashMap<>();

  ClosingLog(Vertx vertx) {
    this(vertx, WINDOW_MS);
  }

  /** @param windowMs the time between two lines of one cause (tests shorten it) */
  ClosingLog(Vertx vertx, long windowMs) {
    this.vertx = vertx;
    this.windowMs = windowMs;
  }

  /**
   * @param cause one of {@link BridgeErrors#CLOSE_CAUSES}
   * @param line  the line for the first of the minute (e.g. naming the socket and the setting)
   * @param what  what the summary counts, e.g. "connections dropped for --max-queued-bytes"
   */
  void closed(String cause, Level level, Supplier<String> line, String what) {
    Window window = open.get(cause);
    if (window != null) {
      window.more++;
      return;
    }
    LOG.log(level, line);
    open.put(cause, new Window(what, level));
    vertx.setTimer(windowMs, id -> endWindow(cause));
  }

  /** A minute with closings after its first: their count, and the next minute counts on (one line a minute). */
  private void endWindow(String cause) {
    Window window = open.get(cause);
    if (window.more == 0) {
      open.remove(cause);
      return;
    }
    LOG.log(window.level, String.format("... and %,d more %s in the last minute", window.more, window.what));
    window.more = 0;
    vertx.setTimer(windowMs, id -> endWindow(cause));
  }
}
