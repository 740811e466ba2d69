package io.livegate.core;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What the cluster keeps of the publications on the addresses {@code --history-addresses} names: the last
 * {@code --history-size} of each, for {@code --history-ttl-ms}, numbered cluster-wide ({@code offset}: 1, 2, 3...
 * within an {@code epoch}, which changes only when the address's history had to start over). Any node serves it,
 * and the death of one node loses none of it. The launcher's implementation keeps it in Hazelcast.
 */
public interface PublicationHistory {

  /** A node without history: no address keeps one. */
  PublicationHistory NONE = new PublicationHistory() {
    @Override public boolean keeps(String address) {
      return false;
    }
    @Override public Future<Stamp> append(String address, String body, JsonObject headers) {
      return Future.failedFuture(new IllegalStateException("no history is kept for " + address));
    }
    @Override public Future<Window> read(String address, long since) {
      return Future.succeededFuture(Window.EMPTY);
    }
  };

  /** Whether publications on {@code address} are kept (and numbered). */
  boolean keeps(String address);

  /** Keeps a publication (its body as JSON text, its headers or null); answers its place in the address's history. */
  Future<Stamp> append(String address, String body, JsonObject headers);

  /** The publications kept on {@code address} after {@code since}, oldest first, with the history's epoch and newest offset. */
  Future<Window> read(String address, long since);

  /** Where a publication went in its address's history. */
  record Stamp(long offset, String epoch) {}

  /** A kept publication: its offset, its body as JSON text, its headers (or null). */
  record Kept(long offset, String body, JsonObject headers) {}

  /**
   * What a read found.
   *
   * @param epoch   the history's epoch, or null if the address has none (nothing was ever kept, or it was dropped)
   * @param newest  the offset of its newest publication (0: none yet)
   * @param oldest  the offset of the oldest it still keeps (newest + 1 when it keeps none)
   * @param entries the kept publications after the {@code since} asked for, oldest first
   */
  record Window(String epoch, long newest, long oldest, List<Kept> entries) {
    public static final Window EMPTY = new Window(null, 0, 1, List.of());

    /** Does it hold every publication after {@code since} (nothing expired or evicted in between)? */
    public boolean coversSince(long since) {
      return since + 1 >= oldest && since <= newest
          && (entries.isEmpty() ? since == newest : entries.get(0).offset() == since + 1
              && entries.get(entries.size() - 1).offset() == newest && entries.size() == newest - since);
    }
  }

  /** The addresses a history setting names: each regex must match the whole address. */
  static boolean matches(List<Pattern> patterns, String address) {
    for (Pattern pattern : patterns) {
      if (pattern.matcher(address).matches()) return true;
    }
    return false;
  }
}
