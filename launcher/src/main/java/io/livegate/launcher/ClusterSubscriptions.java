package io.livegate.launcher;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.multimap.MultiMap;
import io.vertx.core.Completable;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's event-bus consumers in the cluster's subscription map (Vert.x's {@code __vertx.subs} multimap, read by
 * every member's event bus, ours and backend services' alike), written in batches: what is asked for while a batch is
 * in flight goes as the next one, its additions in one {@code putAllAsync} (one operation per partition) and its
 * removals a few at a time on worker threads. Vert.x's own cluster manager writes them one at a time, each a
 * synchronous round trip on one worker thread (about 400 a second on two busy cores), which is how long 10,000
 * browsers on private addresses waited before a publication could find them.
 *
 * <p>Changes apply in the order asked for: batches go one after another, and an addition and the removal of the same
 * registration in one batch cancel out. The registrations are also kept here, so that they can be written again when
 * a member leaves or the cluster heals a split (as Vert.x's own does), in the same order as the changes. That also
 * covers what a batch gives up against a single put: {@code putAllAsync} answers once the partitions' owners have the
 * entries, not their backups, so an entry whose owner dies before its backup had it is missing until the member's
 * leaving makes every node write its own again (seconds: the time the cluster takes to drop the member).
 */
final class ClusterSubscriptions {
  /** Changes in one batch at most: one putAll of this many entries is a few hundred KiB on the wire. */
  static final int MAX_BATCH = 1024;
  /** Removals of one batch run on this many worker threads at once (the multimap has no asynchronous remove). */
  static final int REMOVAL_THREADS = 4;
  /**
   * How long a batch's additions are tried again. A putAll is not an invocation that Hazelcast retries itself while
   * members join, leave or migrate partitions (a single put is, for up to two minutes): it fails, and is sent again.
   */
  static final long RETRY_FOR_MS = 60_000;
  private static final long FIRST_RETRY_MS = 50;
  private static final long LONGEST_RETRY_MS = 1_000;

  private final Vertx vertx;
  private final Context context;
  private final MultiMap<String, HazelcastRegistrationInfo> map;
  private final Map<String, Set<RegistrationInfo>> own = new ConcurrentHashMap<>();
  private final ArrayDeque<Change> waiting = new ArrayDeque<>();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private boolean inFlight;

  ClusterSubscriptions(Vertx vertx, MultiMap<String, HazelcastRegistrationInfo> map) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext(); // where batches are answered and the next one sent
    this.map = map;
  }

  void add(String address, RegistrationInfo info, Completable<Void> done) {
    own.computeIfAbsent(address, a -> ConcurrentHashMap.newKeySet()).add(info);
    enqueue(new Change(Kind.ADD, address, info, done));
  }

  void remove(String address, RegistrationInfo info, Completable<Void> done) {
    own.computeIfPresent(address, (a, infos) -> {
      infos.remove(info);
      return infos.isEmpty() ? null : infos;
    });
    enqueue(new Change(Kind.REMOVE, address, info, done));
  }

  /** Writes every registration of this node again (after a member left or a split healed), after what waits. */
  void republish() {
    synchronized (this) {
      // one still waiting will take what is here when its turn comes: members leaving in a row cost one rewrite
      if (waiting.stream().anyMatch(change -> change.kind == Kind.REPUBLISH)) return;
    }
    enqueue(new Change(Kind.REPUBLISH, null, null, (v, e) -> { }));
  }

  /** Batches written so far. */
  long batches() {
    return batches.get();
  }

  /** Additions sent again after the cluster refused them (a member joining or leaving). */
  long retries() {
    return retries.get();
  }

  private void enqueue(Change change) {
    List<Change> next;
    synchronized (this) {
      waiting.add(change);
      if (inFlight) return;
      inFlight = true;
      next = takeBatch();
    }
    write(next);
  }

  private List<Change> takeBatch() {
    List<Change> batch = new ArrayList<>(Math.min(waiting.size(), MAX_BATCH));
    while (!waiting.isEmpty() && batch.size() < MAX_BATCH) {
      Change change = waiting.peek();
      if (change.kind == Kind.REPUBLISH && !batch.isEmpty()) break; // a republish goes alone
      batch.add(waiting.poll());
      if (change.kind == Kind.REPUBLISH) break;
    }
    return batch;
  }

  private void write(List<Change> batch) {
    batches.incrementAndGet();
    Future<Void> written;
    try {
      written = batch.get(0).kind == Kind.REPUBLISH ? writeAll() : writeChanges(batch);
    } catch (RuntimeException e) { // the instance is shutting down
      written = Future.failedFuture(e);
    }
    written.onComplete(done -> {
      for (Change change : batch) change.done.complete(null, done.cause());
      List<Change> next;
      synchronized (this) {
        if (waiting.isEmpty()) {
          inFlight = false;
          return;
        }
        next = takeBatch();
      }
      write(next);
    });
  }

  private Future<Void> writeChanges(List<Change> batch) {
    Set<Change> cancelled = cancelledPairs(batch);
    Map<String, List<HazelcastRegistrationInfo>> additions = new HashMap<>();
    List<Change> removals = new ArrayList<>();
    for (Change change : batch) {
      if (cancelled.contains(change)) continue;
      if (change.kind == Kind.ADD) {
        additions.computeIfAbsent(change.address, a -> new ArrayList<>()).add(new HazelcastRegistrationInfo(change.info));
      } else {
        removals.add(change);
      }
    }
    List<Future<Void>> parts = new ArrayList<>();
    if (!additions.isEmpty()) parts.add(putAll(additions));
    for (int t = 0; t < REMOVAL_THREADS && t < removals.size(); t++) {
      List<Change> share = new ArrayList<>();
      for (int i = t; i < removals.size(); i += REMOVAL_THREADS) share.add(removals.get(i));
      parts.add(context.executeBlocking(() -> {
        for (Change removal : share) map.remove(removal.address, new HazelcastRegistrationInfo(removal.info));
        return null;
      }, false));
    }
    return Future.all(parts).mapEmpty();
  }

  /** An addition and the removal of the same registration, both still waiting: neither needs to reach the cluster. */
  private static Set<Change> cancelledPairs(List<Change> batch) {
    Map<RegistrationInfo, Change> added = new HashMap<>();
    Set<Change> cancelled = new HashSet<>();
    for (Change change : batch) {
      if (change.kind == Kind.ADD) {
        added.put(change.info, change);
      } else {
        Change addition = added.remove(change.info);
        if (addition != null) {
          cancelled.add(addition);
          cancelled.add(change);
        }
      }
    }
    return cancelled;
  }

  private Future<Void> writeAll() {
    Map<String, List<HazelcastRegistrationInfo>> chunk = new HashMap<>();
    List<Map<String, List<HazelcastRegistrationInfo>>> chunks = new ArrayList<>();
    int inChunk = 0;
    for (Map.Entry<String, Set<RegistrationInfo>> entry : own.entrySet()) {
      for (RegistrationInfo info : new LinkedHashSet<>(entry.getValue())) {
        chunk.computeIfAbsent(entry.getKey(), a -> new ArrayList<>()).add(new HazelcastRegistrationInfo(info));
        if (++inChunk == MAX_BATCH) {
          chunks.add(chunk);
          chunk = new HashMap<>();
          inChunk = 0;
        }
      }
    }
    if (!chunk.isEmpty()) chunks.add(chunk);
    Future<Void> all = Future.succeededFuture();
    for (Map<String, List<HazelcastRegistrationInfo>> part : chunks) all = all.compose(v -> putAll(part));
    return all;
  }

  /** The entries in the cluster, sent again (every {@link #FIRST_RETRY_MS} doubling) until it takes them or a minute is up. */
  private Future<Void> putAll(Map<String, List<HazelcastRegistrationInfo>> entries) {
    Map<String, Collection<? extends HazelcastRegistrationInfo>> copy = new HashMap<>(entries);
    return putAll(copy, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_FOR_MS), FIRST_RETRY_MS);
  }

  private Future<Void> putAll(Map<String, Collection<? extends HazelcastRegistrationInfo>> entries, long deadlineNanos,
      long delayMs) {
    Future<Void> sent;
    try {
      sent = HazelcastAnswers.on(context, map.putAllAsync(entries));
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e);
    }
    return sent.recover(failure -> {
      if (failure instanceof HazelcastInstanceNotActiveException || System.nanoTime() > deadlineNanos) {
        return Future.failedFuture(failure);
      }
      retries.incrementAndGet();
      Promise<Void> again = Promise.promise();
      vertx.setTimer(delayMs, id -> putAll(entries, deadlineNanos, Math.min(LONGEST_RETRY_MS, 2 * delayMs)).onComplete(again));
      return again.future();
    });
  }

  private enum Kind { ADD, REMOVE, REPUBLISH }

  private record Change(Kind kind, String address, RegistrationInfo info, Completable<Void> done) {
    @Override
    public boolean equals(Object other) {
      return this == other;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(this);
    }
  }
}
