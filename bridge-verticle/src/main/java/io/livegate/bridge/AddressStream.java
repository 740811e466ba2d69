package io.livegate.bridge;

import io.livegate.core.HistoryHeaders;
import io.livegate.core.PublicationHistory.Kept;
import io.livegate.core.PublicationHistory.Window;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * The publications of one address that keeps a history, as this node's browsers get them: in the order of their
 * offsets, each once, whatever order the cluster brought them in (two nodes publishing, a publisher that died
 * between keeping a publication and sending it); a hole is filled from the history. And the sockets that registered
 * with {@code since}: each first gets what it missed from the history, then a marker, then the live publications,
 * none twice. Used only on the bridge verticle's context, by the address's {@link AddressSubscriptions} entry.
 */
final class AddressStream {
  private static final Logger LOG = Logger.getLogger(AddressStream.class.getName());
  /** How long a publication ahead of its turn waits for the ones before it before they are read from the history. */
  static final long GAP_WAIT_MS = 100;
  /** Publications held ahead of their turn (node-wide, or for one recovering socket) before the oldest give way. */
  static final int MAX_HELD = 1000;
  /** After a recovery, how long until this node reads the history's newest once more (a publisher's view of who subscribes lags). */
  static final long[] CATCH_UP_AFTER_MS = {1_000, 3_000};

  /** Where the stream writes: the address's sockets. */
  interface Sockets {
    List<BridgeSocket> all();

    /** Completes once the node's consumer of the address is registered in the cluster. */
    Future<Void> live();
  }

  private final String address;
  private final Vertx vertx;
  private final HistoryReads history;
  private final BridgeMetrics metrics;
  private final Sockets sockets;
  private final int maxHeld;
  private String epoch;
  private long delivered = -1; // the newest offset handed to the sockets; -1 before the first
  private final TreeMap<Long, ServerFrame> held = new TreeMap<>();
  private long gapTimer = -1;
  private long startTimer = -1;
  private boolean filling;
  /** Sockets recovering (their live frames wait), or recovered and not to get again what they were sent. */
  private final Map<BridgeSocket, Recovery> recoveries = new IdentityHashMap<>();
  private boolean closed;
  private final boolean[] catchUps = new boolean[CATCH_UP_AFTER_MS.length];

  AddressStream(String address, Vertx vertx, HistoryReads history, BridgeMetrics metrics, Sockets sockets,
      int maxHeld) {
    this.address = address;
    this.vertx = vertx;
    this.history = history;
    this.metrics = metrics;
    this.sockets = sockets;
    this.maxHeld = maxHeld;
  }

  /** A publication arrived, numbered {@code offset} in {@code epochOf}; the frame is this stream's to release. */
  void arrived(long offset, String epochOf, ServerFrame frame) {
    if (closed) {
      frame.release();
      return;
    }
    if (!epochOf.equals(epoch)) {
      // The first publication here, or the history started over. The first of an epoch has nothing before it;
      // otherwise where the count starts is not known yet: publications that came out of order are let
      // {@link #GAP_WAIT_MS} to arrive, and the count starts at the lowest of them.
      releaseHeld();
      recoveries.values().removeIf(recovery -> recovery.done); // their floors count in the old epoch
      epoch = epochOf;
      delivered = offset == 1 ? 0 : -1;
      if (delivered < 0) startCounting();
    }
    if (offset <= delivered || held.containsKey(offset)) {
      frame.release(); // had already (from the history, or twice)
      return;
    }
    if (delivered >= 0 && offset == delivered + 1) {
      deliver(offset, frame);
      deliverHeldInTurn();
      return;
    }
    held.put(offset, frame);
    if (delivered < 0) return; // counted once the start is known
    if (held.size() >= maxHeld) {
      fillGap();
    } else {
      waitForGap();
    }
  }

  private void startCounting() {
    if (startTimer >= 0) vertx.cancelTimer(startTimer);
    startTimer = vertx.setTimer(GAP_WAIT_MS, id -> {
      startTimer = -1;
      if (closed || delivered >= 0 || held.isEmpty()) return;
      delivered = held.firstKey() - 1;
      deliverHeldInTurn();
    });
  }

  private void waitForGap() {
    if (gapTimer < 0 && !filling) {
      gapTimer = vertx.setTimer(GAP_WAIT_MS, id -> {
        gapTimer = -1;
        fillGap();
      });
    }
  }

  /**
   * The socket registered with {@code since} in {@code clientEpoch}: once the node's consumer is live (so nothing
   * published from now on passes it by), what the history keeps after {@code since} is sent, then a marker, then what
   * arrived meanwhile. Until then its live frames wait.
   */
  void recover(BridgeSocket socket, long since, String clientEpoch) {
    Recovery recovery = new Recovery(since, clientEpoch);
    recoveries.put(socket, recovery);
    sockets.live()
        .compose(v -> history.read(address, since))
        .onComplete(read -> {
          if (recoveries.get(socket) != recovery || socket.isClosed()) return; // gone meanwhile
          if (read.failed()) {
            LOG.fine(() -> "The history of " + address + " could not be read: " + read.cause());
            finishNotRecovered(socket, recovery, epoch, Math.max(delivered, 0));
          } else {
            recovered(socket, recovery, read.result());
          }
        });
  }

  /** The socket left the address (or closed): nothing more is kept for it. */
  void leave(BridgeSocket socket) {
    Recovery recovery = recoveries.remove(socket);
    if (recovery != null) recovery.releaseWaiting();
  }

  /** The node's last socket left the address. */
  void close() {
    closed = true;
    if (gapTimer >= 0) vertx.cancelTimer(gapTimer);
    if (startTimer >= 0) vertx.cancelTimer(startTimer);
    releaseHeld();
    recoveries.values().forEach(Recovery::releaseWaiting);
    recoveries.clear();
  }

  /** What the history gave for a socket's {@code since}: replayed, refused (ahead of the newest), or not recoverable. */
  private void recovered(BridgeSocket socket, Recovery recovery, Window window) {
    adoptBase(window);
    boolean sameEpoch = window.epoch() != null && window.epoch().equals(recovery.epoch);
    if (sameEpoch && recovery.since > window.newest()) {
      // Ahead of the newest: not a place this history ever had. Refused; the registration carries on, live.
      metrics.recovery(BridgeMetrics.RECOVERY_INVALID);
      socket.writeOwn(ServerFrames.addressRefusal(address, BridgeErrors.INVALID_SINCE,
          "since " + recovery.since + " is ahead of the newest offset, " + window.newest()));
      finish(socket, recovery, window.newest());
      return;
    }
    if (!sameEpoch || !window.coversSince(recovery.since) || recovery.overflowed) {
      finishNotRecovered(socket, recovery, window.epoch(), window.newest());
      return;
    }
    long now = System.nanoTime();
    long last = recovery.since;
    for (Kept kept : window.entries()) {
      ServerFrame frame = frameOf(kept, window.epoch());
      if (frame == null) continue;
      write(socket, frame, now);
      frame.release();
      last = kept.offset();
    }
    int replayed = (int) (last - recovery.since);
    metrics.recovery(BridgeMetrics.RECOVERY_RECOVERED);
    metrics.replayed(replayed);
    socket.writeOwn(ServerFrames.marker(address, true, last, window.epoch(), replayed));
    finish(socket, recovery, last);
  }

  /** The history could not give what the socket missed: it is told so (it re-fetches its state), then gets live frames. */
  private void finishNotRecovered(BridgeSocket socket, Recovery recovery, String currentEpoch, long newest) {
    metrics.recovery(BridgeMetrics.RECOVERY_NOT_RECOVERED);
    socket.writeOwn(ServerFrames.marker(address, false, newest, currentEpoch, -1));
    finish(socket, recovery, newest);
  }

  /**
   * What waited is sent (what the socket has not had already), and the socket gets live frames from now on. If a
   * publication between what it was sent and what waited did not come live (a publisher whose view of who subscribes
   * lagged), it is read from the history first, once.
   */
  private void finish(BridgeSocket socket, Recovery recovery, long sent) {
    recovery.floor = sent;
    if (!recovery.refilled && recovery.epoch != null && !recovery.waiting.isEmpty()
        && recovery.waiting.firstKey() > sent + 1 && epoch != null) {
      recovery.refilled = true;
      String asked = epoch;
      history.read(address, sent).onComplete(read -> {
        if (recoveries.get(socket) != recovery || socket.isClosed()) return;
        long last = sent;
        if (read.succeeded() && asked.equals(read.result().epoch())) {
          long now = System.nanoTime();
          for (Kept kept : read.result().entries()) {
            if (kept.offset() != last + 1 || kept.offset() >= recovery.waiting.firstKey()) break;
            ServerFrame frame = frameOf(kept, asked);
            if (frame == null) break;
            write(socket, frame, now);
            frame.release();
            last = kept.offset();
          }
        }
        finish(socket, recovery, last);
      });
      return;
    }
    recovery.done = true;
    long now = System.nanoTime();
    for (Map.Entry<Long, ServerFrame> waiting : recovery.waiting.entrySet()) {
      if (waiting.getKey() > recovery.floor) {
        write(socket, waiting.getValue(), now);
        recovery.floor = waiting.getKey();
      }
      waiting.getValue().release();
    }
    recovery.waiting.clear();
    if (recovery.floor <= delivered) recoveries.remove(socket); // the stream is past all it was sent
    scheduleCatchUps();
  }

  /**
   * A fresh stream takes its count from the history, so that a hole right after it is seen (and filled): what came
   * live meanwhile, if it is older, still goes out.
   */
  private void adoptBase(Window window) {
    if (window.epoch() == null || delivered >= 0 || (epoch != null && !epoch.equals(window.epoch()))) return;
    epoch = window.epoch();
    delivered = held.isEmpty() ? window.newest() : Math.min(window.newest(), held.firstKey() - 1);
    if (startTimer >= 0) {
      vertx.cancelTimer(startTimer);
      startTimer = -1;
    }
    deliverHeldInTurn();
  }

  /**
   * Reads the history's newest again, {@link #CATCH_UP_AFTER_MS} after a recovery: once for all the recoveries of a
   * reconnect storm, not once each.
   */
  private void scheduleCatchUps() {
    for (int i = 0; i < CATCH_UP_AFTER_MS.length; i++) {
      int slot = i;
      if (catchUps[slot]) continue;
      catchUps[slot] = true;
      vertx.setTimer(CATCH_UP_AFTER_MS[slot], id -> {
        catchUps[slot] = false;
        catchUp();
      });
    }
  }

  /** The history has publications this node has not seen (yet): they are read and handed on in turn. */
  private void catchUp() {
    if (closed || epoch == null || delivered < 0 || filling) return;
    fillGap();
  }

  private void fillGap() {
    if (gapTimer >= 0) {
      vertx.cancelTimer(gapTimer);
      gapTimer = -1;
    }
    if (closed || filling || delivered < 0) return;
    filling = true;
    String asked = epoch;
    history.read(address, delivered).onComplete(read -> {
      filling = false;
      if (closed || !asked.equals(epoch)) return;
      if (read.failed() || !asked.equals(read.result().epoch())) {
        deliverHeldInTurn(); // asked again after the next wait
        return;
      }
      Window window = read.result();
      for (Kept kept : window.entries()) {
        if (kept.offset() <= delivered) continue;
        if (!held.isEmpty() && kept.offset() >= held.firstKey()) break; // the rest came live
        if (kept.offset() != delivered + 1) break; // not kept (dropped for its age or the budget)
        ServerFrame frame = frameOf(kept, asked);
        if (frame == null) break;
        metrics.historyFilled();
        deliver(kept.offset(), frame);
      }
      // A hole the history knew of (its newest is past it) and did not have is lost for good: what came after it
      // goes on in order. A hole past the history's newest opened after it was read: it is waited for again.
      if (!held.isEmpty() && held.firstKey() > delivered + 1 && delivered + 1 <= window.newest()) {
        long skippedTo = Math.min(held.firstKey() - 1, window.newest());
        metrics.historyGap();
        long from = delivered + 1;
        LOG.fine(() -> "Publications " + from + ".." + skippedTo + " of " + address + " are not in the history: skipped");
        delivered = skippedTo;
      }
      deliverHeldInTurn();
    });
  }

  private void deliverHeldInTurn() {
    while (!held.isEmpty() && held.firstKey() <= delivered + 1) {
      Map.Entry<Long, ServerFrame> next = held.pollFirstEntry();
      if (next.getKey() <= delivered) {
        next.getValue().release();
      } else {
        deliver(next.getKey(), next.getValue());
      }
    }
    if (!held.isEmpty()) waitForGap(); // a hole before the next: filled from the history if it does not come
  }

  /** Hands the publication to every socket on the address: now, or (recovering) once its recovery is done. */
  private void deliver(long offset, ServerFrame frame) {
    delivered = offset;
    long now = System.nanoTime();
    int written = 0;
    try {
      boolean anyRecovering = !recoveries.isEmpty(); // as good as always not: then no lookup per socket
      for (BridgeSocket socket : sockets.all()) {
        Recovery recovery = anyRecovering ? recoveries.get(socket) : null;
        if (recovery == null) {
          if (socket.writeShared(frame, now)) written++;
        } else if (!recovery.done) {
          recovery.hold(offset, frame, maxHeld);
        } else if (offset > recovery.floor) {
          recoveries.remove(socket);
          if (socket.writeShared(frame, now)) written++;
        }
      }
    } finally {
      frame.release();
    }
    metrics.sent(frame.type(), written);
  }

  private void write(BridgeSocket socket, ServerFrame frame, long now) {
    if (socket.writeShared(frame, now)) metrics.sent(frame.type(), 1);
  }

  private void releaseHeld() {
    held.values().forEach(ServerFrame::release);
    held.clear();
  }

  /** The frame a kept publication had live: its body, its headers, then its offset and epoch. */
  private ServerFrame frameOf(Kept kept, String epochOf) {
    Object body;
    try {
      body = Json.decodeValue(kept.body());
    } catch (DecodeException e) {
      return null; // kept only as JSON: cannot happen
    }
    JsonObject headers = kept.headers() == null ? new JsonObject() : kept.headers().copy();
    headers.put(HistoryHeaders.OFFSET, Long.toString(kept.offset())).put(HistoryHeaders.EPOCH, epochOf);
    return ServerFrames.recWithJsonHeaders(address, body, headers, null);
  }

  /** A socket's recovery: what it asked for, and the live frames that wait until the history's have been sent. */
  private static final class Recovery {
    private final long since;
    private final String epoch;
    private final TreeMap<Long, ServerFrame> waiting = new TreeMap<>();
    private boolean done;
    private boolean refilled;
    private boolean overflowed;
    private long floor;

    Recovery(long since, String epoch) {
      this.since = since;
      this.epoch = epoch;
    }

    /**
     * Keeps a live frame for later; a frame is shared, so it is kept by a copy of its text. Beyond {@code max}, the
     * oldest waiting ones go, and the recovery will say it could not recover.
     */
    void hold(long offset, ServerFrame frame, int max) {
      waiting.put(offset, new ServerFrame(frame.type(), frame.text()));
      while (waiting.size() > max) {
        waiting.pollFirstEntry().getValue().release();
        overflowed = true;
      }
    }

    void releaseWaiting() {
      waiting.values().forEach(ServerFrame::release);
      waiting.clear();
    }
  }

  /** For tests and the log. */
  @Override
  public String toString() {
    return address + " at " + delivered + " of epoch " + epoch + (held.isEmpty() ? "" : ", " + held.size() + " ahead");
  }
}
