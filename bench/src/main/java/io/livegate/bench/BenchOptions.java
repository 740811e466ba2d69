package io.livegate.bench;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The load generator's flags, parsed once. The names follow the peers' loadgen where they mean the same. */
record BenchOptions(
    List<URI> urls,
    String publishMode,
    String publishUrl,
    String clusterName,
    List<String> members,
    String clusterHost,
    int clusterPort,
    String clusterConfig,
    String channel,
    int channels,
    int clients,
    int threads,
    String mode,
    List<Double> rates,
    double durationS,
    double warmupS,
    double warmupRate,
    double stopLossPct,
    double stopP99Ms,
    double drainS,
    double straggleS,
    double settleS,
    int connectConcurrency,
    int connectTimeoutMs,
    double probeTimeoutS,
    int maxInflight,
    int publishConnections,
    double maxRuntimeS,
    List<String> localAddresses,
    Map<String, Long> pids,
    boolean heap,
    boolean nativeTransport,
    int processes,
    int payload,
    String label,
    String out,
    int rangeStart,
    int rangeCount,
    boolean follower,
    List<String> raw) {

  static final String USAGE = """
      livegate-bench: N WebSocket clients over the nodes' bridges, one publisher at fixed rates; one JSON line
      per rate step (or one per run with --mode idle) on stdout, also appended to --out.

        java -jar bench/target/livegate-bench.jar --urls ws://127.0.0.1:8080/eventbus/websocket,ws://127.0.0.1:8082/eventbus/websocket \\
             --publish-url 'http://127.0.0.1:8081/api/publish/{channel}' --clients 1000 --rates 20 --duration 20 \\
             --pids node1=PID1,node2=PID2 --label x/a-latency --out bench/results/x.jsonl

      Client i connects to URL i mod n (raw WebSocket, Vert.x bridge frames), registers on channel i mod
      --channels, pings every 5 s, and lives on client thread i mod --threads. The publisher has its own
      thread and event loop; each message carries its SCHEDULED send time (System.nanoTime of this process),
      so a late publisher counts against the latency (no coordinated omission).

        --urls                   bridge WebSocket URLs (ws://host:port/eventbus/websocket), comma separated
        --publish-mode           rest (POST --publish-url) | cluster (a Hazelcast cluster member publishing
                                 on the event bus) | cluster-kept (a cluster member sending each to
                                 livegate.publish: kept and numbered like REST's)      default rest
        --publish-url            template with {channel}, e.g. http://127.0.0.1:8081/api/publish/{channel}
        --cluster-name, --members, --cluster-host, --cluster-port, --cluster-config
                                 cluster mode: join like a node (defaults: livegate, 127.0.0.1, 127.0.0.1,
                                 5701, the nodes' cluster.xml packaged in this jar)
        --channel, --channels    address template and count                default public.bench.{i}, 1
        --clients, --threads     connections, and the event-loop threads that hold them   default 1000, 2
        --mode                   fanout | idle (connect, register, probe, settle, measure memory)
        --rates, --duration      rate ladder (messages/s) and seconds per step         default 20, 20
        --warmup-s, --warmup-rate  unmeasured traffic first          default 0, half the first rate
        --stop-loss-pct, --stop-p99-ms  stop the ladder after a step beyond these   default 1, 1000
        --drain-s, --straggle-s  wait for deliveries after the last publish; then for stragglers
                                                                              default 5, 15
        --settle-s               wait after the probe before measuring memory          default 2
        --connect-concurrency, --connect-timeout-ms                            default 32, 10000
        --probe-timeout-s        every client must receive a probe within this        default 15
        --max-inflight           unanswered REST publishes before a publish counts as failed  default 2000
        --publish-connections    the REST publisher's kept-alive HTTP/1.1 connections (no pipelining): it
                                 holds at most this many publishes unanswered at once     default 16
        --max-runtime-s          hard limit of the whole run                            default 600
        --local-addresses        source addresses to spread clients over (127.0.0.2,...)
        --pids                   name=PID,... of the nodes: RSS, heap and CPU are reported for these
        --heap                   true | false: forced GC and used heap (jcmd) before and after connecting
                                                                              default true
        --native-transport       true | false: epoll for the clients and the REST publisher   default true
        --processes              idle mode: hold the clients in this many generator processes (the fd
                                 limit is 20,000 per process)                           default 1
        --payload                extra bytes of padding per message                     default 0
        --label, --out           tag of the result lines; file to append them to
      """;

  static final class BadOption extends RuntimeException {
    BadOption(String message) {
      super(message);
    }
  }

  private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static {
    String[][] d = {
        {"urls", ""}, {"publish-mode", "rest"}, {"publish-url", ""}, {"cluster-name", "livegate"},
        {"members", "127.0.0.1"}, {"cluster-host", "127.0.0.1"}, {"cluster-port", "5701"}, {"cluster-config", ""},
        {"channel", "public.bench.{i}"}, {"channels", "1"}, {"clients", "1000"}, {"threads", "2"},
        {"mode", "fanout"}, {"rates", "20"}, {"duration", "20"}, {"warmup-s", "0"}, {"warmup-rate", "0"},
        {"stop-loss-pct", "1"}, {"stop-p99-ms", "1000"}, {"drain-s", "5"}, {"straggle-s", "15"},
        {"settle-s", "2"}, {"connect-concurrency", "32"}, {"connect-timeout-ms", "10000"},
        {"probe-timeout-s", "15"}, {"max-inflight", "2000"}, {"publish-connections", "16"},
        {"max-runtime-s", "600"},
        {"local-addresses", ""}, {"pids", ""}, {"heap", "true"}, {"native-transport", "true"}, {"processes", "1"}, {"payload", "0"},
        {"label", ""}, {"out", ""}, {"client-range", ""}, {"follower", "false"}, {"help", "false"},
    };
    for (String[] e : d) DEFAULTS.put(e[0], e[1]);
  }

  /** Null when --help was asked for. */
  static BenchOptions parse(String[] args) {
    Map<String, String> v = new LinkedHashMap<>(DEFAULTS);
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) throw new BadOption("unexpected argument " + a);
      String name = a.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (name.equals("help") || name.equals("follower")) {
        value = "true";
      } else {
        if (i + 1 >= args.length) throw new BadOption("--" + name + " needs a value");
        value = args[++i];
      }
      if (!DEFAULTS.containsKey(name)) throw new BadOption("unknown option --" + name);
      v.put(name, value);
    }
    if (Boolean.parseBoolean(v.get("help"))) return null;

    List<URI> urls = new ArrayList<>();
    for (String u : list(v.get("urls"))) {
      URI uri = URI.create(u);
      if (!"ws".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
        throw new BadOption("--urls: " + u + " is not ws://host:port/path");
      }
      urls.add(uri);
    }
    if (urls.isEmpty()) throw new BadOption("--urls is required");
    String publishMode = v.get("publish-mode");
    if (!List.of("rest", "cluster", "cluster-kept").contains(publishMode)) {
      throw new BadOption("--publish-mode is rest, cluster or cluster-kept");
    }
    if (publishMode.equals("rest") && !v.get("publish-url").contains("{channel}")) {
      throw new BadOption("--publish-url (with {channel}) is required in rest mode");
    }
    String mode = v.get("mode");
    if (!mode.equals("fanout") && !mode.equals("idle")) throw new BadOption("--mode is fanout or idle");
    List<Double> rates = list(v.get("rates")).stream().map(r -> positive("rates", r)).toList();
    if (rates.isEmpty()) throw new BadOption("--rates needs at least one rate");
    int clients = (int) number(v, "clients", 1, 1_000_000);
    int processes = (int) number(v, "processes", 1, 16);
    if (processes > 1 && !mode.equals("idle")) throw new BadOption("--processes > 1 needs --mode idle");
    int rangeStart = 0;
    int rangeCount = clients;
    if (!v.get("client-range").isEmpty()) {
      String[] r = v.get("client-range").split(":");
      rangeStart = Integer.parseInt(r[0]);
      rangeCount = Integer.parseInt(r[1]);
    }
    double warmupRate = number(v, "warmup-rate", 0, 1e6);
    return new BenchOptions(urls, publishMode, v.get("publish-url"), v.get("cluster-name"), list(v.get("members")),
        v.get("cluster-host"), (int) number(v, "cluster-port", 1, 65535),
        v.get("cluster-config").isEmpty() ? null : v.get("cluster-config"),
        v.get("channel"), (int) number(v, "channels", 1, 1_000_000), clients,
        (int) number(v, "threads", 1, 64), mode, rates, number(v, "duration", 0.1, 3600),
        number(v, "warmup-s", 0, 3600), warmupRate > 0 ? warmupRate : rates.get(0) / 2,
        number(v, "stop-loss-pct", 0, 100), number(v, "stop-p99-ms", 0, 1e7), number(v, "drain-s", 0, 600),
        number(v, "straggle-s", 0, 600), number(v, "settle-s", 0, 600),
        (int) number(v, "connect-concurrency", 1, 100_000), (int) number(v, "connect-timeout-ms", 1, 600_000),
        number(v, "probe-timeout-s", 0, 600), (int) number(v, "max-inflight", 1, 1_000_000),
        (int) number(v, "publish-connections", 1, 4096),
        number(v, "max-runtime-s", 1, 86_400), list(v.get("local-addresses")), pids(v.get("pids")),
        Boolean.parseBoolean(v.get("heap")), Boolean.parseBoolean(v.get("native-transport")), processes, (int) number(v, "payload", 0, 1_000_000),
        v.get("label"), v.get("out"), rangeStart, rangeCount, Boolean.parseBoolean(v.get("follower")),
        List.of(args));
  }

  /** The address of channel k. */
  String channelAddress(int k) {
    return channel.replace("{i}", Integer.toString(k));
  }

  private static List<String> list(String s) {
    return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  private static double positive(String name, String s) {
    try {
      double d = Double.parseDouble(s);
      if (d > 0) return d;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadOption("--" + name + ": " + s + " is not a positive number");
  }

  private static double number(Map<String, String> v, String name, double min, double max) {
    try {
      double d = Double.parseDouble(v.get(name));
      if (d >= min && d <= max) return d;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadOption("--" + name + " must be a number from " + min + " to " + max + ", not " + v.get(name));
  }

  private static Map<String, Long> pids(String s) {
    Map<String, Long> m = new LinkedHashMap<>();
    for (String e : list(s)) {
      int eq = e.indexOf('=');
      String name = eq < 0 ? e : e.substring(0, eq);
      try {
        m.put(name, Long.parseLong(eq < 0 ? e : e.substring(eq + 1)));
      } catch (NumberFormatException ex) {
        throw new BadOption("--pids: " + e + " is not name=PID");
      }
    }
    return m;
  }
}
