package io.livegate.launcher;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A node's logging: one line per event on stdout, each with the node id. */
final class NodeLog {
  private static volatile String nodeId = "-";

  private NodeLog() {}

  static void install() {
    Logger root = Logger.getLogger("");
    for (Handler h : root.getHandlers()) root.removeHandler(h);
    root.addHandler(new StdoutHandler());
    root.setLevel(Level.INFO);
    // Hazelcast prints a logo at INFO and CP-subsystem advice at WARNING (we use no CP structure);
    // Vert.x's metrics register the event-bus handler gauge twice in a clustered Vert.x and warn once.
    quiet("com.hazelcast", Level.WARNING);
    quiet("com.hazelcast.cp", Level.SEVERE);
    quiet("io.netty", Level.WARNING);
    quiet("io.micrometer.core.instrument.MeterRegistry", Level.SEVERE);
    quiet(HAZELCAST_CONNECTION_ERRORS, Level.WARNING).setFilter(NodeLog::refusedConnectionAsFact);
    quiet(VERTX_CLUSTERED_EVENT_BUS, Level.INFO).setFilter(NodeLog::unreachableNodeAsFact);
    quiet(HAZELCAST_MEMBERSHIP, Level.WARNING).setFilter(NodeLog::suspicionAsFact);
  }

  private static final String HAZELCAST_CONNECTION_ERRORS =
      "com.hazelcast.internal.server.tcp.TcpServerConnectionErrorHandler";
  private static final String VERTX_CLUSTERED_EVENT_BUS = "io.vertx.core.eventbus.impl.clustered.ClusteredEventBus";
  private static final String HAZELCAST_MEMBERSHIP = "com.hazelcast.internal.cluster.impl.MembershipManager";
  private static final Pattern SUSPECTED = Pattern.compile("Member (\\S+ - \\S+) is suspected to be dead for reason: (.*)");
  private static final Pattern ENDPOINT = Pattern.compile("endpoint (\\S+)");
  private static final Pattern SERVER = Pattern.compile("Connecting to server (\\S+) failed");

  /**
   * Hazelcast keeps calling at every member-list address where no node runs (one that left, died or has not
   * started yet) and warns with an IOException each time. For an operator that is a fact: one line, no
   * exception. The membership lines say who is in the cluster.
   */
  private static boolean refusedConnectionAsFact(LogRecord record) {
    String message = record.getMessage();
    if (message == null || !message.contains("Connection refused")) return true;
    Matcher endpoint = ENDPOINT.matcher(message);
    record.setLevel(Level.INFO);
    record.setMessage("no node answers at " + (endpoint.find() ? endpoint.group(1) : "an address of the member list")
        + " (connection refused); Hazelcast keeps trying the member list");
    record.setParameters(null);
    record.setThrown(null);
    return true;
  }

  /**
   * Hazelcast suspects a member whose connection closed before the news that it left reached this one: a node that
   * drained and left cleanly is "suspected to be dead" too. A fact, at INFO: the membership line that follows says
   * that it left, whether it drained or died.
   */
  static boolean suspicionAsFact(LogRecord record) {
    Matcher suspected = SUSPECTED.matcher(String.valueOf(record.getMessage()));
    if (!suspected.find()) return true;
    record.setLevel(Level.INFO);
    record.setMessage("member " + suspected.group(1) + " no longer answers (" + suspected.group(2)
        + "): it left or died; the membership line says when it is gone");
    record.setParameters(null);
    record.setThrown(null);
    return true;
  }

  /**
   * A node killed a moment ago is still in the event bus's subscriptions until the cluster drops it: the event
   * bus warns with a stack trace for each failed connection. One line says the same.
   */
  private static boolean unreachableNodeAsFact(LogRecord record) {
    Matcher server = SERVER.matcher(String.valueOf(record.getMessage()));
    if (!server.find() || record.getThrown() == null) return true;
    record.setMessage("no event-bus connection to node " + server.group(1) + " (" + record.getThrown().getMessage()
        + "): what this node sends it is lost until the cluster drops it");
    record.setParameters(null);
    record.setThrown(null);
    return true;
  }

  /**
   * Netty warns with a stack trace each time it cannot accept a connection for want of file descriptors (about once a
   * second per port while it lasts: it pauses accepting for a second). One line says it, and {@link RepeatedWarnings}
   * counts the repeats. The HTTP ports keep a reserve ({@code --fd-reserve}), so this means something else holds them.
   */
  static LogRecord outOfDescriptorsAsFact(LogRecord record) {
    Throwable thrown = record.getThrown();
    String logger = String.valueOf(record.getLoggerName());
    if (thrown == null || !logger.startsWith("io.netty") || !String.valueOf(thrown.getMessage()).contains("Too many open files")) {
      return record;
    }
    LogRecord line = new LogRecord(Level.WARNING, "cannot accept connections: the process has no file descriptor left "
        + "(its limit, ulimit -n, is reached); new connections wait in the kernel's backlog until some close");
    line.setLoggerName(logger);
    line.setInstant(record.getInstant());
    return line;
  }

  /** Held here: JUL keeps loggers weakly, and a collected logger forgets its level. */
  private static final java.util.List<Logger> QUIETED = new java.util.concurrent.CopyOnWriteArrayList<>();

  private static Logger quiet(String name, Level level) {
    Logger logger = Logger.getLogger(name);
    logger.setLevel(level);
    QUIETED.add(logger);
    return logger;
  }

  static void nodeJoined(String id) {
    nodeId = id;
  }

  /**
   * Not a ConsoleHandler: pointing that at stdout closes stderr, where start-up failures go. Warnings pass through
   * {@link RepeatedWarnings}, so that a warning repeated by every request is one line a minute with a count.
   */
  static final class StdoutHandler extends StreamHandler {
    private final RepeatedWarnings warnings = new RepeatedWarnings(System::currentTimeMillis, this::write);

    StdoutHandler() {
      this(System.out);
    }

    StdoutHandler(java.io.OutputStream out) {
      super(out, new LineFormatter());
      setLevel(Level.ALL);
      Thread flusher = new Thread(this::flushSummaries, "livegate-log-summaries");
      flusher.setDaemon(true);
      flusher.start();
    }

    @Override
    public void publish(LogRecord record) {
      if (isLoggable(record)) warnings.publish(outOfDescriptorsAsFact(record));
    }

    private synchronized void write(LogRecord record) {
      super.publish(record);
      flush();
    }

    /** The counts of a minute are written when it is over, even if no further warning of the kind comes. */
    private void flushSummaries() {
      while (true) {
        try {
          Thread.sleep(1_000);
        } catch (InterruptedException e) {
          return;
        }
        warnings.flush();
      }
    }

    @Override
    public synchronized void close() {
      flush();
    }
  }

  private static final class LineFormatter extends Formatter {
    @Override
    public String format(LogRecord r) {
      String logger = r.getLoggerName() == null ? "" : r.getLoggerName().substring(r.getLoggerName().lastIndexOf('.') + 1);
      StringBuilder line = new StringBuilder()
          .append(Instant.ofEpochMilli(r.getMillis())).append(' ')
          .append(String.format("%-7s", r.getLevel().getName())).append(' ')
          .append("node=").append(nodeId).append(' ')
          .append(logger).append(": ").append(formatMessage(r));
      if (r.getThrown() != null) {
        StringWriter trace = new StringWriter();
        r.getThrown().printStackTrace(new PrintWriter(trace));
        line.append(" | ").append(trace.toString().strip().replace("\n", " | "));
      }
      return line.append(System.lineSeparator()).toString();
    }
  }
}
