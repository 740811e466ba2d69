package io.livegate.bridge;

import io.livegate.core.HistoryHeaders;
import io.livegate.core.PublicationHistory;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.EncodeException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The node's event-bus consumers for browser registrations: ONE consumer per address, shared by every
 * local socket registered on it, unregistered when the last socket leaves. A published message is
 * encoded once and the same frame written to every socket; a point-to-point send goes to one socket,
 * round-robin. Used only on the bridge verticle's context.
 *
 * <p>Each consumer is an entry in the cluster's subscriptions, on every node, and whatever the cluster manager does not
 * take at once it queues without bound (the launcher's cluster manager writes what comes meanwhile in one batch). So
 * the cluster hears of them through a pipe of our own, at most {@link #MAX_IN_FLIGHT} changes at once, and what waits
 * in it is ours to order and to cancel:
 * <ul>
 *   <li>the node holds consumers on at most {@code maxAddresses} addresses (those waiting for their turn included),
 *   and for a moment as many again on their way out (removals alternate with
 *   registrations, and only a registration that reached the cluster needs one), so a flood of registrations costs
 *   every node, and this pipe, a bounded heap;
 *   <li>once that budget is spent, it is shared fairly: a register on a new address by a socket that holds few
 *   addresses alone makes the socket that holds the most alone (at least two more) give way, closed by the bridge
 *   ({@code evict}), so a flood cannot keep a page from its first private address; shared addresses cost nobody;
 *   <li>a registration that is left before its turn costs the cluster nothing, and nor does its removal;
 *   <li>registrations go in the order of how many their socket has caused before, so a page's first
 *   registrations pass those of a socket that churns through addresses, whatever waits behind;
 *   <li>removals alternate with registrations, so neither starves the other.
 * </ul>
 */
final class AddressSubscriptions {
  private static final Logger LOG = Logger.getLogger(AddressSubscriptions.class.getName());
  /**
   * Enough for the cluster manager's batches to keep up with a connect storm (a batch of 64 takes a few ms), few enough
   * that a registration that goes before those waiting is in the cluster one short batch later.
   */
  static final int MAX_IN_FLIGHT = 64;

  private final EventBus eventBus;
  private final Vertx vertx;
  private final PublicationHistory history;
  private final HistoryReads reads;
  private final BridgeMetrics metrics;
  private final int maxAddresses;
  private final Map<String, Subscription> byAddress = new HashMap<>();
  private final PriorityQueue<Subscription> registrations =
      new PriorityQueue<>(Comparator.comparingLong((Subscription s) -> s.priority).thenComparingLong(s -> s.sequence));
  private final ArrayDeque<MessageConsumer<Object>> removals = new ArrayDeque<>();
  private long sequence;
  private int inFlight;
  private int removing; // queued or in flight
  private int cancelledWaiting; // left before their turn, still in the queue (see compactIfMostlyCancelled)
  private boolean removalNext;
  /** The sockets that hold addresses alone, by how many ({@code [n]}: those that hold n): who gives way first. */
  private final List<Set<BridgeSocket>> bySoleHoldings = new ArrayList<>();
  private final Consumer<BridgeSocket> evict;

  /**
   * @param evict closes a socket for the address budget's sake, and leaves its addresses before it returns (so the
   *              room is made)
   */
  AddressSubscriptions(Vertx vertx, PublicationHistory history, BridgeMetrics metrics, int maxAddresses,
      Consumer<BridgeSocket> evict) {
    this.metrics = metrics;
    this.vertx = vertx;
    this.eventBus = vertx.eventBus();
    this.history = history;
    this.reads = new HistoryReads(history);
    this.maxAddresses = maxAddresses;
    this.evict = evict;
  }

  /**
   * Registers the socket on the address. False, and nothing changes, if the address is new to this node, the node holds
   * as many as it may, and no socket holding at least two more of them alone than this one can give way.
   */
  boolean join(String address, BridgeSocket socket) {
    if (socket.isRegisteredOn(address)) return true;
    Subscription subscription = byAddress.get(address);
    if (subscription == null) {
      if (byAddress.size() >= maxAddresses && !makeRoomFor(socket)) return false;
      subscription = new Subscription(address, metrics);
      if (history.keeps(address)) subscription.numbered(vertx, reads);
      subscription.priority = socket.causeRegistration();
      subscription.sequence = sequence++;
      byAddress.put(address, subscription);
      registrations.add(subscription);
      changed();
      changeSoleHoldings(socket, 1);
    } else if (subscription.sockets.size() == 1) {
      changeSoleHoldings(subscription.sockets.get(0), -1); // shared from now on
    }
    socket.join(address);
    subscription.sockets.add(socket);
    return true;
  }

  /**
   * The socket, just registered on the address (which keeps a history), asks for what it missed after {@code since} in
   * {@code epoch}: see {@link AddressStream#recover}.
   */
  void recover(String address, BridgeSocket socket, long since, String epoch) {
    Subscription subscription = byAddress.get(address);
    if (subscription != null && subscription.stream != null) subscription.stream.recover(socket, since, epoch);
  }

  void leave(String address, BridgeSocket socket) {
    if (!socket.leave(address)) return;
    Subscription subscription = byAddress.get(address);
    subscription.sockets.remove(socket);
    if (subscription.stream != null) subscription.stream.leave(socket);
    if (subscription.sockets.isEmpty()) {
      changeSoleHoldings(socket, -1);
      retire(subscription);
    } else if (subscription.sockets.size() == 1) {
      changeSoleHoldings(subscription.sockets.get(0), 1); // held alone again
    }
  }

  void leaveAll(BridgeSocket socket) {
    socket.addresses().forEach(address -> leave(address, socket));
  }

  /**
   * Addresses with a consumer on this node, or one on its way, or being removed: each is an entry in the cluster's
   * subscriptions, or soon will be, or was (the gauge; the budget leaves out those being removed).
   */
  int addresses() {
    return byAddress.size() + removing;
  }

  /** Changes waiting for their turn to reach the cluster. */
  int waiting() {
    return registrations.size() - cancelledWaiting + removals.size();
  }

  /**
   * The budget is spent: the socket that holds the most addresses alone gives way, if it holds at least two more than
   * the newcomer (max-min fairness: neither can then take the other's place back and forth). The room it leaves is
   * the newcomer's at once; it reaches the cluster as removals.
   */
  private boolean makeRoomFor(BridgeSocket newcomer) {
    for (int held = bySoleHoldings.size() - 1; held >= newcomer.soleHoldings() + 2; held--) {
      Set<BridgeSocket> holders = bySoleHoldings.get(held);
      if (!holders.isEmpty()) {
        evict.accept(holders.iterator().next()); // the one that has held that many longest
        return true;
      }
    }
    return false;
  }

  private void changeSoleHoldings(BridgeSocket socket, int by) {
    int before = socket.soleHoldings();
    int after = before + by;
    if (before > 0) bySoleHoldings.get(before).remove(socket);
    if (after > 0) {
      while (bySoleHoldings.size() <= after) bySoleHoldings.add(new LinkedHashSet<>());
      bySoleHoldings.get(after).add(socket);
    }
    socket.soleHoldings(after);
  }

  /** No socket is left on it: a registration still waiting is dropped, a consumer is queued for removal. */
  private void retire(Subscription subscription) {
    byAddress.remove(subscription.address);
    if (subscription.stream != null) subscription.stream.close();
    if (subscription.consumer == null) {
      subscription.cancelled = true;
      cancelledWaiting++;
      metrics.clusterChangeCancelled();
      compactIfMostlyCancelled();
    } else {
      removals.add(subscription.consumer);
      removing++;
      pump();
    }
    changed();
  }

  /**
   * Taking one cancelled registration out of the queue costs a scan of it, so they are left to be skipped at their turn,
   * and the queue is rebuilt once they are most of it: at most twice what waits, at a cost of one pass per half of it.
   */
  private void compactIfMostlyCancelled() {
    if (cancelledWaiting < 64 || 2 * cancelledWaiting < registrations.size()) return;
    registrations.removeIf(waiting -> waiting.cancelled);
    cancelledWaiting = 0;
  }

  private void changed() {
    pump();
    metrics.subscriptionState(addresses(), waiting());
  }

  private void pump() {
    while (inFlight < MAX_IN_FLIGHT && (!registrations.isEmpty() || !removals.isEmpty())) {
      boolean removal = !removals.isEmpty() && (removalNext || registrations.isEmpty());
      removalNext = !removal;
      if (removal) {
        unregister(removals.poll());
      } else {
        Subscription next = registrations.poll();
        if (next.cancelled) {
          cancelledWaiting--;
        } else {
          register(next);
        }
      }
    }
  }

  private void register(Subscription subscription) {
    inFlight++;
    long queuedAt = subscription.queuedAtNanos;
    subscription.consumer = eventBus.consumer(subscription.address, subscription::dispatch);
    subscription.consumer.completion().onComplete(done -> {
      subscription.live.tryComplete();
      if (done.failed()) {
        LOG.warning("The cluster did not take the bridge's registration on " + subscription.address + ": "
            + done.cause().getMessage() + "; publications from other nodes may not reach its browsers");
      }
      metrics.clusterChangeDone(BridgeMetrics.CLUSTER_REGISTER, System.nanoTime() - queuedAt);
      finished();
    });
  }

  private void unregister(MessageConsumer<Object> consumer) {
    inFlight++;
    long started = System.nanoTime();
    consumer.unregister().onComplete((AsyncResult<Void> done) -> {
      removing--;
      metrics.clusterChangeDone(BridgeMetrics.CLUSTER_UNREGISTER, System.nanoTime() - started);
      finished();
    });
  }

  private void finished() {
    inFlight--;
    changed();
  }

  /**
   * One address: its consumer (null until its registration's turn), the local sockets registered on it, and, if the
   * address keeps a history, the stream that puts its numbered publications in order.
   */
  private static final class Subscription implements AddressStream.Sockets {
    private final String address;
    private final BridgeMetrics metrics;
    private final List<BridgeSocket> sockets = new ArrayList<>();
    private final Promise<Void> live = Promise.promise();
    private AddressStream stream;
    private final long queuedAtNanos = System.nanoTime();
    private MessageConsumer<Object> consumer;
    private long priority;
    private long sequence;
    private boolean cancelled;
    private int next;

    Subscription(String address, BridgeMetrics metrics) {
      this.metrics = metrics;
      this.address = address;
    }

    void numbered(Vertx vertx, HistoryReads history) {
      stream = new AddressStream(address, vertx, history, metrics, this, AddressStream.MAX_HELD);
    }

    @Override
    public List<BridgeSocket> all() {
      return sockets;
    }

    @Override
    public Future<Void> live() {
      return live.future();
    }

    void dispatch(Message<Object> message) {
      if (sockets.isEmpty()) return;
      if (message.isSend()) {
        nextSocket().deliver(address, message);
      } else if (stream != null && message.headers().contains(HistoryHeaders.OFFSET)) {
        inTurn(message);
      } else {
        broadcast(message);
      }
    }

    /** A numbered publication goes through the stream, which hands it on in the order of its offset. */
    private void inTurn(Message<Object> message) {
      long offset;
      try {
        offset = Long.parseLong(message.headers().get(HistoryHeaders.OFFSET));
      } catch (NumberFormatException e) {
        broadcast(message); // not numbered by us: as it is
        return;
      }
      String epoch = message.headers().get(HistoryHeaders.EPOCH);
      ServerFrame frame = encode(message);
      if (frame == null) return;
      if (epoch == null) {
        broadcastFrame(frame);
      } else {
        stream.arrived(offset, epoch, frame);
      }
    }

    private ServerFrame encode(Message<Object> message) {
      try {
        return ServerFrames.rec(address, message.body(), message.headers(), null);
      } catch (EncodeException e) {
        LOG.warning("Dropped a message published to " + address + ": its body is not JSON (" + e.getMessage() + ")");
        return null;
      }
    }

    private BridgeSocket nextSocket() {
      int index = next % sockets.size();
      next = index + 1;
      return sockets.get(index);
    }

    private void broadcast(Message<Object> message) {
      ServerFrame frame = encode(message);
      if (frame != null) broadcastFrame(frame);
    }

    private void broadcastFrame(ServerFrame frame) {
      long now = System.nanoTime();
      int written = 0;
      try {
        for (BridgeSocket socket : sockets) {
          if (socket.writeShared(frame, now)) written++;
        }
      } finally {
        frame.release();
      }
      metrics.sent(frame.type(), written); // once per message, not once per socket
    }
  }
}
