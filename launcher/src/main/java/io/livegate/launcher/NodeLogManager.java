package io.livegate.launcher;

import java.util.logging.LogManager;

/**
 * The JDK's LogManager resets every handler in a shutdown hook of its own, which races the node's
 * hook: what the node logs while it leaves the cluster would be lost. This one ignores that reset.
 * Installed by {@link Main} through {@code java.util.logging.manager} before anything logs.
 */
public final class NodeLogManager extends LogManager {
  @Override
  public void reset() {
    // Kept: handlers live as long as the process.
  }
}
