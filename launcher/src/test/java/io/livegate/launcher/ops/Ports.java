package io.livegate.launcher.ops;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

final class Ports {
  private Ports() {}

  /** A port free on loopback now. */
  static int free() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress("127.0.0.1", 0));
      return socket.getLocalPort();
    }
  }
}
