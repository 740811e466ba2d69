package io.livegate.launcher.ops;

import static io.livegate.testing.FreePorts.freePort;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Debian's nginx with the repo's configuration ({@code nginx/livegate.conf.template}), on a free loopback
 * port, everything it writes in its own folder; stopped by its process id.
 */
final class Nginx implements AutoCloseable {
  static final Path BINARY = Path.of("/usr/sbin/nginx");
  private static final Path TEMPLATE = Path.of("..", "nginx", "livegate.conf.template");

  final int port;
  private final Path runDir;
  private final Path config;
  private final Process process;

  private Nginx(int port, Path runDir, Path config, Process process) {
    this.port = port;
    this.runDir = runDir;
    this.config = config;
    this.process = process;
  }

  static Nginx start(Path folder, List<Integer> bridgePorts) throws Exception {
    Path runDir = folder.toAbsolutePath();
    Files.createDirectories(runDir);
    int port = freePort();
    Path config = runDir.resolve("nginx.conf");
    Files.writeString(config, render(port, runDir, bridgePorts));
    Process process = new ProcessBuilder(BINARY.toString(), "-p", runDir.toString(), "-c", config.toString(),
        "-e", runDir.resolve("error.log").toString())
        .redirectErrorStream(true).redirectOutput(runDir.resolve("nginx.out").toFile()).start();
    Nginx nginx = new Nginx(port, runDir, config, process);
    nginx.awaitListening();
    return nginx;
  }

  /** Points nginx at these bridge ports: a new configuration, then a reload (what an operator does). */
  void reload(List<Integer> bridgePorts) throws Exception {
    Set<Long> oldWorkers = workers().map(ProcessHandle::pid).collect(Collectors.toSet());
    Files.writeString(config, render(port, runDir, bridgePorts));
    Process reload = new ProcessBuilder(BINARY.toString(), "-p", runDir.toString(), "-c", config.toString(),
        "-e", runDir.resolve("error.log").toString(), "-s", "reload").redirectErrorStream(true).start();
    String out = new String(reload.getInputStream().readAllBytes());
    if (!reload.waitFor(10, TimeUnit.SECONDS) || reload.exitValue() != 0) {
      throw new AssertionError("nginx reload failed: " + out);
    }
    awaitNewWorkers(oldWorkers);
  }

  /**
   * {@code nginx -s reload} only signals the master, which then starts workers with the new configuration and
   * tells the old ones to stop accepting: until then a new connection may still go by the old server list.
   */
  private void awaitNewWorkers(Set<Long> oldWorkers) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      List<ProcessHandle> now = workers().toList();
      boolean started = now.stream().anyMatch(w -> !oldWorkers.contains(w.pid()));
      boolean oldOnesQuit = now.stream().filter(w -> oldWorkers.contains(w.pid()))
          .allMatch(w -> title(w).contains("shutting down"));
      if (started && oldOnesQuit) return;
      Thread.sleep(20);
    }
    throw new AssertionError("nginx did not switch to its new configuration within 10 s");
  }

  private Stream<ProcessHandle> workers() {
    return process.toHandle().children().filter(ProcessHandle::isAlive);
  }

  /** A worker's process title: "nginx: worker process", then "... is shutting down" once told to stop. */
  private static String title(ProcessHandle worker) {
    try {
      return Files.readString(Path.of("/proc", String.valueOf(worker.pid()), "cmdline"));
    } catch (IOException e) {
      return "shutting down"; // gone meanwhile
    }
  }

  String errorLog() throws IOException {
    Path log = runDir.resolve("error.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  static String render(int port, Path runDir, List<Integer> bridgePorts) throws IOException {
    String servers = bridgePorts.stream()
        .map(p -> "    server 127.0.0.1:" + p + " max_fails=1 fail_timeout=3s;")
        .collect(Collectors.joining("\n"));
    return Files.readString(TEMPLATE)
        .replace("@LISTEN@", "127.0.0.1:" + port)
        .replace("@RUN_DIR@", runDir.toAbsolutePath().toString())
        .replace("@BRIDGES@", servers);
  }

  private void awaitListening() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new AssertionError("nginx exited: " + errorLog());
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("nginx not listening within 10 s: " + errorLog());
  }

  /** SIGTERM to the master (a fast shutdown: it stops its workers), then SIGKILL if it lingers. */
  @Override
  public void close() throws InterruptedException {
    List<ProcessHandle> workers = process.descendants().toList();
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    workers.forEach(ProcessHandle::destroyForcibly);
  }
}
