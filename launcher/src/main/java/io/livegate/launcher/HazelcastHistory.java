package io.livegate.launcher;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import io.livegate.core.Addresses;
import io.livegate.core.NodeConfig;
import io.livegate.core.PublicationHistory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.Serial;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The history kept in Hazelcast: one entry per address in the map {@link Addresses#HISTORY_MAP}, on the partition the
 * address hashes to, with one synchronous backup (so the death of one node loses none of it), changed only by entry
 * processors (so each publication's offset is one atomic step on its partition's owner, whichever node publishes,
 * and its backup applies the same step). An address whose entry is gone (both copies lost, evicted, or quiet past its
 * time to live) starts over with a new epoch.
 *
 * <p>Backend services that join the cluster should be lite members (as the README shows): a data member holds part
 * of this map and needs these classes to run the processors.
 */
final class HazelcastHistory implements PublicationHistory {
  private static final long COUNT_EVERY_MS = 10_000;

  private final Vertx vertx;
  private final IMap<String, AddressHistory> map;
  private final NodeConfig.History settings;
  private final List<Pattern> patterns;
  private final Counter appends;
  private final Counter failures;
  private final AtomicLong entriesHeld = new AtomicLong();

  HazelcastHistory(Vertx vertx, HazelcastInstance hazelcast, NodeConfig.History settings, MeterRegistry registry) {
    this.vertx = vertx;
    this.map = hazelcast.getMap(Addresses.HISTORY_MAP);
    this.settings = settings;
    this.patterns = settings.addresses().stream().map(Pattern::compile).toList();
    appends = Counter.builder("livegate.history.appends").description("publications this node kept in the history")
        .register(registry);
    failures = Counter.builder("livegate.history.append.failures")
        .description("publications refused because the history could not keep them (the cluster did not answer)")
        .register(registry);
    Gauge.builder("livegate.history.addresses", map, m -> m.getLocalMapStats().getOwnedEntryCount())
        .description("addresses whose history this node holds the primary copy of").register(registry);
    Gauge.builder("livegate.history.entries", entriesHeld, AtomicLong::get)
        .description("publications in the histories this node holds the primary copy of (counted every 10 s)")
        .register(registry);
    if (settings.enabled()) vertx.setPeriodic(COUNT_EVERY_MS, id -> countEntries());
  }

  @Override
  public boolean keeps(String address) {
    return PublicationHistory.matches(patterns, address);
  }

  @Override
  public Future<Stamp> append(String address, String body, JsonObject headers) {
    Append append = new Append(ThreadLocalRandom.current().nextLong(), newEpoch(), System.currentTimeMillis(), body,
        headers == null ? null : headers.encode(), settings.size(), settings.addressBytes(), settings.ttlMs());
    return Future.fromCompletionStage(map.submitToKey(address, append), vertx.getOrCreateContext())
        .map(HazelcastHistory::stamp)
        .onSuccess(stamp -> appends.increment())
        .onFailure(e -> failures.increment());
  }

  @Override
  public Future<Window> read(String address, long since) {
    Read read = new Read(since, System.currentTimeMillis(), settings.ttlMs());
    return Future.fromCompletionStage(map.submitToKey(address, read), vertx.getOrCreateContext())
        .map(HazelcastHistory::window);
  }

  /** {@code "offset epoch"}: what {@link Append} answers (a JDK type, as the answer may cross the network). */
  private static Stamp stamp(String answer) {
    int space = answer.indexOf(' ');
    return new Stamp(Long.parseLong(answer.substring(0, space)), answer.substring(space + 1));
  }

  private static Window window(Found found) {
    if (found == null) return Window.EMPTY;
    List<Kept> kept = found.entries.stream()
        .map(e -> new Kept(e.offset(), e.body(), e.headers() == null ? null : new JsonObject(e.headers())))
        .toList();
    return new Window(found.epoch, found.newest, found.oldest, kept);
  }

  /** What {@link Read} answers: the part of a history asked for. */
  record Found(String epoch, long newest, long oldest, List<AddressHistory.Entry> entries) implements Serializable {}

  /** Counts, off the event loop, the publications in the histories this node holds the primary copy of. */
  private void countEntries() {
    vertx.executeBlocking(() -> {
      Map<String, Integer> sizes = map.executeOnKeys(map.localKeySet(), new Count());
      return sizes.values().stream().mapToLong(Integer::longValue).sum();
    }, false).onSuccess(entriesHeld::set);
  }

  /** Ten characters of base 36: another history of the same address is told apart, nothing more. */
  private static String newEpoch() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] epoch = new char[10];
    for (int i = 0; i < epoch.length; i++) epoch[i] = Character.forDigit(random.nextInt(36), 36);
    return new String(epoch);
  }

  /**
   * Keeps one publication: the address's next offset, under a new epoch if it has no history. Everything it decides
   * with comes with it (the epoch, the time, an id), so the backup, running it again, decides the same, and a run
   * again on a new owner after the old one died finds itself kept.
   */
  static final class Append implements EntryProcessor<String, AddressHistory, String> {
    @Serial private static final long serialVersionUID = 1L;
    private final long id;
    private final String epochIfNew;
    private final long now;
    private final String body;
    private final String headers;
    private final int maxSize;
    private final long maxBytes;
    private final long ttlMs;

    Append(long id, String epochIfNew, long now, String body, String headers, int maxSize, long maxBytes, long ttlMs) {
      this.id = id;
      this.epochIfNew = epochIfNew;
      this.now = now;
      this.body = body;
      this.headers = headers;
      this.maxSize = maxSize;
      this.maxBytes = maxBytes;
      this.ttlMs = ttlMs;
    }

    @Override
    public String process(Map.Entry<String, AddressHistory> entry) {
      AddressHistory history = entry.getValue();
      if (history == null) history = new AddressHistory(epochIfNew);
      long offset = history.append(id, now, body, headers, maxSize, maxBytes, ttlMs);
      entry.setValue(history);
      return offset + " " + history.epoch;
    }
  }

  /** What is kept after an offset; changes nothing (no backup, no lock). */
  static final class Read implements EntryProcessor<String, AddressHistory, Found>, ReadOnly {
    @Serial private static final long serialVersionUID = 1L;
    private final long since;
    private final long now;
    private final long ttlMs;

    Read(long since, long now, long ttlMs) {
      this.since = since;
      this.now = now;
      this.ttlMs = ttlMs;
    }

    @Override
    public Found process(Map.Entry<String, AddressHistory> entry) {
      AddressHistory history = entry.getValue();
      if (history == null) return null;
      return new Found(history.epoch, history.newest, history.oldest(now, ttlMs), history.after(since, now, ttlMs));
    }

    @Override
    public EntryProcessor<String, AddressHistory, Found> getBackupProcessor() {
      return null;
    }
  }

  /** How many publications an address's history holds. */
  static final class Count implements EntryProcessor<String, AddressHistory, Integer>, ReadOnly {
    @Serial private static final long serialVersionUID = 1L;

    @Override
    public Integer process(Map.Entry<String, AddressHistory> entry) {
      return entry.getValue() == null ? 0 : entry.getValue().size();
    }

    @Override
    public EntryProcessor<String, AddressHistory, Integer> getBackupProcessor() {
      return null;
    }
  }
}
