package io.livegate.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for tests, each handed out once per JVM (a port freed by one test is not given to the next),
 * chosen below the kernel's ephemeral range: a port of that range, free when handed out, can be taken before the node
 * binds it by any process's outgoing connection (a starting node's to the cluster's members, say), and the node then
 * fails to start.
 */
public final class FreePorts {
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
  private static final int LOWEST = 20_000;
  private static final int BELOW = ephemeralStart();

  private FreePorts() {}

  public static int freePort() {
    for (int tries = 0; tries < 10_000; tries++) {
      int port = ThreadLocalRandom.current().nextInt(LOWEST, BELOW);
      if (HANDED_OUT.contains(port) || !bindable(port)) continue;
      if (HANDED_OUT.add(port)) return port;
    }
    throw new IllegalStateException("no free port in " + LOWEST + "-" + (BELOW - 1));
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  /** The first port the kernel gives outgoing connections (Linux's default range starts at 32768). */
  private static int ephemeralStart() {
    try {
      int start = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+")[0]);
      return start > LOWEST + 1_000 ? start : 32_768;
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }
}
