package io.livegate.launcher;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Pattern;

/**
 * Keeps whoever sends requests from setting the log's volume: the first warning of a kind is written at once, the
 * next ones of that kind within a minute are only counted, and when the minute is over one line says how many
 * there were ({@code ... (and 1,234 more like it in the last minute)}). A kind is the logger, the level and the
 * message with its numbers and addresses blanked out, so that {@code GET /a/1} and {@code GET /a/2} are alike.
 * Below WARNING everything passes: those lines are the node's own events, not its clients'.
 */
final class RepeatedWarnings {
  static final long WINDOW_MS = 60_000;
  /** Kinds tracked at once; beyond, a logger's further kinds are counted as one (its name and level). */
  static final int MAX_KINDS = 1_000;
  private static final Pattern VARYING = Pattern.compile("[0-9a-fA-F]*[0-9][0-9a-fA-F:.\\-]*");

  private final LongSupplier clockMs;
  private final Consumer<LogRecord> out;
  private final Map<String, Window> windows = new HashMap<>();

  /** One kind's minute: when it began, the last warning counted in it, and how many were. */
  private static final class Window {
    final long startMs;
    LogRecord last;
    long suppressed;

    Window(long startMs) {
      this.startMs = startMs;
    }
  }

  RepeatedWarnings(LongSupplier clockMs, Consumer<LogRecord> out) {
    this.clockMs = clockMs;
    this.out = out;
  }

  /** Writes {@code record} now, or counts it into its kind's minute. */
  void publish(LogRecord record) {
    if (record.getLevel().intValue() < Level.WARNING.intValue()) {
      out.accept(record);
      return;
    }
    long now = clockMs.getAsLong();
    List<LogRecord> due;
    boolean write;
    synchronized (this) {
      due = expire(now);
      String kind = kindOf(record);
      Window window = windows.get(kind);
      write = window == null;
      if (write) {
        windows.put(kind, new Window(now));
      } else {
        window.last = record;
        window.suppressed++;
      }
    }
    due.forEach(out);
    if (write) out.accept(record);
  }

  /** Writes the summaries of the minutes that are over; called by a timer too, so that a count is not held back. */
  void flush() {
    List<LogRecord> due;
    synchronized (this) {
      due = expire(clockMs.getAsLong());
    }
    due.forEach(out);
  }

  private List<LogRecord> expire(long now) {
    List<LogRecord> due = new ArrayList<>();
    for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
      Window window = it.next();
      if (now - window.startMs < WINDOW_MS) continue;
      it.remove();
      if (window.suppressed > 0) due.add(summary(window));
    }
    return due;
  }

  private String kindOf(LogRecord record) {
    String shape = record.getLoggerName() + '|' + record.getLevel() + '|'
        + VARYING.matcher(String.valueOf(record.getMessage())).replaceAll("#")
        + (record.getThrown() == null ? "" : '|' + record.getThrown().getClass().getName());
    if (windows.size() < MAX_KINDS || windows.containsKey(shape)) return shape;
    return record.getLoggerName() + '|' + record.getLevel();
  }

  /** The last warning of the minute, with the count; without its stack trace (the first one had it). */
  private static LogRecord summary(Window window) {
    LogRecord last = window.last;
    LogRecord line = new LogRecord(last.getLevel(), formatted(last) + String.format(" (and %,d more like it in the last "
        + "minute)", window.suppressed));
    line.setLoggerName(last.getLoggerName()); // stamped now, when the minute is over: the log stays in order
    return line;
  }

  private static String formatted(LogRecord record) {
    String message = String.valueOf(record.getMessage());
    Object[] parameters = record.getParameters();
    if (parameters == null || parameters.length == 0 || !message.contains("{")) return message;
    try {
      return java.text.MessageFormat.format(message, parameters);
    } catch (IllegalArgumentException e) {
      return message;
    }
  }
}
