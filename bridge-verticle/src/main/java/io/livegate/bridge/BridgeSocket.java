package io.livegate.bridge;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.EncodeException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One browser connection and what the bridge holds for it: the addresses it registered, the messages
 * waiting for its reply, and when it last sent anything. Used only on the bridge verticle's context.
 */
final class BridgeSocket {
  private static final Logger LOG = Logger.getLogger(BridgeSocket.class.getName());

  /** A message the browser was handed with a bridge-made reply address, and the timer that forgets it. */
  private record PendingReply(Message<Object> message, long timerId) {}

  private final BrowserConnection connection;
  private final Vertx vertx;
  private final long replyTimeoutMs;
  private final BridgeMetrics metrics;
  private final Handler<BridgeSocket> tooSlow;
  private final PermittedAddresses permitted;
  private long endTimerId = -1;
  private final Set<String> addresses = new HashSet<>();
  /** The addresses it is shown present on ({@link io.livegate.core.Presence}), a subset of those it registered on. */
  private Set<String> present;
  /** Its presence entries' id (opaque, random) and who it is: the token's subject, else that id. */
  private String presenceId;
  private String client;
  private final Map<String, PendingReply> pendingReplies = new HashMap<>();
  private long lastSeenNanos = System.nanoTime();
  private long lastSentNanos = lastSeenNanos;
  private TokenBucket frameTokens;
  private long refusalWindowStartNanos;
  private int refusedInWindow;
  private TokenBucket registrationTokens;
  private TokenBucket recoveryTokens;
  private long registrationsCaused;
  private int soleHoldings;
  private boolean closed;

  /**
   * @param tooSlow called once, the first time the connection refuses a frame because too much waits for it
   */
  BridgeSocket(BrowserConnection connection, Vertx vertx, long replyTimeoutMs, BridgeMetrics metrics,
      Handler<BridgeSocket> tooSlow, PermittedAddresses permitted) {
    this.permitted = permitted;
    this.connection = connection;
    this.vertx = vertx;
    this.replyTimeoutMs = replyTimeoutMs;
    this.metrics = metrics;
    this.tooSlow = tooSlow;
  }

  void touch() {
    lastSeenNanos = System.nanoTime();
  }

  /**
   * The frame-rate limit, a token bucket: {@code perSecond} tokens a second, up to a burst of twice that.
   * True if the socket may send this frame.
   */
  boolean takeFrameToken(long nowNanos, int perSecond) {
    if (frameTokens == null) frameTokens = new TokenBucket(perSecond, 2 * perSecond);
    return frameTokens.take(nowNanos);
  }

  /** Counts a frame refused for its rate; the number refused within the current second. */
  int refusedForRate(long nowNanos) {
    if (nowNanos - refusalWindowStartNanos >= 1_000_000_000L) {
      refusalWindowStartNanos = nowNanos;
      refusedInWindow = 0;
    }
    return ++refusedInWindow;
  }

  /** The per-socket registration rate: true if the socket may register on one more address now. */
  boolean takeRegistrationToken(long nowNanos, int perSecond, int burst) {
    if (registrationTokens == null) registrationTokens = new TokenBucket(perSecond, burst);
    return registrationTokens.take(nowNanos);
  }

  /**
   * Registers with {@code since}, each a read of the history: one a second, after a burst of {@code burst} (a page
   * that reconnects recovers all its addresses at once).
   */
  boolean takeRecoveryToken(long nowNanos, int burst) {
    if (recoveryTokens == null) recoveryTokens = new TokenBucket(1, burst);
    return recoveryTokens.take(nowNanos);
  }

  /**
   * Counts a consumer this socket's registration made the node create (it was the first on that address), and
   * returns how many it had made before: the order in which they reach the cluster.
   */
  long causeRegistration() {
    return registrationsCaused++;
  }

  /** Addresses of this node that this socket alone is registered on: its share of {@code --max-addresses}. */
  int soleHoldings() {
    return soleHoldings;
  }

  void soleHoldings(int addresses) {
    soleHoldings = addresses;
  }

  int registrations() {
    return addresses.size();
  }

  boolean isRegisteredOn(String address) {
    return addresses.contains(address);
  }

  /** What this socket may reach: the configured addresses (anonymous), or what its token grants. */
  PermittedAddresses permitted() {
    return permitted;
  }

  /** The timer that ends this socket's access (its token's expiry); cancelled if the socket closes first. */
  void endAt(long timerId) {
    endTimerId = timerId;
  }

  /** Has the bridge written to this socket within the last {@code ms}? */
  boolean sentWithin(long ms, long nowNanos) {
    return nowNanos - lastSentNanos < ms * 1_000_000L;
  }

  boolean silentFor(long ms, long nowNanos) {
    return nowNanos - lastSeenNanos >= ms * 1_000_000L;
  }

  /** Records a registration; false if the socket was already registered there. */
  boolean join(String address) {
    return addresses.add(address);
  }

  /** Forgets a registration; false if the socket was not registered there. */
  boolean leave(String address) {
    return addresses.remove(address);
  }

  Set<String> addresses() {
    return Set.copyOf(addresses);
  }

  boolean awaitsReplyAt(String replyAddress) {
    return pendingReplies.containsKey(replyAddress);
  }

  /** The message waiting for the browser's reply at {@code replyAddress}, or null; it is forgotten. */
  Message<Object> takePendingReply(String replyAddress) {
    PendingReply pending = pendingReplies.remove(replyAddress);
    if (pending == null) return null;
    vertx.cancelTimer(pending.timerId());
    return pending.message();
  }

  /**
   * Writes a message as a rec frame to {@code address}. If the sender expects a reply, the frame carries
   * a reply address made here, valid for this socket only until the reply timeout.
   */
  void deliver(String address, Message<Object> message) {
    String replyAddress = message.replyAddress() == null ? null : UUID.randomUUID().toString();
    ServerFrame frame;
    try {
      frame = ServerFrames.rec(address, message.body(), message.headers(), replyAddress);
    } catch (EncodeException e) {
      dropUnencodable(address, message, e);
      return;
    }
    if (replyAddress != null) keepPending(replyAddress, message);
    writeOwn(frame);
  }

  /** Writes a frame made for this socket alone, which it takes: it is released here, written or not. */
  void writeOwn(ServerFrame frame) {
    try {
      if (writeShared(frame, System.nanoTime())) metrics.sent(frame.type(), 1);
    } finally {
      frame.release();
    }
  }

  /**
   * Writes a frame that goes to many sockets, which it only borrows: its maker releases it after the last, and counts
   * the frames written once for all of them.
   *
   * @param nowNanos the time of writing, read once by the caller
   * @return whether the frame was written to this socket
   */
  boolean writeShared(ServerFrame frame, long nowNanos) {
    if (closed) return false;
    if (!connection.write(frame)) {
      closed = true; // nothing more is written; the connection's close handler disposes of the rest
      tooSlow.handle(this);
      return false;
    }
    lastSentNanos = nowNanos;
    return true;
  }

  /** The connection would hold more for the browser than it may (a ping it cannot answer, a fragment): dropped. */
  void overBudget() {
    if (closed) return;
    closed = true;
    tooSlow.handle(this);
  }

  void refuse(String reason) {
    writeOwn(ServerFrames.refusal(reason));
  }

  void close() {
    connection.close();
  }

  /** Closes at once, discarding what waits to be sent (see {@link BrowserConnection#drop}). */
  void drop() {
    connection.drop();
  }

  /** Closes with a WebSocket close code and reason the client can act on (e.g. 1012: reconnect elsewhere). */
  void close(short code, String reason) {
    connection.close(code, reason);
  }

  /** The connection is gone: forget pending replies and their timers; later writes are dropped. */
  /** Its presence entries' id: random, made when first asked for. */
  String presenceId() {
    if (presenceId == null) presenceId = PresenceIds.next();
    return presenceId;
  }

  /** Who it is in presence: the token's subject, else its presence id. */
  String client() {
    return client != null ? client : presenceId();
  }

  void subject(String subject) {
    this.client = subject;
  }

  /** Records that it is shown present on {@code address}; false if it already was. */
  boolean markPresent(String address) {
    if (present == null) present = new HashSet<>(4);
    return present.add(address);
  }

  /** Forgets that it was present on {@code address}; false if it was not. */
  boolean unmarkPresent(String address) {
    return present != null && present.remove(address);
  }

  /** The addresses it is present on, now (a copy). */
  Set<String> presentOn() {
    return present == null ? Set.of() : Set.copyOf(present);
  }

  void dispose() {
    if (endTimerId >= 0) vertx.cancelTimer(endTimerId);
    closed = true;
    pendingReplies.values().forEach(pending -> vertx.cancelTimer(pending.timerId()));
    pendingReplies.clear();
  }

  /** What the node holds for the connection now (see {@link BrowserConnection#held}). */
  int held() {
    return connection.held();
  }

  boolean isClosed() {
    return closed;
  }

  @Override
  public String toString() {
    return connection.toString();
  }

  private void keepPending(String replyAddress, Message<Object> message) {
    long timerId = vertx.setTimer(replyTimeoutMs, id -> pendingReplies.remove(replyAddress));
    pendingReplies.put(replyAddress, new PendingReply(message, timerId));
  }

  private void dropUnencodable(String address, Message<Object> message, EncodeException cause) {
    LOG.log(Level.WARNING, "Dropped a message for " + address + ": its body is not JSON (" + cause.getMessage() + ")");
    if (message.replyAddress() != null) message.fail(500, "the bridge cannot encode the body as JSON");
  }
}
