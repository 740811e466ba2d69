package io.livegate.bridge;

import io.livegate.bridge.FrameValidator.Accepted;
import io.livegate.bridge.FrameValidator.Refused;
import io.livegate.bridge.FrameValidator.Verdict;
import io.livegate.core.Addresses;
import io.livegate.core.HistoryHeaders;
import io.livegate.core.NodeConfig;
import io.livegate.core.Presence;
import io.livegate.core.Publications;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * Our event-bus bridge over SockJS sockets: speaks the frames of vertx-web's stock bridge (so the stock JS
 * client works unchanged) but holds one consumer per address per node, answers {@code bridge.ping} itself,
 * and refuses bad frames through {@link FrameValidator} alone. Runs on the bridge verticle's context.
 */
final class EventBusBridge implements Handler<SockJSSocket> {
  /** WebSocket close code (RFC 6455 7.4.1): a client that broke a limit. */
  private static final short POLICY_VIOLATION = 1008;
  private static final int SILENT_WHILE_RECEIVING = 6;
  /** A {@code since}: an offset, decimal, at most 18 digits (within a long). */
  private static final Pattern OFFSET = Pattern.compile("[0-9]{1,18}");
  /** The register header that carries what a connection shows in presence. */
  static final String PRESENCE_NAME = "name";
  private static final Logger LOG = Logger.getLogger(EventBusBridge.class.getName());

  private final Vertx vertx;
  private final EventBus eventBus;
  private final FrameValidator validator;
  private final BrowserAuth auth;
  private final AddressSubscriptions subscriptions;
  private final BridgeMetrics metrics;
  private final Supplier<String> nodeId;
  /** What a person calls this node (the dashboard shows it): {@code --node-name}, or host:port. */
  private final String nodeName;
  private final long sendTimeoutMs;
  private final long idleTimeoutMs;
  private final int maxQueuedBytes;
  private final NodeConfig.BridgeLimits limits;
  private final Publications publications;
  private final Presence presence;
  private final int maxPresenceEntries;
  private final Set<BridgeSocket> sockets = new HashSet<>();
  private final ClosingLog closingLog;
  private final AdmissionGate gate;
  /** While draining: completes when the last socket has closed. */
  private Promise<Void> emptied;

  EventBusBridge(Vertx vertx, AdmissionGate gate, FrameValidator validator, BrowserAuth auth, BridgeMetrics metrics, Supplier<String> nodeId,
      String nodeName, long sendTimeoutMs,
      long idleTimeoutMs, int maxQueuedBytes, NodeConfig.BridgeLimits limits, Publications publications,
      Presence presence, int maxPresenceEntries) {
    this.vertx = vertx;
    this.gate = gate;
    this.eventBus = vertx.eventBus();
    this.validator = validator;
    this.auth = auth;
    this.publications = publications;
    this.presence = presence;
    this.maxPresenceEntries = maxPresenceEntries;
    this.subscriptions = new AddressSubscriptions(vertx, publications.history(), metrics, limits.maxAddresses(),
        this::giveWayForAddresses);
    this.metrics = metrics;
    this.nodeId = nodeId;
    this.nodeName = nodeName;
    this.sendTimeoutMs = sendTimeoutMs;
    this.idleTimeoutMs = idleTimeoutMs;
    this.maxQueuedBytes = maxQueuedBytes;
    this.limits = limits;
    this.closingLog = new ClosingLog(vertx);
  }

  /**
   * Starts closing sockets that stay silent (not even a ping) for the idle timeout; 0 turns that off.
   * Vert.x cancels the timer when the verticle is undeployed.
   */
  void start() {
    if (idleTimeoutMs > 0) vertx.setPeriodic(sweepInterval(idleTimeoutMs), id -> closeIdleSockets());
  }

  @Override
  public void handle(SockJSSocket sock) {
    accept(BrowserConnection.of(sock, maxQueuedBytes, validator.maxFrameBytes()));
  }

  /**
   * Closes every open connection with {@code code} and {@code reason} (the gate, closed meanwhile, refuses any that
   * still arrives: an upgrade under way); their close handlers count them out as the clients acknowledge. Completes
   * when the last has closed.
   */
  Future<Void> drain(short code, String reason) {
    Promise<Void> emptied = Promise.promise();
    this.emptied = emptied;
    for (BridgeSocket socket : List.copyOf(sockets)) socket.close(code, reason);
    if (sockets.isEmpty()) emptied.tryComplete();
    return emptied.future();
  }

  /** After a {@link #drain} that was not for good (a node back on the majority side): its promise is forgotten. */
  void admitAgain() {
    emptied = null;
  }

  /** Any connection that carries bridge frames: a SockJS session, or a raw WebSocket ({@link RawWebSocket}). */
  void accept(BrowserConnection connection) {
    if (gate.atOpen() instanceof AdmissionGate.Refused refused) {
      gate.refuse(connection, refused);
      return;
    }
    // Token checks are synchronous (a signature and a few claims), so the connection is admitted or refused
    // before it can send a frame.
    auth.admit(connection.token()).onComplete(admitted -> {
      if (admitted.succeeded()) {
        open(connection, admitted.result());
      } else {
        String reason = admitted.cause() instanceof BrowserAuth.Refused refused ? refused.reason() : BridgeErrors.INVALID_TOKEN;
        metrics.connectionRefused(reason);
        ServerFrame refusal = ServerFrames.refusal(reason);
        connection.write(refusal); // a connection only borrows what it writes: this frame is ours to release
        refusal.release();
        connection.close(POLICY_VIOLATION, reason);
      }
    });
  }

  private void open(BrowserConnection connection, BrowserAuth.Admission admission) {
    BridgeSocket socket = new BridgeSocket(connection, vertx, sendTimeoutMs, metrics, this::dropSlowConsumer,
        admission.permitted());
    socket.subject(admission.subject());
    if (admission.expiresAtMillis() > 0) {
      long delay = Math.max(1, admission.expiresAtMillis() - System.currentTimeMillis());
      socket.endAt(vertx.setTimer(delay, id -> endForExpiredToken(socket)));
    }
    sockets.add(socket);
    metrics.opened();
    // An abrupt client drop is normal life for a gateway, not an error worth a stack trace.
    connection.handlers(data -> onFrame(socket, data), v -> onClosed(socket),
        e -> LOG.log(Level.FINE, socket + " failed: " + e));
    connection.gate(new BrowserConnection.FrameGate() {
      @Override public boolean admit() {
        return admitFrame(socket);
      }
      @Override public void tooLarge() {
        if (admitFrame(socket)) refuse(socket, BridgeErrors.FRAME_TOO_LARGE);
      }
      @Override public void overBudget() {
        socket.overBudget();
      }
      @Override public void closedFor(String cause) {
        closedForProtocol(socket, cause);
      }
    });
  }

  /** What the node holds for its WebSocket connections now (raw and SockJS): queued frames, messages being joined. */
  long heldBytes() {
    long held = 0;
    for (BridgeSocket socket : sockets) held += socket.held();
    return held;
  }

  /** The connections open on this bridge now (the admission gate counts them to {@code --max-connections}). */
  int openSockets() {
    return sockets.size();
  }

  private void onFrame(BridgeSocket socket, Buffer data) {
    if (!admitFrame(socket)) return;
    Verdict verdict = validator.validate(data, socket.permitted(), socket::awaitsReplyAt);
    if (verdict instanceof Refused refused) {
      refuse(socket, refused.reason());
      return;
    }
    InboundFrame frame = ((Accepted) verdict).frame();
    if (frame.type() == FrameType.REGISTER && !socket.isRegisteredOn(frame.address())) {
      register(socket, frame);
      return;
    }
    metrics.accepted(frame.type());
    switch (frame.type()) {
      case SEND -> send(socket, frame);
      case PUBLISH -> publish(socket, frame);
      case UNREGISTER -> {
        subscriptions.leave(frame.address(), socket);
        leavePresence(socket, frame.address());
      }
      default -> { } // PING: touch() above is all a keep-alive needs; REGISTER: already registered there
    }
  }

  /**
   * A registration on an address new to this socket, within the socket's budgets (how many, how fast) and the node's
   * (how many distinct addresses): every node's copy of the cluster's subscriptions pays for it.
   */
  private void register(BridgeSocket socket, InboundFrame frame) {
    String address = frame.address();
    boolean keepsPresence = presence.tracks(address);
    Object name = frame.headers() == null ? null : frame.headers().getValue(PRESENCE_NAME);
    String nameProblem = keepsPresence ? Presence.nameProblem(name) : null;
    if (nameProblem != null) {
      metrics.refused(BridgeErrors.INVALID_PRESENCE_NAME);
      socket.writeOwn(ServerFrames.addressRefusal(address, BridgeErrors.INVALID_PRESENCE_NAME, nameProblem));
    } else if (socket.registrations() >= limits.maxRegistrations()) {
      refuse(socket, BridgeErrors.TOO_MANY_REGISTRATIONS);
    } else if (!socket.takeRegistrationToken(System.nanoTime(), limits.maxRegistrationsPerSecond(), limits.registrationBurst())) {
      refuse(socket, BridgeErrors.RATE_LIMITED);
    } else if (!subscriptions.join(address, socket)) {
      refuse(socket, BridgeErrors.TOO_MANY_ADDRESSES);
    } else {
      metrics.accepted(FrameType.REGISTER);
      if (keepsPresence) joinPresence(socket, address, (String) name);
      if (frame.headers() != null && frame.headers().containsKey(HistoryHeaders.SINCE)) recover(socket, frame);
    }
  }

  /**
   * The socket is shown present on {@code address}, within the node's budget of entries; beyond it, it is registered
   * all the same and told it is not shown ({@code presence_full}).
   */
  private void joinPresence(BridgeSocket socket, String address, String name) {
    if (presence.ownEntries() >= maxPresenceEntries) {
      metrics.refused(BridgeErrors.PRESENCE_FULL);
      socket.writeOwn(ServerFrames.addressRefusal(address, BridgeErrors.PRESENCE_FULL, "this node shows "
          + maxPresenceEntries + " presence entries (--max-presence-entries): registered, not shown present"));
      return;
    }
    if (!socket.markPresent(address)) return;
    metrics.presenceJoined();
    presence.join(address, new Presence.Member(socket.presenceId(), socket.client(), name, System.currentTimeMillis()))
        .onFailure(e -> LOG.fine(() -> socket + " could not be shown present on " + address + ": " + e));
  }

  private void leavePresence(BridgeSocket socket, String address) {
    if (!socket.unmarkPresent(address)) return;
    metrics.presenceLeft();
    presence.leave(address, socket.presenceId())
        .onFailure(e -> LOG.fine(() -> socket + " could not leave the presence of " + address + ": " + e));
  }

  /** A send to {@code presence.<address>}: the bridge answers with who is there, from this node's copy. */
  private void answerPresence(BridgeSocket socket, InboundFrame frame) {
    if (!frame.expectsReply()) {
      metrics.refused(BridgeErrors.INVALID_REPLY_ADDRESS);
      socket.writeOwn(ServerFrames.addressRefusal(frame.address(), BridgeErrors.INVALID_REPLY_ADDRESS,
          "a presence request needs a replyAddress: the list is the reply"));
      return;
    }
    metrics.presenceQueried();
    String target = Addresses.presenceTarget(frame.address());
    socket.writeOwn(ServerFrames.rec(frame.replyAddress(), Presence.listing(target, presence.members(target)), null, null));
  }

  /**
   * A register with {@code since} (and {@code epoch}): the socket first gets what it missed, if the history has it
   * ({@link AddressStream#recover}). A {@code since} that cannot be a place in a history is refused with an {@code err}
   * frame on the address; the registration stands, live.
   */
  private void recover(BridgeSocket socket, InboundFrame frame) {
    String address = frame.address();
    Object since = frame.headers().getValue(HistoryHeaders.SINCE);
    Object epoch = frame.headers().getValue(HistoryHeaders.EPOCH);
    String problem = null;
    long offset = -1;
    if (!publications.history().keeps(address)) {
      metrics.refused(BridgeErrors.NO_HISTORY);
      metrics.recovery(BridgeMetrics.RECOVERY_INVALID);
      socket.writeOwn(ServerFrames.addressRefusal(address, BridgeErrors.NO_HISTORY, address + " keeps no history"));
      return;
    }
    if (!(since instanceof String text) || !OFFSET.matcher(text).matches()) {
      problem = "since must be an offset: a decimal number of at most 18 digits";
    } else if (!(epoch instanceof String e) || e.isEmpty() || e.length() > HistoryHeaders.MAX_EPOCH_LENGTH) {
      problem = "since needs the epoch its offset was in (headers.epoch of the frames received)";
    } else {
      offset = Long.parseLong(text);
    }
    if (problem != null) {
      metrics.refused(BridgeErrors.INVALID_SINCE);
      metrics.recovery(BridgeMetrics.RECOVERY_INVALID);
      socket.writeOwn(ServerFrames.addressRefusal(address, BridgeErrors.INVALID_SINCE, problem));
      return;
    }
    if (!socket.takeRecoveryToken(System.nanoTime(), limits.maxRegistrations())) {
      metrics.refused(BridgeErrors.RATE_LIMITED);
      socket.writeOwn(ServerFrames.addressRefusal(address, BridgeErrors.RATE_LIMITED, "registers with since beyond one a "
          + "second (after a burst of " + limits.maxRegistrations() + "): registered without recovery"));
      return;
    }
    subscriptions.recover(address, socket, offset, (String) epoch);
  }

  /**
   * A browser's publish: through {@link Publications}, so that an address that keeps a history keeps it too. If the
   * history could not, nothing is published and the browser is told ({@code publish_failed}).
   */
  private void publish(BridgeSocket socket, InboundFrame frame) {
    publications.publish(frame.address(), frame.body(), frame.deliveryOptions(sendTimeoutMs).getHeaders())
        .onFailure(e -> {
          LOG.fine(() -> "A publication on " + frame.address() + " was not kept: " + e);
          if (!socket.isClosed()) refuse(socket, BridgeErrors.PUBLISH_FAILED);
        });
  }

  /**
   * Any frame from the socket, a whole message or (raw WebSocket) a ping, a pong, a fragment: it counts as activity,
   * and takes a token of the frame-rate limit. False if it is not to be handled.
   *
   * <p>A WebSocket ping keeps a socket open as a bridge {@code ping} frame does (the stock client sends the latter;
   * other clients use the former): it is rate-limited like any frame, and answered within the socket's budget, so a
   * client that pings without reading is dropped like any slow consumer.
   */
  private boolean admitFrame(BridgeSocket socket) {
    if (socket.isClosed()) return false; // closed by us (a limit), its connection not yet gone
    long now = System.nanoTime();
    socket.touch();
    if (!socket.takeFrameToken(now, limits.maxFramesPerSecond())) {
      refuseForRate(socket, now);
      return false;
    }
    return true;
  }

  /** The token's access ends at its expiry: the browser is told why, and reconnects with a fresh token. */
  private void endForExpiredToken(BridgeSocket socket) {
    if (socket.isClosed()) return;
    metrics.connectionRefused(BridgeErrors.TOKEN_EXPIRED);
    socket.refuse(BridgeErrors.TOKEN_EXPIRED);
    closeForPolicy(socket, BridgeErrors.TOKEN_EXPIRED);
  }

  private void refuse(BridgeSocket socket, String reason) {
    metrics.refused(reason);
    socket.refuse(reason);
  }

  /** Over the frame rate: refused with an err frame; a socket that goes on for a second's worth is closed. */
  private void refuseForRate(BridgeSocket socket, long now) {
    if (socket.refusedForRate(now) <= limits.maxFramesPerSecond()) {
      refuse(socket, BridgeErrors.RATE_LIMITED);
      return;
    }
    metrics.refused(BridgeErrors.RATE_LIMITED);
    if (socket.isClosed()) return;
    metrics.closedFor(BridgeErrors.CLOSED_FRAME_RATE);
    closingLog.closed(BridgeErrors.CLOSED_FRAME_RATE, Level.INFO, () -> "Closing " + socket + ": it goes on sending beyond "
        + limits.maxFramesPerSecond() + " frames a second (--max-frames-per-second)",
        "connections closed for --max-frames-per-second");
    closeForPolicy(socket, "frame rate limit exceeded");
  }

  /** The socket's client broke the WebSocket protocol; its connection has sent the close frame and closes. */
  private void closedForProtocol(BridgeSocket socket, String cause) {
    metrics.closedFor(cause);
    closingLog.closed(cause, Level.INFO, () -> "Closed " + socket + " for a breach of the WebSocket protocol: " + cause,
        "connections closed for " + cause);
    socket.dispose();
  }

  /**
   * {@code --max-addresses} is spent and this socket holds the most of it alone: it is closed (1008), and leaves its
   * addresses now, so a socket that holds few of them gets the room.
   */
  private void giveWayForAddresses(BridgeSocket socket) {
    int held = socket.soleHoldings();
    metrics.closedFor(BridgeErrors.CLOSED_MAX_ADDRESSES);
    closingLog.closed(BridgeErrors.CLOSED_MAX_ADDRESSES, Level.INFO, () -> "Closing " + socket + ": it alone holds "
        + held + " of this node's addresses, --max-addresses is spent, and a socket holding fewer registered on a new one",
        "connections closed to share --max-addresses");
    socket.refuse(BridgeErrors.TOO_MANY_ADDRESSES);
    socket.close(POLICY_VIOLATION, "holds too many of this node's addresses (--max-addresses)");
    onClosed(socket);
  }

  /** Closes with 1008 and the reason; nothing more is read from it or written to it (its close handler counts it out). */
  private void closeForPolicy(BridgeSocket socket, String reason) {
    socket.close(POLICY_VIOLATION, reason);
    socket.dispose();
  }

  private void send(BridgeSocket socket, InboundFrame frame) {
    Message<Object> awaitingReply = socket.takePendingReply(frame.address());
    if (awaitingReply != null) {
      replyFromBrowser(socket, awaitingReply, frame);
    } else if (Addresses.BRIDGE_PING.equals(frame.address())) {
      answerPing(socket, frame);
    } else if (Addresses.isPresence(frame.address())) {
      answerPresence(socket, frame);
    } else if (frame.expectsReply()) {
      eventBus.request(frame.address(), frame.body(), frame.deliveryOptions(sendTimeoutMs))
          .onComplete(reply -> deliverReply(socket, frame.replyAddress(), reply));
    } else {
      eventBus.send(frame.address(), frame.body(), frame.deliveryOptions(sendTimeoutMs));
    }
  }

  /** The browser answers a message it was handed with a bridge-made reply address. */
  private void replyFromBrowser(BridgeSocket socket, Message<Object> awaitingReply, InboundFrame frame) {
    if (frame.expectsReply()) {
      awaitingReply.replyAndRequest(frame.body(), frame.deliveryOptions(sendTimeoutMs))
          .onComplete(reply -> deliverReply(socket, frame.replyAddress(), reply));
    } else {
      awaitingReply.reply(frame.body(), frame.deliveryOptions(sendTimeoutMs));
    }
  }

  /** Answered here, on the node that holds the socket: the round trip measures this node, not the cluster. */
  private void answerPing(BridgeSocket socket, InboundFrame frame) {
    if (!frame.expectsReply()) return;
    JsonObject pong = new JsonObject()
        .put("type", "PONG")
        .put("serverTime", System.currentTimeMillis())
        .put("node", nodeId.get())
        .put("name", nodeName);
    socket.writeOwn(ServerFrames.rec(frame.replyAddress(), pong, null, null));
  }

  private void deliverReply(BridgeSocket socket, String replyAddress, AsyncResult<Message<Object>> reply) {
    if (socket.isClosed()) return;
    if (reply.succeeded()) {
      socket.deliver(replyAddress, reply.result());
    } else {
      socket.writeOwn(ServerFrames.replyFailure(replyAddress, reply.cause()));
    }
  }

  private void onClosed(BridgeSocket socket) {
    if (!sockets.remove(socket)) return;
    metrics.closed();
    for (String address : socket.presentOn()) leavePresence(socket, address);
    subscriptions.leaveAll(socket);
    socket.dispose();
    if (emptied != null && sockets.isEmpty()) emptied.tryComplete();
  }

  /**
   * A socket that does not read must not make the node's memory grow: once the node would hold more than the limit
   * for it (what waits to be sent to it, pongs included, and what it has sent of an unfinished message), it is
   * dropped (its close handler then forgets it), counted, and logged once a minute at most, and everyone else carries
   * on.
   */
  private void dropSlowConsumer(BridgeSocket socket) {
    metrics.closedFor(BridgeErrors.CLOSED_MAX_QUEUED_BYTES);
    closingLog.closed(BridgeErrors.CLOSED_MAX_QUEUED_BYTES, Level.WARNING, () -> "Dropped " + socket
        + ": it does not read, and the node would hold more than " + maxQueuedBytes + " bytes for it (--max-queued-bytes)",
        "connections dropped for --max-queued-bytes");
    socket.drop();
  }

  /**
   * Closes the sockets silent for the idle timeout, but not one we have been sending to within it: under load
   * its pings wait behind what we send (in its client, or in our reading), and it is busy, not gone. Such a
   * socket gets {@link #SILENT_WHILE_RECEIVING} times the timeout; one that stops reading altogether is the
   * slow-consumer limit's.
   */
  private void closeIdleSockets() {
    long now = System.nanoTime();
    for (BridgeSocket socket : List.copyOf(sockets)) {
      boolean idle = socket.silentFor(idleTimeoutMs, now)
          && (!socket.sentWithin(idleTimeoutMs, now) || socket.silentFor(SILENT_WHILE_RECEIVING * idleTimeoutMs, now));
      if (idle) {
        LOG.fine(() -> "Closing " + socket + ": silent for " + idleTimeoutMs + " ms");
        socket.close();
        onClosed(socket);
      }
    }
  }

  /** Often enough that a socket is closed at most a quarter of the timeout late, capped at one second. */
  private static long sweepInterval(long idleTimeoutMs) {
    return Math.max(10, Math.min(idleTimeoutMs / 4, 1000));
  }
}
