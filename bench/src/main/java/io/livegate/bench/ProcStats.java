package io.livegate.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Linux and the JDK tell about a process: resident memory (VmRSS), CPU seconds (utime + stime), the
 * whole machine's CPU, and a JVM's used heap after a forced GC ({@code jcmd PID GC.run}, then
 * {@code GC.heap_info}). Every reader returns null (or -1) rather than failing: a missing figure must not
 * end a run.
 */
final class ProcStats {
  private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+)\\s+kB");
  // "garbage-first heap   total 262144K, used 21504K", "PSYoungGen total 76288K, used 3932K", "ParOldGen ..."
  private static final Pattern GEN_USED = Pattern.compile("(?m)^\\s*(\\S[^\\n]*?)\\s+total\\s+\\d+K,\\s+used\\s+(\\d+)K");
  private static final Pattern ZGC_USED = Pattern.compile("(?m)^\\s*ZHeap\\s+used\\s+(\\d+)M");
  private static final long CLK_TCK = clockTicks();

  private ProcStats() {}

  static Long rssKb(long pid) {
    try {
      Matcher m = RSS.matcher(Files.readString(Path.of("/proc/" + pid + "/status")));
      return m.find() ? Long.parseLong(m.group(1)) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** utime + stime of every thread of the process, in seconds. */
  static Double cpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) CLK_TCK;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** {busy, total, steal} jiffies of the whole machine. */
  static long[] hostCpu() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i <= 8; i++) total += Long.parseLong(f[i]);
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
      return new long[] {total - idle, total, Long.parseLong(f[8])};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0, 0};
    }
  }

  /** Forces a full GC in the JVM {@code pid} and returns its used heap in KiB, or null. */
  static Long heapAfterGcKb(long pid) {
    if (jcmd(pid, "GC.run") == null) return null;
    String info = jcmd(pid, "GC.heap_info");
    return info == null ? null : parseHeapUsedKb(info);
  }

  /** Sums the "used" of the heap's generations (not Metaspace) from {@code jcmd GC.heap_info}. */
  static Long parseHeapUsedKb(String heapInfo) {
    long used = 0;
    boolean found = false;
    Matcher m = GEN_USED.matcher(heapInfo);
    while (m.find()) {
      used += Long.parseLong(m.group(2));
      found = true;
    }
    Matcher z = ZGC_USED.matcher(heapInfo);
    if (!found && z.find()) return Long.parseLong(z.group(1)) * 1024;
    return found ? used : null;
  }

  private static String jcmd(long pid, String command) {
    try {
      Process p = new ProcessBuilder("jcmd", Long.toString(pid), command).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        return null;
      }
      return new String(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").start();
      String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      p.waitFor(5, TimeUnit.SECONDS);
      return Long.parseLong(s);
    } catch (IOException | RuntimeException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
