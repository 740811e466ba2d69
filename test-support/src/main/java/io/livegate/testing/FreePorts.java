package io.livegate.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Free loopback ports for tests, each handed out once per JVM (a port freed by one test is not given to the next). */
public final class FreePorts {
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private FreePorts() {}

  public static int freePort() {
    while (true) {
      try (ServerSocket socket = new ServerSocket(0)) {
        int port = socket.getLocalPort();
        if (HANDED_OUT.add(port)) return port;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
