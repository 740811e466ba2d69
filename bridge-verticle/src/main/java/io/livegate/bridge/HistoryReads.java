package io.livegate.bridge;

import io.livegate.core.PublicationHistory;
import io.livegate.core.PublicationHistory.Window;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;

/**
 * This node's reads of the history (recoveries, holes to fill), at most {@link #MAX_IN_FLIGHT} at a time, the rest in
 * turn: a reconnect storm, or sockets that register with {@code since} as fast as they may, ask the cluster at the
 * pace it answers, not all at once. Used only on the bridge verticle's context.
 */
final class HistoryReads {
  static final int MAX_IN_FLIGHT = 16;

  private final PublicationHistory history;
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  private int inFlight;

  HistoryReads(PublicationHistory history) {
    this.history = history;
  }

  Future<Window> read(String address, long since) {
    Promise<Window> read = Promise.promise();
    waiting.add(() -> history.read(address, since).onComplete(done -> {
      inFlight--;
      read.handle(done);
      next();
    }));
    next();
    return read.future();
  }

  private void next() {
    while (inFlight < MAX_IN_FLIGHT && !waiting.isEmpty()) {
      inFlight++;
      waiting.poll().run();
    }
  }
}
