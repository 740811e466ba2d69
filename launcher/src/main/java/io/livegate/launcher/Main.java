package io.livegate.launcher;

import io.livegate.core.NodeSettings;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import sun.misc.Signal;

/** Starts one node: {@code java -jar livegate-node.jar --help}. */
public final class Main {
  static {
    // Before the first logger exists: keep logging through shutdown (see NodeLogManager).
    System.setProperty("java.util.logging.manager", NodeLogManager.class.getName());
  }

  private static final Logger LOG = Logger.getLogger(Main.class.getName());
  private static final long STOP_TIMEOUT_S = 20;

  private Main() {}

  public static void main(String[] args) {
    NodeSettings.Parsed parsed;
    try {
      parsed = NodeSettings.parse(args, System.getenv());
    } catch (NodeSettings.BadSetting e) {
      System.err.println("livegate: " + e.getMessage());
      System.exit(StartupFailure.USAGE);
      return;
    }
    if (parsed.helpRequested()) {
      System.out.print(NodeSettings.usage());
      return;
    }
    NodeLog.install();
    GatewayNode.start(parsed.config())
        .onSuccess(Main::drainOnRequest)
        .onFailure(Main::exit);
  }

  /**
   * SIGTERM and {@code POST /api/admin/drain} drain the node, and the process exits 0 once it has left the
   * cluster (1 if that fails or takes longer than {@link #STOP_TIMEOUT_S}). SIGTERM is ours rather than the
   * JVM's, which would exit 143 after the hooks. Any other way out (Ctrl-C, SIGHUP) drains in a shutdown hook.
   */
  private static void drainOnRequest(GatewayNode node) {
    node.drained().onComplete(left -> exitOnOwnThread(left.succeeded() ? 0 : StartupFailure.FAILED));
    node.drainStarted().onComplete(started -> exitIfNotDrainedInTime(node));
    Signal.handle(new Signal("TERM"), signal -> {
      LOG.info("SIGTERM");
      node.drain();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> drainWithinBound(node), "livegate-shutdown"));
  }

  /** A node that has not left the cluster {@link #STOP_TIMEOUT_S} after its drain started exits 1. */
  private static void exitIfNotDrainedInTime(GatewayNode node) {
    Thread watchdog = new Thread(() -> {
      if (!drainWithinBound(node)) Runtime.getRuntime().halt(StartupFailure.FAILED);
    }, "livegate-drain-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }

  /** Drains and waits for the node to leave, at most {@link #STOP_TIMEOUT_S}; true if it left in time. */
  private static boolean drainWithinBound(GatewayNode node) {
    try {
      node.drain().toCompletionStage().toCompletableFuture().get(STOP_TIMEOUT_S, TimeUnit.SECONDS);
      return true;
    } catch (Exception e) {
      LOG.warning("did not drain and leave the cluster within " + STOP_TIMEOUT_S + " s: " + e);
      return false;
    }
  }

  /** Not on the caller's thread: System.exit waits for the shutdown hooks, which may need it. */
  private static void exitOnOwnThread(int code) {
    new Thread(() -> System.exit(code), "livegate-exit").start();
  }

  private static void exit(Throwable failure) {
    int code = failure instanceof StartupFailure f ? f.exitCode() : StartupFailure.FAILED;
    System.err.println("livegate: " + failure.getMessage());
    System.exit(code);
  }
}
