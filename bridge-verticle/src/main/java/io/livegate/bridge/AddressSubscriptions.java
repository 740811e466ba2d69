package io.livegate.bridge;

import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.EncodeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node's event-bus consumers for browser registrations: ONE consumer per address, shared by every
 * local socket registered on it, unregistered when the last socket leaves. A published message is
 * encoded once and the same frame written to every socket; a point-to-point send goes to one socket,
 * round-robin. Used only on the bridge verticle's context.
 */
final class AddressSubscriptions {
  private static final Logger LOG = Logger.getLogger(AddressSubscriptions.class.getName());

  private final EventBus eventBus;
  private final BridgeMetrics metrics;
  private final Map<String, Subscription> byAddress = new HashMap<>();

  AddressSubscriptions(EventBus eventBus, BridgeMetrics metrics) {
    this.metrics = metrics;
    this.eventBus = eventBus;
  }

  void join(String address, BridgeSocket socket) {
    if (!socket.join(address)) return;
    byAddress.computeIfAbsent(address, this::subscribe).sockets.add(socket);
  }

  void leave(String address, BridgeSocket socket) {
    if (!socket.leave(address)) return;
    Subscription subscription = byAddress.get(address);
    subscription.sockets.remove(socket);
    if (subscription.sockets.isEmpty()) {
      byAddress.remove(address);
      subscription.consumer.unregister();
    }
  }

  void leaveAll(BridgeSocket socket) {
    socket.addresses().forEach(address -> leave(address, socket));
  }

  private Subscription subscribe(String address) {
    Subscription subscription = new Subscription(address, metrics);
    subscription.consumer = eventBus.consumer(address, subscription::dispatch);
    subscription.consumer.completion()
        .onFailure(e -> LOG.log(Level.WARNING, "Could not register the bridge consumer for " + address, e));
    return subscription;
  }

  /** One address: its consumer and the local sockets registered on it. */
  private static final class Subscription {
    private final String address;
    private final BridgeMetrics metrics;
    private final List<BridgeSocket> sockets = new ArrayList<>();
    private MessageConsumer<Object> consumer;
    private int next;

    Subscription(String address, BridgeMetrics metrics) {
      this.metrics = metrics;
      this.address = address;
    }

    void dispatch(Message<Object> message) {
      if (sockets.isEmpty()) return;
      if (message.isSend()) {
        nextSocket().deliver(address, message);
      } else {
        broadcast(message);
      }
    }

    private BridgeSocket nextSocket() {
      int index = next % sockets.size();
      next = index + 1;
      return sockets.get(index);
    }

    private void broadcast(Message<Object> message) {
      ServerFrame frame;
      try {
        frame = ServerFrames.rec(address, message.body(), message.headers(), null);
      } catch (EncodeException e) {
        LOG.warning("Dropped a message published to " + address + ": its body is not JSON (" + e.getMessage() + ")");
        return;
      }
      long now = System.nanoTime();
      int written = 0;
      try {
        for (BridgeSocket socket : sockets) {
          if (socket.write(frame, now)) written++;
        }
      } finally {
        frame.release();
      }
      metrics.sent(frame.type(), written); // once per message, not once per socket
    }
  }
}
