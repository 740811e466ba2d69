package io.livegate.core;

import java.util.List;

/** Every event-bus address and cluster data name the product uses, in the words of the contract. */
public final class Addresses {
  /** Server to browser: one message per score change of any event. */
  public static final String EVENTS_UPDATES = "events.updates";
  /** Browser to server, send with reply: the JSON array of all events. */
  public static final String EVENTS_SNAPSHOT = "events.snapshot";
  /** Browser to server, send with reply: a PONG with the serving node's id and time. */
  public static final String BRIDGE_PING = "bridge.ping";
  /** Chat rooms, both directions: {@code chat.<room>}. */
  public static final String CHAT_PREFIX = "chat.";
  /** Anything a service publishes for browsers: {@code public.<anything>}. */
  public static final String PUBLIC_PREFIX = "public.";

  /**
   * The longest address a browser or a service may name (REST and bridge alike): every address a browser registers
   * on is an entry in every node's copy of the cluster's subscriptions, so its length is a cost on all of them.
   */
  public static final int MAX_LENGTH = 256;

  /** Internal addresses: never reachable from a browser or through the REST API. */
  public static final String INTERNAL_PREFIX = "gateway.internal.";
  /** Vert.x's own addresses (cluster plumbing, reply addresses). */
  public static final String VERTX_PREFIX = "__vertx.";

  /** Cluster-wide map holding the simulator's events, by id: the truth a new simulator resumes from. */
  public static final String EVENTS_MAP = "gateway.events";

  /** Cluster-wide map holding the history of each address that keeps one ({@link PublicationHistory}). */
  public static final String HISTORY_MAP = "livegate.history";

  /**
   * Where a backend service that is a cluster member publishes so that the publication is kept and numbered like one
   * through the REST API: a send (or request: the reply is {@code {"address","offset","epoch"}}) with the target in
   * the {@link HistoryHeaders#ADDRESS} header. A plain publish on the target still reaches browsers, unnumbered.
   */
  public static final String PUBLISH = "livegate.publish";

  /**
   * Who is registered on an address that keeps presence: {@code presence.<address>}. A browser sends to it (with a
   * reply address) for the list, and registers on it for join and leave events; nobody publishes to it but the node.
   */
  public static final String PRESENCE_PREFIX = "presence.";

  /** Cluster-wide map of who is registered on each address that keeps presence ({@code --presence-addresses}). */
  public static final String PRESENCE_MAP = "livegate.presence";

  /** Default addresses that keep presence (regular expressions, full match). */
  public static final List<String> DEFAULT_PRESENCE = List.of("chat\\..+");

  /** Default addresses whose publications are kept (regular expressions, full match). */
  public static final List<String> DEFAULT_HISTORY = List.of("public\\..+", "chat\\..+");

  /** Default permitted addresses (regular expressions, full match), browser to server. */
  public static final List<String> DEFAULT_INBOUND =
      List.of("events\\.snapshot", "bridge\\.ping", "chat\\.[A-Za-z0-9_.:-]+");
  /** Default permitted addresses (regular expressions, full match), server to browser. */
  public static final List<String> DEFAULT_OUTBOUND =
      List.of("events\\.updates", "chat\\.[A-Za-z0-9_.:-]+", "public\\.[A-Za-z0-9_.:#-]+");

  /** The address each node answers its own status on (connections, uptime). */
  public static String nodeStatus(String nodeId) {
    return INTERNAL_PREFIX + "node." + nodeId + ".status";
  }

  /** Every value of {@link #family}. */
  public static final List<String> FAMILIES = List.of("events", "bridge", "chat", "public", "presence", "internal", "other");

  /**
   * The family of an address, for metrics: {@code events}, {@code bridge}, {@code chat}, {@code public},
   * {@code presence}, {@code internal} or {@code other}. A few values where addresses (chat rooms, services) are unbounded.
   */
  public static String family(String address) {
    if (address.startsWith("events.")) return "events";
    if (address.startsWith("bridge.")) return "bridge";
    if (address.startsWith(CHAT_PREFIX)) return "chat";
    if (address.startsWith(PUBLIC_PREFIX)) return "public";
    if (address.startsWith(PRESENCE_PREFIX)) return "presence";
    if (isInternal(address)) return "internal";
    return "other";
  }

  /** True for {@code presence.<address>}: who is on {@code <address>}. */
  public static boolean isPresence(String address) {
    return address.startsWith(PRESENCE_PREFIX) && address.length() > PRESENCE_PREFIX.length();
  }

  /** The address a {@code presence.<address>} is about. */
  public static String presenceTarget(String presenceAddress) {
    return presenceAddress.substring(PRESENCE_PREFIX.length());
  }

  /** {@code presence.<address>}. */
  public static String presenceOf(String address) {
    return PRESENCE_PREFIX + address;
  }

  /** True for addresses no outside party may ever reach, whatever configuration says. */
  public static boolean isInternal(String address) {
    return address.startsWith(INTERNAL_PREFIX) || address.startsWith(VERTX_PREFIX);
  }

  private Addresses() {}
}
