package io.livegate.launcher;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.partition.PartitionService;
import io.livegate.core.Addresses;
import io.livegate.core.NodeConfig;
import io.livegate.core.PublicationHistory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The history kept in Hazelcast: one entry per address in the map {@link Addresses#HISTORY_MAP}, on the partition the
 * address hashes to, with one synchronous backup (so the death of one node loses none of it), changed only by entry
 * processors (so each publication's offset is one atomic step on its partition's owner, whichever node publishes,
 * and its backup applies the same step). A node sends the publications of one address in batches, one in flight at a
 * time ({@link AppendQueues}), in Hazelcast's own serialization ({@link HistorySerialization}). An address whose
 * entry is gone (both copies lost, evicted, or quiet past its time to live) starts over with a new epoch.
 *
 * <p>Backend services that join the cluster should be lite members (as the README shows): a data member holds part
 * of this map and needs these classes to run the processors.
 */
final class HazelcastHistory implements PublicationHistory {
  private static final long COUNT_EVERY_MS = 10_000;

  private final Vertx vertx;
  private final IMap<String, AddressHistory> map;
  private final PartitionService partitions;
  private final NodeConfig.History settings;
  private final List<Pattern> patterns;
  private final AppendQueues appends;
  private final Counter kept;
  private final Counter failures;
  private final AtomicLong entriesHeld = new AtomicLong();

  HazelcastHistory(Vertx vertx, HazelcastInstance hazelcast, NodeConfig.History settings, MeterRegistry registry) {
    this.vertx = vertx;
    this.map = hazelcast.getMap(Addresses.HISTORY_MAP);
    this.partitions = hazelcast.getPartitionService();
    this.settings = settings;
    this.patterns = settings.addresses().stream().map(Pattern::compile).toList();
    appends = new AppendQueues(vertx, this::send);
    kept = Counter.builder("livegate.history.appends").description("publications this node kept in the history")
        .register(registry);
    failures = Counter.builder("livegate.history.append.failures")
        .description("publications refused because the history could not keep them (the cluster did not answer, or "
            + "too many were waiting for it)")
        .register(registry);
    FunctionCounter.builder("livegate.history.append.batches", appends, AppendQueues::batches)
        .description("entry processors that kept publications (appends / batches: publications per batch)")
        .register(registry);
    Gauge.builder("livegate.history.appends.waiting", appends, AppendQueues::waiting)
        .description("publications waiting for the batch of their address in flight").register(registry);
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
    return appends.append(address, ThreadLocalRandom.current().nextLong(), body, headers == null ? null : headers.encode())
        .onSuccess(stamp -> kept.increment())
        .onFailure(e -> failures.increment());
  }

  /** One batch of an address's appends: one entry processor on the partition's owner. */
  private CompletionStage<String> send(String address, List<AppendQueues.Pending> batch) {
    int count = batch.size();
    long[] ids = new long[count];
    String[] bodies = new String[count];
    String[] headers = new String[count];
    for (int i = 0; i < count; i++) {
      AppendQueues.Pending pending = batch.get(i);
      ids[i] = pending.id();
      bodies[i] = pending.body();
      headers[i] = pending.headers();
    }
    return map.submitToKey(address, new AppendAll(newEpoch(), System.currentTimeMillis(), ids, bodies, headers,
        settings.size(), settings.addressBytes(), settings.ttlMs()));
  }

  @Override
  public Future<Window> read(String address, long since) {
    Read read = new Read(since, System.currentTimeMillis(), settings.ttlMs());
    return HazelcastAnswers.on(vertx.getOrCreateContext(), map.submitToKey(address, read))
        .map(HazelcastHistory::window);
  }

  private static Window window(Found found) {
    if (found == null) return Window.EMPTY;
    List<Kept> kept = found.entries.stream()
        .map(e -> new Kept(e.offset(), e.body(), e.headers() == null ? null : new JsonObject(e.headers())))
        .toList();
    return new Window(found.epoch, found.newest, found.oldest, kept);
  }

  /** What {@link Read} answers: the part of a history asked for. */
  static final class Found implements HistorySerialization.Type {
    String epoch;
    long newest;
    long oldest;
    List<AddressHistory.Entry> entries;

    Found(String epoch, long newest, long oldest, List<AddressHistory.Entry> entries) {
      this.epoch = epoch;
      this.newest = newest;
      this.oldest = oldest;
      this.entries = entries;
    }

    Found() {
    }

    @Override
    public int getClassId() {
      return HistorySerialization.FOUND;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(epoch);
      out.writeLong(newest);
      out.writeLong(oldest);
      AddressHistory.writeEntries(out, entries);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      epoch = in.readString();
      newest = in.readLong();
      oldest = in.readLong();
      entries = AddressHistory.readEntries(in);
    }
  }

  /** Counts, off the event loop, the publications in the histories this node holds the primary copy of. */
  private void countEntries() {
    vertx.executeBlocking(() -> {
      Map<String, Integer> sizes = KeysByPartition.submitToKeys(map, partitions, map.localKeySet(), new Count())
          .toCompletableFuture().join();
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
   * Keeps a batch of publications at the address's next offsets, under a new epoch if it has no history; answers
   * {@code "firstOffset epoch"} (a JDK type, as the answer may cross the network). Everything it decides with comes
   * with it (the epoch, the time, the ids), so the backup, running it again, decides the same, and a run again on a
   * new owner after the old one died finds itself kept.
   */
  static final class AppendAll implements EntryProcessor<String, AddressHistory, String>, HistorySerialization.Type {
    private String epochIfNew;
    private long now;
    private long[] ids;
    private String[] bodies;
    private String[] headers;
    private int maxSize;
    private long maxBytes;
    private long ttlMs;

    AppendAll(String epochIfNew, long now, long[] ids, String[] bodies, String[] headers, int maxSize, long maxBytes,
        long ttlMs) {
      this.epochIfNew = epochIfNew;
      this.now = now;
      this.ids = ids;
      this.bodies = bodies;
      this.headers = headers;
      this.maxSize = maxSize;
      this.maxBytes = maxBytes;
      this.ttlMs = ttlMs;
    }

    AppendAll() {
    }

    @Override
    public String process(Map.Entry<String, AddressHistory> entry) {
      AddressHistory history = entry.getValue();
      if (history == null) history = new AddressHistory(epochIfNew);
      long first = history.appendAll(ids, now, bodies, headers, maxSize, maxBytes, ttlMs);
      entry.setValue(history);
      return first + " " + history.epoch;
    }

    @Override
    public int getClassId() {
      return HistorySerialization.APPEND_ALL;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(epochIfNew);
      out.writeLong(now);
      out.writeInt(maxSize);
      out.writeLong(maxBytes);
      out.writeLong(ttlMs);
      out.writeInt(ids.length);
      for (int i = 0; i < ids.length; i++) {
        out.writeLong(ids[i]);
        out.writeString(bodies[i]);
        out.writeString(headers[i]);
      }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      epochIfNew = in.readString();
      now = in.readLong();
      maxSize = in.readInt();
      maxBytes = in.readLong();
      ttlMs = in.readLong();
      int count = in.readInt();
      if (count < 1 || count > AppendQueues.MAX_BATCH) throw new IOException("a batch of " + count + " appends");
      ids = new long[count];
      bodies = new String[count];
      headers = new String[count];
      for (int i = 0; i < count; i++) {
        ids[i] = in.readLong();
        bodies[i] = in.readString();
        headers[i] = in.readString();
      }
    }
  }

  /** What is kept after an offset; changes nothing (no backup, no lock). */
  static final class Read implements EntryProcessor<String, AddressHistory, Found>, ReadOnly, HistorySerialization.Type {
    private long since;
    private long now;
    private long ttlMs;

    Read(long since, long now, long ttlMs) {
      this.since = since;
      this.now = now;
      this.ttlMs = ttlMs;
    }

    Read() {
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

    @Override
    public int getClassId() {
      return HistorySerialization.READ;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(since);
      out.writeLong(now);
      out.writeLong(ttlMs);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      since = in.readLong();
      now = in.readLong();
      ttlMs = in.readLong();
    }
  }

  /** How many publications an address's history holds. */
  static final class Count implements EntryProcessor<String, AddressHistory, Integer>, ReadOnly, HistorySerialization.Type {
    @Override
    public Integer process(Map.Entry<String, AddressHistory> entry) {
      return entry.getValue() == null ? 0 : entry.getValue().size();
    }

    @Override
    public EntryProcessor<String, AddressHistory, Integer> getBackupProcessor() {
      return null;
    }

    @Override
    public int getClassId() {
      return HistorySerialization.COUNT;
    }

    @Override
    public void writeData(ObjectDataOutput out) {
    }

    @Override
    public void readData(ObjectDataInput in) {
    }
  }
}
