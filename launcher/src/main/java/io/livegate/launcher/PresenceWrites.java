package io.livegate.launcher;

import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.partition.PartitionService;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * This node's presence entries on their way to the cluster's map, in batches: the puts of a batch in one
 * {@code putAllAsync} (Hazelcast groups it by partition: one operation per partition, not per entry), its removals
 * in one {@code submitToKeys} per partition ({@link KeysByPartition}), one batch in flight at a time, the next
 * gathering meanwhile. An entry put and removed before its batch left never reaches the cluster; a later change of a
 * key supersedes an earlier one still waiting. So a storm of registers and closes costs the partition threads a few
 * operations a batch, and the history's appends, which share them, still go through. A batch the cluster refused (a
 * member joining or leaving) is sent again, unless a newer change of its keys is waiting.
 */
final class PresenceWrites {
  private static final Logger LOG = Logger.getLogger(PresenceWrites.class.getName());
  private static final int MAX_ATTEMPTS = 5;

  private final IMap<String, HazelcastJsonValue> map;
  private final PartitionService partitions;
  /** What waits for the next batch, by key: a value to put, or null to remove. */
  private LinkedHashMap<String, HazelcastJsonValue> waiting = new LinkedHashMap<>();
  private List<Promise<Void>> waiters = new ArrayList<>();
  private boolean inFlight;
  private long batches;

  PresenceWrites(IMap<String, HazelcastJsonValue> map, PartitionService partitions) {
    this.map = map;
    this.partitions = partitions;
  }

  /** Puts {@code value} at {@code key} with the next batch; completes when that batch is written. */
  synchronized Future<Void> put(String key, HazelcastJsonValue value) {
    waiting.put(key, value);
    return queued();
  }

  /** Removes {@code key} with the next batch (at once, if its put has not left yet). */
  synchronized Future<Void> remove(String key) {
    if (waiting.get(key) != null) {
      waiting.remove(key); // put and removed before it left: the cluster never hears of it
      return Future.succeededFuture();
    }
    waiting.put(key, null);
    return queued();
  }

  /** Batches sent so far. */
  synchronized long batches() {
    return batches;
  }

  private Future<Void> queued() {
    Promise<Void> written = Promise.promise();
    waiters.add(written);
    flush(0);
    return written.future();
  }

  /** Sends what waits, if no batch is in flight. Under this object's lock. */
  private void flush(int attempt) {
    if (inFlight || waiting.isEmpty()) return;
    Map<String, HazelcastJsonValue> batch = waiting;
    List<Promise<Void>> done = waiters;
    waiting = new LinkedHashMap<>();
    waiters = new ArrayList<>();
    inFlight = true;
    batches++;
    Map<String, HazelcastJsonValue> puts = new HashMap<>();
    Set<String> removals = new HashSet<>();
    batch.forEach((key, value) -> {
      if (value == null) {
        removals.add(key);
      } else {
        puts.put(key, value);
      }
    });
    List<CompletionStage<?>> parts = new ArrayList<>(2);
    try {
      if (!puts.isEmpty()) parts.add(map.putAllAsync(puts));
      if (!removals.isEmpty()) parts.add(KeysByPartition.submitToKeys(map, partitions, removals, new Removal()));
    } catch (RuntimeException e) { // the member is shutting down: its entries go with its membership
      parts.add(CompletableFuture.failedFuture(e));
    }
    // Both answered, the first failure if any: on Hazelcast's response thread (HazelcastAnswers), never a new one.
    AtomicInteger left = new AtomicInteger(parts.size());
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    for (CompletionStage<?> part : parts) {
      HazelcastAnswers.whenDone(part, (ok, failure) -> {
        if (failure != null) firstFailure.compareAndSet(null, failure);
        if (left.decrementAndGet() == 0) written(batch, done, firstFailure.get(), attempt);
      });
    }
  }

  private synchronized void written(Map<String, HazelcastJsonValue> batch, List<Promise<Void>> done, Throwable failure,
      int attempt) {
    inFlight = false;
    if (failure == null) {
      done.forEach(Promise::tryComplete);
      flush(0);
      return;
    }
    if (attempt + 1 >= MAX_ATTEMPTS) {
      LOG.fine(() -> "Presence: " + batch.size() + " changes not written: " + failure);
      done.forEach(promise -> promise.tryFail(failure));
      flush(0);
      return;
    }
    // Again, before what came meanwhile, unless that changes the same keys (the newer change stands).
    LinkedHashMap<String, HazelcastJsonValue> again = new LinkedHashMap<>(batch);
    again.keySet().removeAll(waiting.keySet());
    again.putAll(waiting);
    waiting = again;
    waiters.addAll(0, done);
    flush(attempt + 1);
  }

  /** Removes the entry it runs on, on the primary and its backups. */
  static final class Removal implements EntryProcessor<String, HazelcastJsonValue, Boolean>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Boolean process(Map.Entry<String, HazelcastJsonValue> entry) {
      boolean present = entry.getValue() != null;
      entry.setValue(null);
      return present;
    }
  }
}
