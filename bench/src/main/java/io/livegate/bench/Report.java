package io.livegate.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Markdown tables and SVG plots from result lines, of this generator and of the peers' loadgen alike.
 *
 * <pre>java -cp livegate-bench.jar io.livegate.bench.Report results/x.jsonl [--md x.md] [--plots results/x]</pre>
 *
 * Labels are {@code <system>/<part>[/<repeat>]} with part a-latency, b-throughput or c-idle-*; a meta line
 * starts a run. The summary puts the systems side by side; the plots are latency percentiles against
 * deliveries per second (part b) and node memory against connections (part c).
 */
public final class Report {
  private static final double[] PERCENTILES = {50, 90, 99, 99.9};
  private static final String[] PCT_FIELDS = {"p50_ms", "p90_ms", "p99_ms", "p999_ms"};

  private final List<JsonObject> metas = new ArrayList<>();
  private final List<JsonObject> lines = new ArrayList<>(); // each with "_run" (1-based)

  public static void main(String[] args) throws IOException {
    Report report = new Report();
    String md = null;
    String plots = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--md" -> md = args[++i];
        case "--plots" -> plots = args[++i];
        default -> report.read(Path.of(args[i]));
      }
    }
    String text = report.markdown(plots == null ? null : Path.of(plots).getFileName().toString());
    System.out.println(text);
    if (md != null) Files.writeString(Path.of(md), text);
    if (plots != null) {
      SvgChart latency = report.latencyChart();
      if (!latency.isEmpty()) Files.writeString(Path.of(plots + "-latency.svg"), latency.render());
      SvgChart memory = report.memoryChart();
      if (!memory.isEmpty()) Files.writeString(Path.of(plots + "-memory.svg"), memory.render());
    }
  }

  void read(Path file) throws IOException {
    for (String line : Files.readAllLines(file)) {
      if (line.isBlank()) continue;
      JsonObject r = new JsonObject(line);
      if (r.containsKey("meta")) {
        metas.add(r);
      } else {
        if (metas.isEmpty()) metas.add(new JsonObject());
        lines.add(r.put("_run", metas.size()));
      }
    }
  }

  // ------------------------------------------------------------------ how lines are read

  static String system(JsonObject r) {
    return r.getString("label", "?").split("/")[0];
  }

  static String part(JsonObject r) {
    String[] p = r.getString("label", "?/?").split("/");
    return p.length > 1 ? p[1] : "?";
  }

  static String client(JsonObject r) {
    if ("livegate-bench".equals(r.getString("tool"))) {
      return "java ×" + r.getValue("threads") + (r.getInteger("processes", 1) > 1 ? " ×" + r.getValue("processes") + " proc" : "")
          + ", " + r.getString("publish_mode", "rest") + " publish";
    }
    int workers = r.getInteger("workers", 1);
    return "node " + r.getString("target") + (workers > 1 ? " ×" + workers : "");
  }

  private List<String> systems() {
    return lines.stream().map(Report::system).distinct().toList();
  }

  private List<JsonObject> of(String system, String partPrefix) {
    return lines.stream().filter(r -> system.equals(system(r)) && part(r).startsWith(partPrefix)).toList();
  }

  /** Lines of one part grouped by run, system and client, in order of appearance. */
  private Map<String, List<JsonObject>> groups(String partPrefix) {
    return lines.stream().filter(r -> part(r).startsWith(partPrefix))
        .collect(Collectors.groupingBy(r -> r.getInteger("_run") + "|" + system(r) + "|" + part(r) + "|" + client(r),
            LinkedHashMap::new, Collectors.toList()));
  }

  private static double d(JsonObject r, String k) {
    Object v = r.getValue(k);
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private static double sum(JsonObject r, String k) {
    JsonObject o = r.getJsonObject(k);
    if (o == null || o.isEmpty()) return Double.NaN;
    double s = 0;
    for (String key : o.fieldNames()) {
      Object v = o.getValue(key);
      if (!(v instanceof Number n)) return Double.NaN;
      s += n.doubleValue();
    }
    return s;
  }

  private static double serversCpuPct(JsonObject r) {
    return 100 * sum(r, "server_cpu_s") / d(r, "window_s");
  }

  static double median(List<Double> xs) {
    List<Double> s = xs.stream().filter(x -> x != null && !Double.isNaN(x)).sorted().toList();
    if (s.isEmpty()) return Double.NaN;
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  private static double medianOf(List<JsonObject> rs, Function<JsonObject, Double> f) {
    return median(rs.stream().map(f).toList());
  }

  static String fmt(double x, int digits) {
    return Double.isNaN(x) ? "–" : String.format(Locale.ROOT, "%." + digits + "f", x);
  }

  static String thousands(double x) {
    return Double.isNaN(x) ? "–" : String.format(Locale.ROOT, "%,d", Math.round(x));
  }

  private static String table(List<String> head, List<List<String>> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(String.join(" | ", head)).append(" |\n");
    sb.append("|").append(" --- |".repeat(head.size())).append("\n");
    for (List<String> row : rows) sb.append("| ").append(String.join(" | ", row)).append(" |\n");
    return sb.toString();
  }

  // ------------------------------------------------------------------ the summary, side by side

  /** The highest step of (b) with no loss and p99 within the limit, or null. */
  private JsonObject highestHeld(String system, double p99LimitMs) {
    return of(system, "b-").stream()
        .filter(r -> d(r, "loss_pct") == 0 && d(r, "p99_ms") <= p99LimitMs)
        .max(Comparator.comparingDouble(r -> d(r, "rate"))).orElse(null);
  }

  private JsonObject firstFailed(String system, double p99LimitMs) {
    return of(system, "b-").stream()
        .filter(r -> d(r, "loss_pct") > 0 || d(r, "p99_ms") > p99LimitMs)
        .min(Comparator.comparingDouble(r -> d(r, "rate"))).orElse(null);
  }

  private static String step(JsonObject r) {
    if (r == null) return "–";
    String s = fmt(d(r, "rate"), 0) + " msg/s = " + thousands(d(r, "deliveries_per_s")) + " deliveries/s (p99 " + fmt(d(r, "p99_ms"), 1) + " ms";
    if (d(r, "loss_pct") > 0) s += ", loss " + fmt(d(r, "loss_pct"), 2) + " %";
    return s + ")";
  }

  private String summary() {
    List<String> systems = systems();
    List<String> head = new ArrayList<>(List.of(""));
    head.addAll(systems);
    List<List<String>> rows = new ArrayList<>();
    rows.add(row("client", systems, s -> lines.stream().filter(r -> system(r).equals(s)).map(Report::client).distinct()
        .collect(Collectors.joining("; "))));
    rows.add(row("(a) p50 / p90 / p99 ms (median of the repeats)", systems, s -> {
      List<JsonObject> a = of(s, "a-");
      if (a.isEmpty()) return "–";
      return fmt(medianOf(a, r -> d(r, "p50_ms")), 1) + " / " + fmt(medianOf(a, r -> d(r, "p90_ms")), 1) + " / "
          + fmt(medianOf(a, r -> d(r, "p99_ms")), 1);
    }));
    rows.add(row("(a) p99 range over the repeats; max ms", systems, s -> {
      List<JsonObject> a = of(s, "a-");
      if (a.isEmpty()) return "–";
      return fmt(a.stream().mapToDouble(r -> d(r, "p99_ms")).min().orElse(Double.NaN), 1) + "–"
          + fmt(a.stream().mapToDouble(r -> d(r, "p99_ms")).max().orElse(Double.NaN), 1) + "; "
          + fmt(a.stream().mapToDouble(r -> d(r, "max_ms")).max().orElse(Double.NaN), 0);
    }));
    rows.add(row("(a) lost of expected", systems, s -> {
      List<JsonObject> a = of(s, "a-");
      if (a.isEmpty()) return "–";
      double expected = a.stream().mapToDouble(r -> d(r, "expected")).sum();
      double delivered = a.stream().mapToDouble(r -> d(r, "delivered")).sum();
      return thousands(expected - delivered) + " of " + thousands(expected);
    }));
    rows.add(row("(a) CPU % of a core: both nodes / loadgen", systems, s -> {
      List<JsonObject> a = of(s, "a-");
      return a.isEmpty() ? "–" : fmt(medianOf(a, Report::serversCpuPct), 0) + " / " + fmt(medianOf(a, r -> d(r, "loadgen_cpu_pct")), 0);
    }));
    rows.add(row("(b) highest rate held, no loss, p99 ≤ 250 ms", systems, s -> step(highestHeld(s, 250))));
    rows.add(row("(b) highest rate held, no loss, p99 < 1 s", systems, s -> step(highestHeld(s, 999.999))));
    rows.add(row("(b) first rate beyond that (loss or p99 ≥ 1 s)", systems, s -> step(firstFailed(s, 999.999))));
    rows.add(row("(b) most deliveries/s in a step", systems, s -> {
      List<JsonObject> b = of(s, "b-");
      return b.isEmpty() ? "–" : thousands(b.stream().mapToDouble(r -> d(r, "deliveries_per_s")).max().orElse(Double.NaN));
    }));
    rows.add(row("(b) messages never delivered", systems, s -> {
      List<JsonObject> b = of(s, "b-");
      return b.isEmpty() ? "–" : thousands(b.stream().mapToDouble(r -> d(r, "never_delivered")).sum());
    }));
    for (String c : new String[] {"c-idle-10k", "c-idle-10k-warm", "c-idle-20k"}) {
      String n = c.endsWith("10k") ? "10,000" : c.endsWith("warm") ? "10,000 again (warm: same nodes)" : "20,000";
      rows.add(row("(c) " + n + " idle: connected / failed", systems, s -> idle(s, c, r ->
          thousands(d(r, "connected")) + " / " + thousands(d(r, "connect_failures")))));
      rows.add(row("(c) " + n + " idle: node RSS per connection KiB (as found; after a forced GC)", systems, s -> idle(s, c, r ->
          (r.containsKey("rss_nogc_per_conn_bytes") ? fmt(d(r, "rss_nogc_per_conn_bytes") / 1024, 1) + "; " + fmt(d(r, "rss_per_conn_bytes") / 1024, 1)
              : fmt(d(r, "rss_per_conn_bytes") / 1024, 1) + "; –"))));
      rows.add(row("(c) " + n + " idle: node heap per connection KiB (after forced GC)", systems, s -> idle(s, c, r ->
          fmt(d(r, "heap_per_conn_bytes") / 1024, 1))));
      rows.add(row("(c) " + n + " idle: connect time s", systems, s -> idle(s, c, r -> fmt(d(r, "connect_time_s"), 1))));
    }
    return table(head, rows);
  }

  private String idle(String system, String part, Function<JsonObject, String> f) {
    List<JsonObject> c = lines.stream().filter(r -> system.equals(system(r)) && r.getString("label", "").endsWith("/" + part)).toList();
    return c.isEmpty() ? "–" : c.stream().map(f).collect(Collectors.joining(" · "));
  }

  private static List<String> row(String name, List<String> systems, Function<String, String> cell) {
    List<String> r = new ArrayList<>(List.of(name));
    for (String s : systems) r.add(cell.apply(s));
    return r;
  }

  // ------------------------------------------------------------------ the detail tables

  String markdown(String plotPrefix) {
    StringBuilder sb = new StringBuilder();
    sb.append("### Summary\n\n").append(summary());
    Map<String, List<JsonObject>> a = groups("a-");
    if (!a.isEmpty()) {
      sb.append("\n### (a) latency (median of the repeats)\n\n");
      List<List<String>> rows = new ArrayList<>();
      a.forEach((k, rs) -> {
        List<Double> p99 = rs.stream().map(r -> d(r, "p99_ms")).toList();
        rows.add(List.of(k.split("\\|")[0], system(rs.get(0)), client(rs.get(0)), thousands(d(rs.get(0), "clients")),
            fmt(d(rs.get(0), "rate"), 0), Integer.toString(rs.size()),
            rs.stream().map(r -> thousands(d(r, "delivered"))).collect(Collectors.joining(", ")) + " / " + thousands(d(rs.get(0), "expected")),
            fmt(medianOf(rs, r -> d(r, "loss_pct")), 3), fmt(medianOf(rs, r -> d(r, "p50_ms")), 2), fmt(medianOf(rs, r -> d(r, "p90_ms")), 2),
            fmt(median(p99), 2) + " (" + fmt(p99.stream().mapToDouble(x -> x).min().orElse(Double.NaN), 2) + "–"
                + fmt(p99.stream().mapToDouble(x -> x).max().orElse(Double.NaN), 2) + ")",
            fmt(medianOf(rs, r -> d(r, "p999_ms")), 2), fmt(medianOf(rs, r -> d(r, "max_ms")), 1),
            fmt(medianOf(rs, r -> d(r, "connect_time_s")), 2), fmt(medianOf(rs, r -> d(r, "loadgen_cpu_pct")), 0),
            fmt(medianOf(rs, Report::serversCpuPct), 0), fmt(medianOf(rs, r -> d(r, "host_cpu_busy_pct")), 0)));
      });
      sb.append(table(List.of("run", "system", "client", "clients", "msg/s", "repeats", "delivered / expected", "loss %", "p50 ms",
          "p90 ms", "p99 ms (range)", "p99.9 ms", "max ms", "connect s", "loadgen CPU %", "nodes CPU %", "host busy %"), rows));
    }
    Map<String, List<JsonObject>> b = groups("b-");
    if (!b.isEmpty()) {
      sb.append("\n### (b) throughput: the rate ladder\n\n");
      List<List<String>> rows = new ArrayList<>();
      b.forEach((k, rs) -> rs.forEach(r -> rows.add(List.of(k.split("\\|")[0], system(r), client(r), fmt(d(r, "rate"), 0),
          thousands(d(r, "deliveries_per_s")), fmt(d(r, "loss_pct"), 2) + " (" + thousands(d(r, "never_delivered")) + ")",
          fmt(d(r, "p50_ms"), 1), fmt(d(r, "p90_ms"), 1), fmt(d(r, "p99_ms"), 1), fmt(d(r, "p999_ms"), 1), fmt(d(r, "max_ms"), 1),
          fmt(d(r, "publish_lag_max_ms"), 0), fmt(d(r, "loadgen_cpu_pct"), 0), fmt(d(r, "loadgen_eld_p99_ms"), 0),
          fmt(serversCpuPct(r), 0), fmt(d(r, "host_cpu_busy_pct"), 0), r.getString("stopped", "")))));
      sb.append(table(List.of("run", "system", "client", "msg/s", "deliveries/s", "loss % (never)", "p50 ms", "p90 ms", "p99 ms",
          "p99.9 ms", "max ms", "publish late max ms", "loadgen CPU %", "loadgen ELD p99 ms", "nodes CPU %", "host busy %", "stopped"), rows));
    }
    Map<String, List<JsonObject>> c = groups("c-");
    if (!c.isEmpty()) {
      sb.append("\n### (c) idle connections: what they cost the nodes\n\n");
      List<List<String>> rows = new ArrayList<>();
      c.forEach((k, rs) -> rs.stream().filter(r -> !r.getString("label").endsWith("/1")).forEach(r -> {
        boolean forcedGc = r.containsKey("rss_nogc_per_conn_bytes"); // the Java generator; the peers' reads RSS as found
        rows.add(List.of(k.split("\\|")[0], system(r), r.getString("label").substring(system(r).length() + 1),
            client(r), thousands(d(r, "connected")), thousands(d(r, "connect_failures")), r.getValue("ready") == null ? "–" : thousands(d(r, "ready")),
            fmt(d(r, "connect_time_s"), 1), fmt(sum(r, "rss_before_kb") / 1024, 1),
            fmt(sum(r, forcedGc ? "rss_nogc_after_kb" : "rss_after_kb") / 1024, 1),
            fmt(d(r, forcedGc ? "rss_nogc_per_conn_bytes" : "rss_per_conn_bytes") / 1024, 2),
            forcedGc ? fmt(d(r, "rss_per_conn_bytes") / 1024, 2) : "–",
            fmt(sum(r, "heap_before_kb") / 1024, 1), fmt(sum(r, "heap_after_kb") / 1024, 1), fmt(d(r, "heap_per_conn_bytes") / 1024, 2),
            fmt(d(r, "loadgen_rss_kb") / 1024, 0)));
      }));
      sb.append(table(List.of("run", "system", "part", "client", "connections", "failed", "ready", "connect s", "nodes RSS before MiB",
          "nodes RSS after MiB", "RSS per conn KiB", "RSS per conn KiB, forced GC", "nodes heap before MiB", "nodes heap after MiB",
          "heap per conn KiB (forced GC)", "loadgen RSS MiB"), rows));
      sb.append("\nRSS \"after\" and per connection as found; the Java generator also forces a GC in each node (jcmd GC.run) "
          + "and reads RSS and heap after it (before connecting it always does). The peers' loadgen reads RSS as found only "
          + "(Node exposes no heap figure to it). 20k with the peers' loadgen: two processes of 10,000; the c-idle-20k/2 row is "
          + "the second 10,000 alone (RSS before = with the first 10,000 connected), the c-idle-20k row joins both.\n");
    }
    if (plotPrefix != null && !latencyChart().isEmpty()) {
      sb.append("\n![latency percentiles against deliveries per second](").append(plotPrefix).append("-latency.svg)\n");
    }
    if (plotPrefix != null && !memoryChart().isEmpty()) {
      sb.append("\n![node memory against connections](").append(plotPrefix).append("-memory.svg)\n");
    }
    if (!metas.isEmpty()) {
      sb.append("\nRuns: ");
      List<String> runs = new ArrayList<>();
      for (int i = 0; i < metas.size(); i++) {
        JsonObject m = metas.get(i);
        runs.add((i + 1) + " at " + m.getString("ts", "?") + " (load average " + m.getValue("loadavg") + ")");
      }
      sb.append(String.join("; ", runs)).append(".\n");
      JsonObject m = metas.get(metas.size() - 1);
      sb.append("Machine: ").append(m.getValue("host_cpus")).append(" × ").append(m.getString("cpu_model")).append(", ")
          .append(m.getValue("mem_gib")).append(" GiB, Linux ").append(m.getString("kernel")).append(", ").append(m.getString("java"))
          .append(". ");
      m.fieldNames().stream().filter(k -> !List.of("meta", "ts", "host_cpus", "cpu_model", "mem_gib", "kernel", "java", "loadavg").contains(k))
          .sorted().forEach(k -> sb.append(k).append(": `").append(m.getValue(k)).append("`. "));
      sb.append("\n");
    }
    return sb.toString();
  }

  // ------------------------------------------------------------------ plots

  SvgChart latencyChart() {
    SvgChart chart = new SvgChart("Latency against delivery rate (part b)", "deliveries per second", "latency ms", true);
    List<String> series = lines.stream().filter(r -> part(r).startsWith("b-")).map(r -> system(r) + " · " + client(r)).distinct().toList();
    for (int s = 0; s < series.size(); s++) {
      String key = series.get(s);
      List<JsonObject> rs = lines.stream().filter(r -> part(r).startsWith("b-") && key.equals(system(r) + " · " + client(r))).toList();
      for (int p = 0; p < PERCENTILES.length; p++) {
        String field = PCT_FIELDS[p];
        List<double[]> pts = rs.stream().filter(r -> !Double.isNaN(d(r, field)))
            .map(r -> new double[] {d(r, "deliveries_per_s"), d(r, field)}).toList();
        String pct = PERCENTILES[p] == 99.9 ? "p99.9" : "p" + (int) PERCENTILES[p];
        chart.add(system(rs.get(0)) + " " + pct, pts, SvgChart.COLORS[p], SvgChart.DASHES[s % SvgChart.DASHES.length]);
      }
    }
    if (series.size() > 1) {
      for (int s = 0; s < series.size(); s++) {
        chart.note((SvgChart.DASHES[s % SvgChart.DASHES.length].isEmpty() ? "solid" : "dash " + SvgChart.DASHES[s % SvgChart.DASHES.length])
            + ": " + series.get(s));
      }
    }
    return chart;
  }

  SvgChart memoryChart() {
    SvgChart chart = new SvgChart("Node memory against idle connections (part c, both nodes)", "connections", "MiB", false);
    List<String> systems = lines.stream().filter(r -> part(r).startsWith("c-")).map(Report::system).distinct().toList();
    int color = 0;
    for (String s : systems) {
      List<JsonObject> rs = lines.stream().filter(r -> s.equals(system(r)) && part(r).startsWith("c-")
          && !r.getString("label").matches(".*/\\d+$")).toList();
      for (String[] kind : new String[][] {{"rss", "RSS, forced GC"}, {"rss_nogc", "RSS as found"}, {"heap", "heap, forced GC"}}) {
        List<double[]> pts = new ArrayList<>();
        for (JsonObject r : rs) {
          String beforeKey = kind[0].equals("rss_nogc") ? "rss_before_kb" : kind[0] + "_before_kb";
          String afterKey = kind[0] + "_after_kb";
          if (kind[0].equals("rss") && !r.containsKey("rss_nogc_after_kb")) continue; // peers: "as found"
          if (kind[0].equals("rss_nogc") && !r.containsKey("rss_nogc_after_kb")) afterKey = "rss_after_kb";
          double before = sum(r, beforeKey);
          double after = sum(r, afterKey);
          if (Double.isNaN(before) || Double.isNaN(after)) continue;
          pts.add(new double[] {0, before / 1024});
          pts.add(new double[] {d(r, "connected"), after / 1024});
        }
        // One line per kind: the baseline (lowest 0-connection point) and each run's "after".
        List<double[]> line = new ArrayList<>();
        pts.stream().filter(p -> p[0] == 0).min(Comparator.comparingDouble(p -> p[1])).ifPresent(line::add);
        pts.stream().filter(p -> p[0] > 0).forEach(line::add);
        if (line.size() > 1) {
          chart.add(s + ": " + kind[1], line, SvgChart.COLORS[color % SvgChart.COLORS.length],
              SvgChart.DASHES[Arrays.asList("rss", "rss_nogc", "heap").indexOf(kind[0])]);
        }
      }
      color++;
    }
    return chart;
  }

  @Override
  public String toString() {
    return Objects.toString(lines.size()) + " lines";
  }
}
