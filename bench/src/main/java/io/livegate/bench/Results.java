package io.livegate.bench;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** How measured figures become fields of a result line (names shared with the peers' loadgen where they mean the same). */
final class Results {
  private Results() {}

  static Double round(double x, int digits) {
    if (Double.isNaN(x) || Double.isInfinite(x)) return null;
    double f = Math.pow(10, digits);
    return Math.round(x * f) / f;
  }

  /** p50 ... max and mean in milliseconds, from a histogram of microseconds. */
  static JsonObject latencyFields(JsonObject into, Histogram us) {
    if (us.getTotalCount() == 0) {
      for (String k : new String[] {"p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms"}) into.putNull(k);
      return into;
    }
    return into
        .put("p50_ms", ms(us.getValueAtPercentile(50)))
        .put("p90_ms", ms(us.getValueAtPercentile(90)))
        .put("p99_ms", ms(us.getValueAtPercentile(99)))
        .put("p999_ms", ms(us.getValueAtPercentile(99.9)))
        .put("max_ms", ms(us.getMaxValue()))
        .put("mean_ms", round(us.getMean() / 1000.0, 3));
  }

  private static Double ms(long us) {
    return round(us / 1000.0, 3);
  }

  /**
   * Memory of the nodes before and after connecting: per node, and per connection over all nodes
   * ((after - before) summed, divided by the connections: with clients spread evenly that is the
   * growth of one node divided by its own connections).
   */
  static void memoryFields(JsonObject into, Map<String, JsonObject> before, Map<String, JsonObject> after,
      int connected, int nodes) {
    String[][] kinds = {{"rss_kb", "rss"}, {"rss_nogc_kb", "rss_nogc"}, {"heap_kb", "heap"}};
    for (String[] kind : kinds) {
      JsonObject b = new JsonObject();
      JsonObject a = new JsonObject();
      long grown = 0;
      boolean complete = nodes > 0 && connected > 0;
      for (String name : after.keySet()) {
        Long x = before.containsKey(name) ? before.get(name).getLong(kind[0].equals("rss_nogc_kb") ? "rss_kb" : kind[0]) : null;
        Long y = after.get(name).getLong(kind[0]);
        if (!kind[0].equals("rss_nogc_kb")) b.put(name, x);
        a.put(name, y);
        if (x == null || y == null) complete = false;
        else grown += y - x;
      }
      if (!after.isEmpty() && after.values().iterator().next().containsKey(kind[0])) {
        if (!kind[0].equals("rss_nogc_kb")) into.put(kind[1] + "_before_kb", b);
        into.put(kind[1] + "_after_kb", a);
        into.put(kind[1] + "_per_conn_bytes", complete ? Math.round(grown * 1024.0 / connected) : null);
      }
    }
  }
}
