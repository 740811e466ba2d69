package io.livegate.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a JVM spent its time, from a JFR recording: the methods most often on top of the sampled stacks
 * (self) and anywhere on them (inclusive), for Java and native samples (threads waiting in epoll or accept
 * left out), and the share of each thread.
 *
 * <pre>java -cp livegate-bench.jar io.livegate.bench.JfrTop node1.jfr [rows]</pre>
 */
public final class JfrTop {
  // Frames on nearly every stack (thread and event-loop plumbing): they say nothing in the inclusive list.
  private static final String PLUMBING = "java\\.lang\\.Thread\\.run|.*ThreadExecutorMap.*|.*FastThreadLocalRunnable.*"
      + "|.*SingleThreadEventExecutor.*|.*SingleThreadIoEventLoop\\.run.*|.*IoHandler\\.run";
  // A native sample whose top is one of these is a thread waiting, not working.
  private static final String WAITING = ".*EPoll\\.wait|.*Native\\.epollWait.*|.*Net\\.accept|.*SocketDispatcher\\.read0"
      + "|.*Net\\.poll|.*Unsafe\\.park";

  private JfrTop() {}

  public static void main(String[] args) throws IOException {
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 25;
    for (String kind : List.of("jdk.ExecutionSample", "jdk.NativeMethodSample")) {
      Map<String, Integer> self = new HashMap<>();
      Map<String, Integer> inclusive = new HashMap<>();
      Map<String, Integer> threads = new HashMap<>();
      int samples = 0;
      for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(args[0]))) {
        if (!e.getEventType().getName().equals(kind)) continue;
        RecordedStackTrace stack = e.getStackTrace();
        if (stack == null || stack.getFrames().isEmpty()) continue;
        if (name(stack.getFrames().get(0)).matches(WAITING)) continue;
        samples++;
        String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
        threads.merge(thread == null ? "?" : thread.replaceAll("\\d+", "N"), 1, Integer::sum);
        List<RecordedFrame> frames = stack.getFrames();
        self.merge(name(frames.get(0)), 1, Integer::sum);
        Set<String> seen = new HashSet<>();
        for (RecordedFrame f : frames) {
          if (seen.add(name(f)) && !name(f).matches(PLUMBING)) inclusive.merge(name(f), 1, Integer::sum);
        }
      }
      System.out.printf(Locale.ROOT, "== %s: %d samples%n", kind, samples);
      if (samples == 0) continue;
      print("threads", threads, samples, 6);
      print("self", self, samples, rows);
      print("inclusive", inclusive, samples, rows);
    }
  }

  private static String name(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static void print(String title, Map<String, Integer> counts, int total, int rows) {
    System.out.println("-- " + title);
    counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder())).limit(rows)
        .forEach(e -> System.out.printf(Locale.ROOT, "%5.1f%%  %s%n", 100.0 * e.getValue() / total, e.getKey()));
  }
}
