package io.livegate.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The "meta" line that opens a run's results: the machine, the JVM and whatever the script passes as
 * {@code key=value} (the nodes' JVM flags, the commit). {@code java -cp livegate-bench.jar io.livegate.bench.RunMeta k=v ...}
 */
public final class RunMeta {
  private RunMeta() {}

  public static void main(String[] args) throws IOException {
    JsonObject meta = new JsonObject().put("meta", "livegate-bench-run").put("ts", Instant.now().toString())
        .put("host_cpus", Runtime.getRuntime().availableProcessors())
        .put("cpu_model", firstMatch(Path.of("/proc/cpuinfo"), "model name"))
        .put("mem_gib", memGib())
        .put("kernel", System.getProperty("os.version"))
        .put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"))
        .put("loadavg", Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0]);
    for (String a : args) {
      int eq = a.indexOf('=');
      if (eq > 0) meta.put(a.substring(0, eq), a.substring(eq + 1));
    }
    System.out.println(meta.encode());
  }

  private static String firstMatch(Path file, String key) throws IOException {
    for (String line : Files.readAllLines(file)) {
      if (line.startsWith(key)) return line.substring(line.indexOf(':') + 1).trim();
    }
    return null;
  }

  private static long memGib() throws IOException {
    String total = firstMatch(Path.of("/proc/meminfo"), "MemTotal");
    return total == null ? 0 : Math.round(Long.parseLong(total.replaceAll("\\D", "")) / 1024.0 / 1024.0);
  }
}
