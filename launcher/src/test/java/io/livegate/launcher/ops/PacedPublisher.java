package io.livegate.launcher.ops;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A backend service publishing through a node's REST API ({@code POST /api/publish/{address}}): {@code {"seq": n}}
 * on each of its addresses in turn, {@code n} counting per address from 0, at a steady rate, on a thread of its own
 * while it runs. It keeps each address's epoch from the answers.
 */
final class PacedPublisher {
  private final List<String> addresses;
  private final long intervalNanos;
  private final Map<String, AtomicLong> next = new ConcurrentHashMap<>();
  private final Map<String, String> epochs = new ConcurrentHashMap<>();
  /** Publications the node did not take (not a 202 answer, or none), as "address seq: what happened". */
  final List<String> failures = new CopyOnWriteArrayList<>();
  private final AtomicLong slowestNanos = new AtomicLong();
  private volatile boolean running;
  private Thread thread;

  /** {@code perSecond} publications a second in all, over the addresses in turn. */
  PacedPublisher(List<String> addresses, int perSecond) {
    this.addresses = List.copyOf(addresses);
    this.intervalNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
    for (String address : addresses) next.put(address, new AtomicLong());
  }

  /** The number of publications on {@code address} so far: the seq of the next. */
  long published(String address) {
    return next.get(address).get();
  }

  /** The address's epoch, as the last answer gave it (null before one). */
  String epoch(String address) {
    return epochs.get(address);
  }

  /** The longest a publication waited for its answer since the last {@link #start}. */
  long slowestAnswerMs() {
    return TimeUnit.NANOSECONDS.toMillis(slowestNanos.get());
  }

  /** Starts publishing on {@code node}, paced from now (a publication late by a slow answer is caught up). */
  synchronized void start(JarNode node) {
    if (thread != null) throw new IllegalStateException("already publishing");
    running = true;
    slowestNanos.set(0);
    thread = new Thread(() -> publishUntilStopped(node), "publisher-" + node.name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops after the publication under way, and returns once it is answered. */
  synchronized void stop() throws InterruptedException {
    running = false;
    if (thread == null) return;
    thread.join(TimeUnit.SECONDS.toMillis(30));
    if (thread.isAlive()) throw new AssertionError("the publisher did not stop within 30 s");
    thread = null;
  }

  /** Publishes {@code count} on each address at once (no pacing), on this thread. */
  void publishEach(JarNode node, int count) {
    for (int i = 0; i < count; i++) {
      for (String address : addresses) publishNext(node, address);
    }
  }

  private void publishUntilStopped(JarNode node) {
    long due = System.nanoTime();
    for (int turn = 0; running; turn++) {
      publishNext(node, addresses.get(turn % addresses.size()));
      due += intervalNanos;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(wait);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private void publishNext(JarNode node, String address) {
    long seq = next.get(address).getAndIncrement();
    long sent = System.nanoTime();
    try {
      HttpResponse<String> answer = node.post("/api/publish/" + address, new JsonObject().put("seq", seq).encode());
      slowestNanos.accumulateAndGet(System.nanoTime() - sent, Math::max);
      if (answer.statusCode() != 202) {
        failures.add(address + " " + seq + ": " + answer.statusCode() + " " + answer.body());
        return;
      }
      String epoch = new JsonObject(answer.body()).getString("epoch");
      if (epoch != null) epochs.put(address, epoch);
    } catch (Exception e) {
      failures.add(address + " " + seq + ": " + e);
    }
  }
}
