package io.livegate.launcher;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.partition.PartitionService;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An entry processor run on many keys, one {@code submitToKeys} per partition.
 *
 * <p>Hazelcast 5.3's {@code submitToKeys} gives every partition it touches the whole set of keys: each partition's
 * operation walks all of them, hashing each to skip those of other partitions, and so does its backup, which carries
 * the whole set across the network again. K keys over P partitions cost K × P (P up to 271): a presence batch of
 * 20,000 removals was 5 million hashings on each copy, and held the partition threads, which every append and
 * registration needs too, for seconds (the hostile soak's presence attack, 2026-12-03: 71 % of node A's samples in
 * partition threads, most of them in {@code MultipleEntryOperation} and its backup). Grouped here first, each
 * partition's operation and its backup get their own keys only: K keys cost K, wherever they fall.
 */
final class KeysByPartition {
  private KeysByPartition() {
  }

  /**
   * {@code processor} on each of {@code keys}; the results of every partition's call together, or the first failure.
   * The callbacks run where Hazelcast answers ({@link HazelcastAnswers#whenDone}).
   */
  static <K, V, R> CompletionStage<Map<K, R>> submitToKeys(IMap<K, V> map, PartitionService partitions,
      Collection<K> keys, EntryProcessor<K, V, R> processor) {
    Map<Integer, Set<K>> groups = new HashMap<>();
    for (K key : keys) {
      groups.computeIfAbsent(partitions.getPartition(key).getPartitionId(), p -> new HashSet<>()).add(key);
    }
    CompletableFuture<Map<K, R>> all = new CompletableFuture<>();
    if (groups.isEmpty()) {
      all.complete(Map.of());
      return all;
    }
    Map<K, R> results = new HashMap<>();
    AtomicInteger left = new AtomicInteger(groups.size());
    for (Set<K> group : groups.values()) {
      CompletionStage<Map<K, R>> part;
      try {
        part = map.submitToKeys(group, processor);
      } catch (RuntimeException e) { // the member is shutting down
        all.completeExceptionally(e);
        return all;
      }
      HazelcastAnswers.whenDone(part, (answer, failure) -> {
        if (failure != null) {
          all.completeExceptionally(failure);
          return;
        }
        synchronized (results) {
          results.putAll(answer);
        }
        if (left.decrementAndGet() == 0) all.complete(results);
      });
    }
    return all;
  }
}
