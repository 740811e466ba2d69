package io.livegate.launcher;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/** A node in a JVM of its own, from this test run's class path: for exit codes and kill -9. */
final class NodeProcess {
  private NodeProcess() {}

  /** A node whose output goes to {@code log} (nobody reads its pipes). */
  static Process startLogged(File log, String... args) throws Exception {
    log.getParentFile().mkdirs();
    return builder(args).redirectErrorStream(true).redirectOutput(log).start();
  }

  /** A node whose stdout and stderr the caller reads. */
  static Process start(String... args) throws Exception {
    return builder(args).start();
  }

  private static ProcessBuilder builder(String... args) {
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    // The same module flags as this JVM (Hazelcast's --add-opens), not its debugger or agent flags.
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-") || a.startsWith("-Djava.net.preferIPv4Stack")).forEach(command::add);
    command.add("-Xmx256m");
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }
}
