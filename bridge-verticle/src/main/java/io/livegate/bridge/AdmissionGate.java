package io.livegate.bridge;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.function.IntSupplier;

/**
 * Whether this node takes a new bridge connection, decided once for both transports: a node that drains or stands
 * aside (cut off from the cluster's majority) takes none, a page of a site not allowed takes none, and a node with
 * {@code --max-connections} open takes no more. Asked when the HTTP request arrives ({@link #atRequest}: the raw
 * WebSocket before its upgrade, every SockJS request), and again when the connection opens ({@link #atOpen}: a SockJS
 * session, or a WebSocket whose upgrade was under way as the node began to drain). A refusal says how it is told in
 * either place, and what {@code livegate_bridge_connections_refused} counts it as. Token checks follow, for what is
 * admitted ({@link BrowserAuth}): their refusal is a bridge frame.
 */
final class AdmissionGate {
  /** WebSocket close code (RFC 6455 7.4.1) of a node that is full. */
  static final short TRY_AGAIN_LATER = 1013;
  private static final short POLICY_VIOLATION = 1008;

  /** Why a connection is not taken, told as an HTTP answer (before an upgrade) or as a close (after). */
  sealed interface Verdict permits Admitted, Refused {
  }

  /** Taken. */
  enum Admitted implements Verdict { ADMITTED }

  /**
   * Not taken.
   *
   * @param status     the HTTP status of a request refused before any upgrade (503: a load balancer tries another node)
   * @param body       its plain-text body
   * @param closeCode  the WebSocket close code of a connection refused once open
   * @param closeReason its close reason
   * @param metric     the reason {@code livegate_bridge_connections_refused} counts, or null (not counted: a node
   *                   that drains or stands aside sends its browsers elsewhere; nothing is wrong with them)
   */
  record Refused(int status, String body, short closeCode, String closeReason, String metric) implements Verdict {
  }

  static final Refused DRAINING = new Refused(503, "node draining: connect to another node\n",
      BridgeVerticle.DRAIN_CLOSE_CODE, BridgeVerticle.DRAIN_CLOSE_REASON, null);
  static final Refused STANDING_ASIDE = new Refused(503,
      "node cut off from the cluster's majority: connect to another node\n", BridgeVerticle.DRAIN_CLOSE_CODE,
      BridgeVerticle.MINORITY_CLOSE_REASON, null);
  static final Refused FULL = new Refused(503, "too many connections on this node\n", TRY_AGAIN_LATER,
      "too many connections on this node", BridgeMetrics.REFUSED_FULL);
  static final Refused FOREIGN_ORIGIN = new Refused(403, "origin not allowed: see --allowed-origins\n",
      POLICY_VIOLATION, "origin not allowed", BridgeMetrics.REFUSED_ORIGIN);

  private final AllowedOrigins origins;
  private final int maxConnections;
  private final IntSupplier openConnections;
  private final BridgeMetrics metrics;
  /** Set by the node's drain, from any thread; never undone. */
  private volatile boolean draining;
  /** Cut off from the cluster's majority, until it is back; from any thread. */
  private volatile boolean standingAside;

  /** @param openConnections the bridge's open connections, read on its context */
  AdmissionGate(AllowedOrigins origins, int maxConnections, IntSupplier openConnections, BridgeMetrics metrics) {
    this.origins = origins;
    this.maxConnections = maxConnections;
    this.openConnections = openConnections;
    this.metrics = metrics;
  }

  /** From now on, nothing is admitted. */
  void drain() {
    draining = true;
  }

  /**
   * Nothing is admitted while {@code aside}; once no longer, connections are admitted again unless draining. False
   * if it already was so.
   */
  synchronized boolean standAside(boolean aside) {
    if (standingAside == aside) return false;
    standingAside = aside;
    return true;
  }

  boolean isDraining() {
    return draining;
  }

  /**
   * A request to the bridge's transports. {@code opensConnection}: the request is itself a new connection (the raw
   * WebSocket's upgrade), so a full node refuses it now; a SockJS request may belong to a session already open,
   * whose place is judged when a session opens ({@link #atOpen}).
   */
  Verdict atRequest(HttpServerRequest request, boolean opensConnection) {
    Refused closed = closed();
    if (closed != null) return closed;
    if (!origins.allows(request)) return FOREIGN_ORIGIN;
    if (opensConnection && isFull()) return FULL;
    return Admitted.ADMITTED;
  }

  /** A connection about to open, whose request was admitted. On the bridge's context. */
  Verdict atOpen() {
    Refused closed = closed();
    if (closed != null) return closed;
    return isFull() ? FULL : Admitted.ADMITTED;
  }

  /** Tells a request it is refused, and counts it. */
  void refuse(HttpServerResponse response, Refused refused) {
    count(refused);
    if (refused.status() == 503) response.putHeader("Retry-After", "1");
    response.setStatusCode(refused.status()).putHeader("Content-Type", "text/plain; charset=utf-8").end(refused.body());
  }

  /** Closes a connection that is refused, and counts it. */
  void refuse(BrowserConnection connection, Refused refused) {
    count(refused);
    connection.close(refused.closeCode(), refused.closeReason());
  }

  private void count(Refused refused) {
    if (refused.metric() != null) metrics.connectionRefused(refused.metric());
  }

  private Refused closed() {
    if (draining) return DRAINING;
    return standingAside ? STANDING_ASIDE : null;
  }

  private boolean isFull() {
    return openConnections.getAsInt() >= maxConnections;
  }
}
