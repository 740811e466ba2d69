package io.livegate.bridge;

import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;

/**
 * Flushes raw WebSockets once per turn of the event loop instead of once per frame: the frames written to a
 * socket while the loop works through its queue (a burst of event-bus messages, a reply and an update) leave
 * in one system call, and the socket's client reads them in one. At low rates a turn holds one message, so
 * nothing waits; at high rates the batches grow by themselves. Used only on its event loop.
 */
final class DeferredFlush implements Runnable {
  private final EventLoop eventLoop;
  private List<RawWebSocket> pending = new ArrayList<>();
  private List<RawWebSocket> flushing = new ArrayList<>();
  private boolean scheduled;

  DeferredFlush(EventLoop eventLoop) {
    this.eventLoop = eventLoop;
  }

  /** The socket has frames written but not flushed; it is flushed once, after what the loop holds now. */
  void request(RawWebSocket socket) {
    pending.add(socket);
    if (!scheduled) {
      scheduled = true;
      eventLoop.execute(this);
    }
  }

  @Override
  public void run() {
    scheduled = false;
    // Swapped first: a flush that fails closes its socket, and nothing it triggers may change the list we read.
    List<RawWebSocket> batch = pending;
    pending = flushing;
    flushing = batch;
    for (int i = 0; i < batch.size(); i++) batch.get(i).flush();
    batch.clear();
  }
}
