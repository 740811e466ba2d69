package io.livegate.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import org.HdrHistogram.Histogram;

/**
 * Publishes {@code {"seq":n,"sent":t}} on a channel. Every method but {@link #start} runs on
 * {@link #context()}, the publisher's own event loop, apart from the clients' threads.
 */
interface Publisher {

  static Future<Publisher> start(BenchOptions opt) {
    return opt.publishMode().startsWith("cluster") ? ClusterPublisher.start(opt) : RestPublisher.start(opt);
  }

  Context context();

  /** Fire and forget; failures are counted. */
  void publish(int channel, long seq, long sentNanos);

  /** REST publishes not answered yet (0 for the event bus). */
  int inflight();

  long errors();

  /**
   * On {@link #context()}: the time from each publish's scheduled send to its answer (microseconds) since the last
   * call, then starts a new one; null for a publisher that is not answered (the event bus).
   */
  default Histogram takeAnswerTimes() {
    return null;
  }

  String firstError();

  Future<Void> close();

  static String body(long seq, long sentNanos, String pad) {
    return pad.isEmpty()
        ? "{\"seq\":" + seq + ",\"sent\":" + sentNanos + "}"
        : "{\"seq\":" + seq + ",\"sent\":" + sentNanos + ",\"pad\":\"" + pad + "\"}";
  }
}
