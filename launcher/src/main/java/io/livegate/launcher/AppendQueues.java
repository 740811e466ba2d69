package io.livegate.launcher;

import io.livegate.core.PublicationHistory.Stamp;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The history's appends on this node, one queue per address with at most one batch in flight: while a batch is with
 * the partition's owner, the appends asked for meanwhile wait, then go together as the next batch, one entry processor
 * (one invocation, one backup, one answer) for all of them. At a low rate each publication goes alone and at once; as
 * the rate grows the batches grow, so what the cluster costs per publication falls where it matters. A batch's
 * publications get consecutive offsets in the order they were asked for, and each caller hears of its own on its own
 * context, in that order, so one publisher's publications go out in the order of their offsets.
 *
 * <p>What waits is bounded ({@link #MAX_WAITING} publications, {@link #MAX_WAITING_CHARS} of text, node-wide): beyond
 * that an append fails at once ({@link Behind}), as when the cluster does not answer, and nothing is published.
 */
final class AppendQueues {
  /** The most publications one entry processor carries. */
  static final int MAX_BATCH = 256;
  /** The most text one entry processor carries (more than this goes alone or in the next batch). */
  static final long MAX_BATCH_CHARS = 256 * 1024;
  /** The most publications that wait, node-wide, for their address's batch in flight. */
  static final int MAX_WAITING = 10_000;
  /** The most text that waits, node-wide. */
  static final long MAX_WAITING_CHARS = 16L * 1024 * 1024;

  /** What sends one batch: answers the offset of its first publication and the epoch, as {@code "offset epoch"}. */
  interface Sender {
    CompletionStage<String> send(String address, List<Pending> batch);
  }

  /** An append that failed at once: too much was already waiting for the cluster. */
  static final class Behind extends RuntimeException {
    Behind(String message) {
      super(message, null, false, false);
    }
  }

  /** One publication to keep: its append's id (for a batch run twice), its body and headers as JSON text. */
  record Pending(long id, String body, String headers, Context context, Promise<Stamp> promise) {
    long chars() {
      return body.length() + (headers == null ? 0 : headers.length());
    }
  }

  private final Vertx vertx;
  private final Sender sender;
  private final int maxWaiting;
  private final long maxWaitingChars;
  // Guarded by this: appends come from every verticle's event loop.
  private final Map<String, ArrayDeque<Pending>> waiting = new HashMap<>(); // an address is here while a batch of it is in flight
  private int waitingCount;
  private long waitingChars;
  private long batches;

  AppendQueues(Vertx vertx, Sender sender) {
    this(vertx, sender, MAX_WAITING, MAX_WAITING_CHARS);
  }

  AppendQueues(Vertx vertx, Sender sender, int maxWaiting, long maxWaitingChars) {
    this.vertx = vertx;
    this.sender = sender;
    this.maxWaiting = maxWaiting;
    this.maxWaitingChars = maxWaitingChars;
  }

  /** Keeps a publication; completes on the caller's context with its place, after those asked for before it. */
  Future<Stamp> append(String address, long id, String body, String headers) {
    Pending pending = new Pending(id, body, headers, vertx.getOrCreateContext(), Promise.promise());
    List<Pending> batch;
    synchronized (this) {
      ArrayDeque<Pending> queue = waiting.get(address);
      if (queue == null) {
        waiting.put(address, new ArrayDeque<>());
        batch = List.of(pending);
        batches++;
      } else {
        if (waitingCount >= maxWaiting || waitingChars + pending.chars() > maxWaitingChars) {
          return Future.failedFuture(new Behind("the history is behind: " + waitingCount + " publications wait"));
        }
        queue.add(pending);
        waitingCount++;
        waitingChars += pending.chars();
        return pending.promise().future();
      }
    }
    send(address, batch);
    return pending.promise().future();
  }

  /** Publications waiting, node-wide, for their address's batch in flight. */
  synchronized int waiting() {
    return waitingCount;
  }

  /** Batches sent since the start (appends / batches: the mean batch). */
  synchronized long batches() {
    return batches;
  }

  private void send(String address, List<Pending> batch) {
    CompletionStage<String> answer;
    try {
      answer = sender.send(address, batch);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    HazelcastAnswers.whenDone(answer, (stamp, failure) -> answered(address, batch, stamp, failure));
  }

  /**
   * On the thread that answered: each caller hears on its own context, in the batch's order, and the next batch, if
   * any waits, goes at once from Hazelcast's callback pool ({@link HazelcastAnswers#pool}), not from a caller's
   * context. A caller's event loop is the one writing the publications to its sockets: under load it runs a task tens
   * of milliseconds after it was given, and waiting for it added that delay to every turn of the address's queue, so
   * to every publication (the history's (b) in bench/README). Each caller's answer is on its context's queue before
   * the next batch is sent, so a context still hears its answers in the order of their offsets.
   */
  private void answered(String address, List<Pending> batch, String stamp, Throwable failure) {
    Stamp[] stamps = failure == null ? stamps(stamp, batch.size()) : null;
    Map<Context, List<Integer>> byContext = new LinkedHashMap<>();
    for (int i = 0; i < batch.size(); i++) byContext.computeIfAbsent(batch.get(i).context(), c -> new ArrayList<>()).add(i);
    for (Map.Entry<Context, List<Integer>> group : byContext.entrySet()) {
      group.getKey().runOnContext(v -> {
        for (int i : group.getValue()) {
          Promise<Stamp> promise = batch.get(i).promise();
          if (stamps == null) promise.fail(failure); else promise.complete(stamps[i]);
        }
      });
    }
    List<Pending> next = nextBatch(address);
    // Sent not from the answering thread itself: that may be the partition's own thread (a member alone, no backup).
    if (next != null) HazelcastAnswers.pool().execute(() -> send(address, next));
  }

  /** {@code "offset epoch"}: the first of the batch's consecutive offsets. */
  private static Stamp[] stamps(String answer, int count) {
    int space = answer.indexOf(' ');
    long firstOffset = Long.parseLong(answer.substring(0, space));
    String epoch = answer.substring(space + 1);
    Stamp[] stamps = new Stamp[count];
    for (int i = 0; i < count; i++) stamps[i] = new Stamp(firstOffset + i, epoch);
    return stamps;
  }

  /** What waits for the address, as its next batch; null (and the address no longer in flight) if nothing does. */
  private List<Pending> nextBatch(String address) {
    List<Pending> batch = new ArrayList<>();
    synchronized (this) {
      ArrayDeque<Pending> queue = waiting.get(address);
      if (queue.isEmpty()) {
        waiting.remove(address);
        return null;
      }
      long chars = 0;
      while (!queue.isEmpty() && batch.size() < MAX_BATCH
          && (batch.isEmpty() || chars + queue.peekFirst().chars() <= MAX_BATCH_CHARS)) {
        Pending pending = queue.pollFirst();
        chars += pending.chars();
        waitingCount--;
        waitingChars -= pending.chars();
        batch.add(pending);
      }
      batches++;
    }
    return batch;
  }
}
