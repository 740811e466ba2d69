package io.livegate.launcher;

import static io.livegate.testing.FreePorts.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher as an operator meets it: a separate JVM, its exit code and what it prints. */
class MainTest {

  private record Run(int exitCode, String stdout, String stderr) {}

  @Test
  void aBadFlagIsRefusedWithOneLineAndExitCode2() throws Exception {
    Run run = main("--bridge-port", "eighty");
    assertEquals(2, run.exitCode());
    assertEquals("livegate: --bridge-port: 'eighty' is not a whole number", run.stderr().strip());
  }

  @Test
  void aPortInUseIsRefusedWithOneLineAndExitCode2() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = taken.getLocalPort();
      Run run = main("--http-host", "127.0.0.1", "--bridge-port", String.valueOf(port), "--api-port",
          String.valueOf(freePort()));
      assertEquals(2, run.exitCode());
      assertEquals("livegate: port " + port + " (--bridge-port, bridge) is already in use on 127.0.0.1",
          run.stderr().strip());
    }
  }

  /**
   * A role that fails once the node has joined (here the bridge, given a certificate that is no PEM): the node leaves
   * the cluster, says why in one line and exits 1. Its Vert.x is closed by then, so the failure must not wait for one
   * of its event loops to be told.
   */
  @Test
  void aRoleThatFailsAfterJoiningIsReportedWithOneLineAndExitCode1(@TempDir Path dir) throws Exception {
    Path garbage = Files.writeString(dir.resolve("not-a-pem.txt"), "not a certificate\n");
    int clusterPort = freePort();
    Run run = main("--http-host", "127.0.0.1", "--bridge-port", String.valueOf(freePort()), "--api-port",
        String.valueOf(freePort()), "--cluster-host", "127.0.0.1", "--cluster-port", String.valueOf(clusterPort),
        "--members", "127.0.0.1:" + clusterPort, "--cluster-name", "main-test-" + UUID.randomUUID(),
        "--tls-cert", garbage.toString(), "--tls-key", garbage.toString());
    assertEquals(1, run.exitCode(), run.stderr());
    assertTrue(run.stderr().strip().startsWith("livegate: the bridge did not start: "), run.stderr());
    assertFalse(run.stderr().contains("\tat "), "no stack trace: " + run.stderr());
  }

  @Test
  void helpPrintsEverySettingAndExits0() throws Exception {
    Run run = main("--help");
    assertEquals(0, run.exitCode());
    assertTrue(run.stdout().contains("--cluster-config") && run.stdout().contains("CLUSTER_MEMBERS"), run.stdout());
  }

  private static Run main(String... args) throws Exception {
    Process process = NodeProcess.start(args);
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("did not exit");
      return new Run(process.exitValue(),
          new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
          new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    } finally {
      process.destroyForcibly();
    }
  }
}
