package io.livegate.launcher.ops;

import io.livegate.testing.FreePorts;

final class Ports {
  private Ports() {}

  /** A port free on loopback now, below the ephemeral range ({@link FreePorts}). */
  static int free() {
    return FreePorts.freePort();
  }
}
