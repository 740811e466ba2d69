package io.livegate.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.ToLongFunction;
import org.HdrHistogram.Histogram;

/**
 * The load generator: connects the clients, checks every registration is live (each client must receive a
 * probe), then publishes at each rate of the ladder and reports one JSON line per step; or, with
 * {@code --mode idle}, reports what the connections cost the nodes. {@code java -jar livegate-bench.jar --help}.
 *
 * <p>The main thread only orchestrates (it blocks and sleeps); the clients live on their own event loops,
 * the publisher on another, paced by a clock thread.
 */
public final class LoadGenerator {
  private static final String FOLLOWER_TAG = "{\"follower\"";

  private final BenchOptions opt;
  private final ClientGroup.Window window = new ClientGroup.Window();
  private final AtomicIntegerArray perChannel;
  private final List<ClientGroup> groups = new ArrayList<>();
  private final List<Follower> followers = new ArrayList<>();
  private final long self = ProcessHandle.current().pid();
  private Vertx clientVertx;
  private Publisher publisher;
  private long nextSeq;
  private long runStart = System.nanoTime();

  private LoadGenerator(BenchOptions opt) {
    this.opt = opt;
    this.perChannel = new AtomicIntegerArray(opt.channels());
  }

  public static void main(String[] args) {
    BenchOptions opt;
    try {
      opt = BenchOptions.parse(args);
    } catch (BenchOptions.BadOption e) {
      System.err.println("livegate-bench: " + e.getMessage() + " (--help for the options)");
      System.exit(2);
      return;
    }
    if (opt == null) {
      System.out.print(BenchOptions.USAGE);
      return;
    }
    startWatchdog(opt.maxRuntimeS());
    int code;
    try {
      code = new LoadGenerator(opt).run();
    } catch (Exception e) {
      System.err.println("livegate-bench: failed: " + e);
      e.printStackTrace();
      code = 1;
    }
    System.exit(code);
  }

  private int run() throws Exception {
    clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(opt.threads())
        .setPreferNativeTransport(opt.nativeTransport()));
    for (int t = 0; t < opt.threads(); t++) {
      ClientGroup group = new ClientGroup(opt, window, perChannel);
      await(clientVertx.deployVerticle(group), 30); // each deployment takes the next event loop
      groups.add(group);
    }
    publisher = await(Publisher.start(opt), 60);
    try {
      return opt.follower() ? runAsFollower() : runAsLeader();
    } finally {
      closeAll();
    }
  }

  // ------------------------------------------------------------------ the run

  private int runAsLeader() throws Exception {
    Map<String, JsonObject> before = memory(false);
    Usage connectStart = usage();
    int per = (opt.clients() + opt.processes() - 1) / opt.processes();
    for (int f = 1; f < opt.processes(); f++) {
      int start = f * per;
      followers.add(Follower.start(opt, start, Math.min(opt.clients(), start + per) - start));
    }
    long t0 = System.nanoTime();
    runStart = t0;
    ClientGroup.Connected mine = connect(0, Math.min(per, opt.clients()));
    double connectS = seconds(System.nanoTime() - t0);
    JsonObject probe = probe();
    List<JsonObject> others = new ArrayList<>();
    for (Follower f : followers) others.add(f.awaitReady(opt.connectTimeoutMs() / 1000.0 + opt.probeTimeoutS() + 120));
    for (JsonObject o : others) connectS = Math.max(connectS, o.getDouble("connect_time_s", 0.0));
    JsonObject connectUsage = connectStart.until(usage());
    sleep(opt.settleS());
    Map<String, JsonObject> after = memory(true);

    int connected = mine.connected() + others.stream().mapToInt(o -> o.getInteger("connected", 0)).sum();
    JsonObject common = new JsonObject()
        .put("ts", Instant.now().toString()).put("label", opt.label()).put("tool", "livegate-bench")
        .put("target", "vertx-bridge").put("mode", opt.mode()).put("publish_mode", opt.publishMode())
        .put("nodes", opt.urls().size()).put("clients", opt.clients()).put("connected", connected)
        .put("threads", opt.threads()).put("transport", clientVertx.isNativeTransportEnabled() ? "epoll" : "nio").put("processes", opt.processes()).put("channels", opt.channels())
        .put("payload_bytes", opt.payload())
        .put("warmup_s", opt.mode().equals("idle") ? 0 : opt.warmupS()).put("warmup_rate", opt.warmupRate())
        .put("connect_time_s", Results.round(connectS, 3))
        .put("connect_failures", mine.failures() + others.stream().mapToInt(o -> o.getInteger("connect_failures", 0)).sum())
        .put("connect_error", firstNonNull(mine.firstError(), others.stream().map(o -> o.getString("connect_error")).toList()))
        .put("ready", probe.getInteger("ready") + others.stream().mapToInt(o -> o.getInteger("ready", 0)).sum())
        .put("probe_s", probe.getDouble("probe_s"))
        .put("connect_usage", connectUsage);
    Results.memoryFields(common, before, after, connected, opt.pids().size());
    common.put("loadgen_rss_kb", generatorRssKb());

    if (connected == 0) {
      emit(common.copy().put("error", "no client connected"));
      return 1;
    }
    if (opt.mode().equals("idle")) {
      List<JsonObject> ends = new ArrayList<>();
      for (Follower f : followers) ends.add(f.askStatus());
      emit(common.copy().put("clients_open", open() + ends.stream().mapToInt(o -> o.getInteger("open", 0)).sum())
          .put("clients_closed_by_server", closedByServer() + ends.stream().mapToInt(o -> o.getInteger("closed_by_server", 0)).sum())
          .put("first_close_s", firstClose(ends))
          .put("first_close_reason", firstNonNull(firstCloseReason(), ends.stream().map(o -> o.getString("first_close_reason")).toList()))
          .put("server_errors", sum(g -> g.serverErrors.get()) + others.stream().mapToInt(o -> o.getInteger("server_errors", 0)).sum())
          .put("server_error", firstServerError()));
      return 0;
    }
    if (opt.warmupS() > 0) warmUp(opt.warmupRate(), opt.warmupS());
    for (double rate : opt.rates()) {
      JsonObject step = step(rate);
      String stop = step.getDouble("loss_pct") > opt.stopLossPct() ? "loss"
          : step.getDouble("p99_ms") > opt.stopP99Ms() ? "p99" : null;
      JsonObject line = common.copy().put("ts", Instant.now().toString()).mergeIn(step);
      if (stop != null) line.put("stopped", stop);
      emit(line);
      if (stop != null) break;
      sleep(1);
    }
    return 0;
  }

  /** A second generator process (past the fd limit of one): connect, probe, report, hold until told. */
  private int runAsFollower() throws Exception {
    long t0 = System.nanoTime();
    runStart = t0;
    ClientGroup.Connected mine = connect(opt.rangeStart(), opt.rangeCount());
    double connectS = seconds(System.nanoTime() - t0);
    JsonObject probe = probe();
    System.out.println(new JsonObject().put("follower", true).put("connected", mine.connected())
        .put("connect_failures", mine.failures()).put("connect_error", mine.firstError())
        .put("ready", probe.getInteger("ready")).put("open", open())
        .put("server_errors", sum(g -> g.serverErrors.get()))
        .put("connect_time_s", Results.round(connectS, 3)).encode());
    System.out.flush();
    // Hold the connections until the leader has measured: a line on stdin asks for the status now, the end
    // of stdin says stop.
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    while (in.readLine() != null) {
      System.out.println(new JsonObject().put("follower", "status").put("open", open())
          .put("closed_by_server", closedByServer()).put("first_close_s", firstCloseSeconds())
          .put("first_close_reason", firstCloseReason()).encode());
      System.out.flush();
    }
    return 0;
  }

  private ClientGroup.Connected connect(int start, int count) {
    List<List<Integer>> shares = new ArrayList<>();
    for (int t = 0; t < groups.size(); t++) shares.add(new ArrayList<>());
    for (int i = start; i < start + count; i++) shares.get(i % groups.size()).add(i);
    int concurrency = Math.max(1, (opt.connectConcurrency() + groups.size() - 1) / groups.size());
    List<Future<ClientGroup.Connected>> all = new ArrayList<>();
    for (int t = 0; t < groups.size(); t++) all.add(groups.get(t).connect(shares.get(t), concurrency));
    int connected = 0;
    int failures = 0;
    String error = null;
    for (Future<ClientGroup.Connected> f : all) {
      ClientGroup.Connected c = await(f, 3600);
      connected += c.connected();
      failures += c.failures();
      if (error == null) error = c.firstError();
    }
    return new ClientGroup.Connected(connected, failures, error);
  }

  /** Publishes probes until every open client has received one: then every registration is live cluster-wide. */
  private JsonObject probe() throws InterruptedException {
    long t0 = System.nanoTime();
    for (int n = 0; sum(g -> g.ready.get()) < open() && seconds(System.nanoTime() - t0) < opt.probeTimeoutS(); n++) {
      for (int k = 0; k < opt.channels(); k++) publishNow(k, -1);
      Thread.sleep(n < 10 ? 100 : 500);
    }
    return new JsonObject().put("ready", (int) sum(g -> g.ready.get()))
        .put("probe_s", Results.round(seconds(System.nanoTime() - t0), 2));
  }

  /** Unmeasured traffic first: the nodes' JIT compilers warm up. */
  private void warmUp(double rate, double seconds) throws Exception {
    int[] subscribers = subscribers();
    long count = Math.round(rate * seconds);
    long want = sum(g -> g.unmeasured.get()) + expected(subscribers, 0, count);
    FixedRateClock.run(publisher.context(), rate, count,
        (i, when) -> publisher.publish((int) (i % opt.channels()), -1, when)).get();
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos((long) (opt.drainS() * 1000));
    while ((sum(g -> g.unmeasured.get()) < want || publisher.inflight() > 0) && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    sleep(1);
  }

  private JsonObject step(double rate) throws Exception {
    long count = Math.round(rate * opt.durationS());
    long seq0 = nextSeq;
    nextSeq += count;
    takeHistograms(); // start from empty ones
    takeAnswerTimes();
    window.from = seq0;
    window.to = seq0 + count;
    long delivered0 = sum(g -> g.delivered.get());
    for (ClientGroup g : groups) g.lastDeliveryNanos = 0;
    int[] subscribers = subscribers();
    int clientsOpen = open();
    long expected = expected(subscribers, seq0, count);
    long errors0 = publisher.errors();
    Usage before = usage();
    long t0 = System.nanoTime();
    long lagNanos = FixedRateClock.run(publisher.context(), rate, count,
        (i, when) -> publisher.publish((int) ((seq0 + i) % opt.channels()), seq0 + i, when)).get();
    long drainUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos((long) (opt.drainS() * 1000));
    while ((sum(g -> g.delivered.get()) - delivered0 < expected || publisher.inflight() > 0)
        && System.nanoTime() < drainUntil) {
      Thread.sleep(20);
    }
    Usage after = usage();
    long delivered = sum(g -> g.delivered.get()) - delivered0;
    Histogram[] h = takeHistograms();
    Histogram answers = takeAnswerTimes();
    long lastDelivery = groups.stream().mapToLong(g -> g.lastDeliveryNanos).max().orElse(0);
    // Missing after the drain: a backlog or dropped? Wait (bounded) for stragglers to tell.
    long straggleUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos((long) (opt.straggleS() * 1000));
    while (delivered < expected && sum(g -> g.delivered.get()) - delivered0 < expected
        && System.nanoTime() < straggleUntil) {
      Thread.sleep(50);
    }
    long eventually = sum(g -> g.delivered.get()) - delivered0;
    window.from = 0; // from now on, stragglers count as late
    window.to = 0;
    double activeS = Math.max(opt.durationS(), lastDelivery == 0 ? 0 : seconds(lastDelivery - t0));

    JsonObject step = new JsonObject()
        .put("rate", rate).put("duration_s", opt.durationS()).put("clients_open", clientsOpen)
        .put("published", count).put("publish_errors", publisher.errors() - errors0)
        .put("expected", expected).put("delivered", delivered)
        .put("loss_pct", Results.round(expected == 0 ? 0 : 100.0 * (expected - delivered) / expected, 3))
        .put("delivered_eventually", eventually).put("never_delivered", expected - eventually)
        .put("deliveries_per_s", Math.round(delivered / activeS));
    Results.latencyFields(step, h[0]);
    step.put("publish_lag_max_ms", Results.round(lagNanos / 1e6, 2))
        .put("loadgen_eld_p99_ms", Results.round(h[1].getValueAtPercentile(99) / 1000.0, 2));
    if (answers != null && answers.getTotalCount() > 0) { // REST: from a publish's scheduled send to its answer
      step.put("publish_answer_p50_ms", Results.round(answers.getValueAtPercentile(50) / 1000.0, 2))
          .put("publish_answer_p99_ms", Results.round(answers.getValueAtPercentile(99) / 1000.0, 2));
    }
    step.mergeIn(before.until(after));
    step.put("rss_end_kb", rssOfNodes())
        .put("late_deliveries", sum(g -> g.late.get()))
        .put("publish_error", publisher.firstError())
        .put("server_errors", sum(g -> g.serverErrors.get()))
        .put("server_error", firstServerError())
        .put("clients_closed_by_server", closedByServer())
        .put("first_close_reason", firstCloseReason());
    return step;
  }

  // ------------------------------------------------------------------ measuring

  /** CPU of the nodes, of this generator (with its followers) and of the machine, at one moment. */
  private record Usage(long nanos, Map<String, Double> nodes, double generator, long[] host) {
    JsonObject until(Usage later) {
      double wall = (later.nanos - nanos) / 1e9;
      JsonObject nodeCpu = new JsonObject();
      nodes.forEach((name, cpu) -> {
        Double end = later.nodes.get(name);
        nodeCpu.put(name, cpu == null || end == null ? null : Results.round(end - cpu, 2));
      });
      double gen = later.generator - generator;
      long total = Math.max(1, later.host[1] - host[1]);
      return new JsonObject().put("window_s", Results.round(wall, 2))
          .put("loadgen_cpu_s", Results.round(gen, 2)).put("loadgen_cpu_pct", Results.round(100 * gen / wall, 1))
          .put("server_cpu_s", nodeCpu)
          .put("host_cpu_busy_pct", Results.round(100.0 * (later.host[0] - host[0]) / total, 1))
          .put("host_steal_pct", Results.round(100.0 * (later.host[2] - host[2]) / total, 1));
    }
  }

  private Usage usage() {
    Map<String, Double> nodes = new LinkedHashMap<>();
    opt.pids().forEach((name, pid) -> nodes.put(name, ProcStats.cpuSeconds(pid)));
    double gen = orZero(ProcStats.cpuSeconds(self));
    for (Follower f : followers) gen += orZero(ProcStats.cpuSeconds(f.pid()));
    return new Usage(System.nanoTime(), nodes, gen, ProcStats.hostCpu());
  }

  /**
   * Per node: RSS (and, with --heap, used heap after a forced GC, and the RSS after that GC). "After" also
   * keeps the RSS as it was before the forced GC: what a tool that cannot force one (the peers') sees.
   */
  private Map<String, JsonObject> memory(boolean after) {
    Map<String, JsonObject> m = new LinkedHashMap<>();
    opt.pids().forEach((name, pid) -> {
      JsonObject o = new JsonObject();
      if (after) o.put("rss_nogc_kb", ProcStats.rssKb(pid));
      if (opt.heap()) o.put("heap_kb", ProcStats.heapAfterGcKb(pid));
      o.put("rss_kb", ProcStats.rssKb(pid));
      m.put(name, o);
    });
    return m;
  }

  private JsonObject rssOfNodes() {
    JsonObject o = new JsonObject();
    opt.pids().forEach((name, pid) -> o.put(name, ProcStats.rssKb(pid)));
    return o;
  }

  private long generatorRssKb() {
    long kb = orZero(ProcStats.rssKb(self));
    for (Follower f : followers) kb += orZero(ProcStats.rssKb(f.pid()));
    return kb;
  }

  // ------------------------------------------------------------------ helpers

  private void publishNow(int channel, long seq) {
    publisher.context().runOnContext(v -> publisher.publish(channel, seq, System.nanoTime()));
  }

  private Histogram takeAnswerTimes() {
    Promise<Histogram> taken = Promise.promise();
    publisher.context().runOnContext(v -> taken.complete(publisher.takeAnswerTimes()));
    return await(taken.future(), 30);
  }

  private Histogram[] takeHistograms() {
    Histogram latency = new Histogram(ClientGroup.HIGHEST_US, 3);
    Histogram loopDelay = new Histogram(ClientGroup.HIGHEST_US, 3);
    for (ClientGroup g : groups) {
      Histogram[] h = await(g.takeHistograms(), 30);
      latency.add(h[0]);
      // The busiest thread's delay, not a blend: one saturated thread is what delays its clients.
      if (h[1].getValueAtPercentile(99) > loopDelay.getValueAtPercentile(99)) loopDelay = h[1];
    }
    return new Histogram[] {latency, loopDelay};
  }

  private int[] subscribers() {
    int[] s = new int[opt.channels()];
    for (int k = 0; k < s.length; k++) s[k] = perChannel.get(k);
    return s;
  }

  /** Messages × the clients registered on each message's address. */
  static long expected(int[] subscribers, long seq0, long count) {
    long expected = 0;
    int channels = subscribers.length;
    long full = count / channels;
    for (int k = 0; k < channels; k++) expected += full * subscribers[k];
    for (long i = seq0 + full * channels; i < seq0 + count; i++) expected += subscribers[(int) (i % channels)];
    return expected;
  }

  private int closedByServer() {
    return (int) sum(g -> g.closedByServer.get());
  }

  /** Seconds from the start of connecting to the first close by the server, or null. */
  private Double firstCloseSeconds() {
    long first = groups.stream().mapToLong(g -> g.firstCloseNanos).filter(n -> n != 0).min().orElse(0);
    return first == 0 ? null : Results.round(seconds(first - runStart), 2);
  }

  private String firstCloseReason() {
    return groups.stream().map(g -> g.firstCloseReason).filter(r -> r != null).findFirst().orElse(null);
  }

  private Double firstClose(List<JsonObject> followerStatus) {
    Double mine = firstCloseSeconds();
    for (JsonObject o : followerStatus) {
      Double theirs = o.getDouble("first_close_s");
      if (theirs != null && (mine == null || theirs < mine)) mine = theirs;
    }
    return mine;
  }

  private int open() {
    return (int) sum(g -> g.open.get());
  }

  private long sum(ToLongFunction<ClientGroup> f) {
    long n = 0;
    for (ClientGroup g : groups) n += f.applyAsLong(g);
    return n;
  }

  private String firstServerError() {
    return groups.stream().map(g -> g.firstServerError).filter(e -> e != null).findFirst().orElse(null);
  }

  private void emit(JsonObject line) throws IOException {
    String text = line.encode();
    System.out.println(text);
    System.out.flush();
    if (!opt.out().isEmpty()) {
      Files.writeString(Path.of(opt.out()), text + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
  }

  private void closeAll() {
    for (Follower f : followers) f.stop();
    for (ClientGroup g : groups) {
      try {
        await(g.closeAll(), 10);
      } catch (RuntimeException e) {
        // closing is best effort
      }
    }
    try {
      if (publisher != null) await(publisher.close(), 20);
      await(clientVertx.close(), 20);
    } catch (RuntimeException e) {
      // the process exits anyway
    }
  }

  static <T> T await(Future<T> f, double seconds) {
    try {
      return f.toCompletionStage().toCompletableFuture().get((long) (seconds * 1000), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (Exception e) {
      throw new IllegalStateException(e.getCause() != null ? e.getCause().toString() : e.toString(), e);
    }
  }

  private static void sleep(double seconds) throws InterruptedException {
    Thread.sleep((long) (seconds * 1000));
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }

  private static double orZero(Double d) {
    return d == null ? 0 : d;
  }

  private static long orZero(Long l) {
    return l == null ? 0 : l;
  }

  private static String firstNonNull(String first, List<String> rest) {
    if (first != null) return first;
    return rest.stream().filter(s -> s != null).findFirst().orElse(null);
  }

  private static void startWatchdog(double maxRuntimeS) {
    Thread t = new Thread(() -> {
      try {
        Thread.sleep((long) (maxRuntimeS * 1000));
        System.err.println("livegate-bench: max runtime " + maxRuntimeS + " s exceeded");
        Runtime.getRuntime().halt(3);
      } catch (InterruptedException e) {
        // exits with the process
      }
    }, "watchdog");
    t.setDaemon(true);
    t.start();
  }

  // ------------------------------------------------------------------ a second generator process

  /** Another generator process holding a share of the clients (idle mode past one process's fd limit). */
  private static final class Follower {
    private final Process process;
    private final CompletableFuture<JsonObject> ready = new CompletableFuture<>();
    private volatile CompletableFuture<JsonObject> status = new CompletableFuture<>();

    private Follower(Process process) {
      this.process = process;
      Thread reader = new Thread(this::readLines, "follower-" + process.pid());
      reader.setDaemon(true);
      reader.start();
    }

    static Follower start(BenchOptions opt, int start, int count) throws IOException {
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElse("java"));
      cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
      String cp = System.getProperty("java.class.path");
      if (cp.endsWith(".jar") && !cp.contains(java.io.File.pathSeparator)) {
        cmd.add("-jar");
        cmd.add(cp);
      } else {
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add(LoadGenerator.class.getName());
      }
      cmd.addAll(opt.raw());
      cmd.addAll(List.of("--follower", "--client-range", start + ":" + count, "--out=", "--pids=", "--heap=false"));
      return new Follower(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
    }

    long pid() {
      return process.pid();
    }

    JsonObject awaitReady(double seconds) throws Exception {
      return ready.get((long) (seconds * 1000), TimeUnit.MILLISECONDS);
    }

    private void readLines() {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          if (!line.startsWith(FOLLOWER_TAG)) continue;
          JsonObject o = new JsonObject(line);
          if ("status".equals(o.getValue("follower"))) status.complete(o);
          else ready.complete(o);
        }
      } catch (IOException e) {
        // the process is gone; awaitReady times out or has its answer
      }
      ready.completeExceptionally(new IllegalStateException("the follower process ended before it was ready"));
    }

    /** Its clients now: open, closed by the server; empty if it does not answer within 10 s. */
    JsonObject askStatus() {
      status = new CompletableFuture<>();
      try {
        process.getOutputStream().write("status\n".getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
        return status.get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        return new JsonObject();
      }
    }

    void stop() {
      try {
        process.getOutputStream().close();
        if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly();
      } catch (IOException | InterruptedException e) {
        process.destroyForcibly();
      }
    }
  }
}
