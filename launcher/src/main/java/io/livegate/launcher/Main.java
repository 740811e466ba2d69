package io.livegate.launcher;

import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

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
        .onSuccess(Main::stopOnShutdown)
        .onFailure(Main::exit);
  }

  private static void stopOnShutdown(GatewayNode node) {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping: leaving the cluster");
      try {
        node.close().toCompletionStage().toCompletableFuture().get(STOP_TIMEOUT_S, TimeUnit.SECONDS);
        LOG.info("stopped");
      } catch (Exception e) {
        LOG.warning("did not stop cleanly within " + STOP_TIMEOUT_S + " s: " + e);
      }
    }, "livegate-shutdown"));
  }

  private static void exit(Throwable failure) {
    int code = failure instanceof StartupFailure f ? f.exitCode() : StartupFailure.FAILED;
    System.err.println("livegate: " + failure.getMessage());
    System.exit(code);
  }
}
