package io.livegate.core;

import java.util.List;
import java.util.Set;

/**
 * The node's whole configuration, parsed once (flags, then environment, then defaults) by the
 * launcher and handed to each role.
 *
 * @param roles            what this node runs
 * @param httpHost         the interface the bridge and REST ports listen on
 * @param bridgePort       the browser-facing port (dashboard and {@code /eventbus})
 * @param apiPort          the REST API port
 * @param clusterHost      the address this node binds and advertises for the cluster
 * @param clusterPort      the first Hazelcast port tried
 * @param members          Hazelcast member list, {@code host[:port]}
 * @param clusterName      only nodes with the same name form a cluster
 * @param clusterConfig    a Hazelcast XML file, or null for the packaged {@code cluster.xml}
 * @param inboundPermitted regular expressions of addresses a browser may send or publish to
 * @param outboundPermitted regular expressions of addresses a browser may register on
 * @param simulatorMinMs   shortest interval between two changes of one event
 * @param simulatorMaxMs   longest interval between two changes of one event
 * @param sendTimeoutMs    default reply timeout of {@code POST /api/send} and of browser sends
 * @param maxBodyBytes     the largest REST body accepted
 * @param maxFrameBytes    the largest bridge frame accepted
 * @param idleTimeoutMs    a bridge socket that sends nothing (not even a ping) for this long is closed
 * @param maxQueuedBytes   what the node may hold for one bridge connection: frames and pongs waiting to be sent
 *                         to it, a message it is sending in fragments; one that would take more (it does not read)
 *                         is dropped
 * @param eventBusPort     the clustered event bus's TCP port; 0 for any free one
 * @param limits           what one bridge socket, and the node's bridge as a whole, may use
 * @param security         who may use the REST API's messaging and admin endpoints, and TLS
 * @param warmUp           whether the node exercises its bridge privately before it reports ready (so the JIT has
 *                         compiled the handshake and fan-out before clients come)
 * @param http             deadlines and admission of the HTTP connections of both ports
 * @param history          which addresses keep a history of their publications, and how much of it
 * @param nodeName         what a person calls this node (the dashboard, {@code /api/cluster/nodes}); null: host:port
 * @param minClusterSize   the fewest members this node must see to serve: below (the minority side of a split) it runs
 *                         no simulator, is not ready and sends its browsers elsewhere; 1: always serves
 */
public record NodeConfig(
    Set<Role> roles,
    String httpHost,
    int bridgePort,
    int apiPort,
    String clusterHost,
    int clusterPort,
    List<String> members,
    String clusterName,
    String clusterConfig,
    List<String> inboundPermitted,
    List<String> outboundPermitted,
    int simulatorMinMs,
    int simulatorMaxMs,
    long sendTimeoutMs,
    int maxBodyBytes,
    int maxFrameBytes,
    long idleTimeoutMs,
    int maxQueuedBytes,
    int eventBusPort,
    BridgeLimits limits,
    Security security,
    boolean warmUp,
    HttpLimits http,
    History history,
    String nodeName,
    int minClusterSize,
    PresenceSettings presence) {

  /** What a person calls this node: {@code --node-name}, else its cluster host and first HTTP port. */
  public String displayName() {
    if (nodeName != null && !nodeName.isBlank()) return nodeName;
    return clusterHost + ":" + (has(Role.BRIDGE) ? bridgePort : apiPort);
  }

  /** The port of {@code /health}, {@code /ready} and {@code /metrics}: see {@link NodeInfo#managementPort}. */
  public int managementPort() {
    return NodeInfo.managementPort(roles, bridgePort, apiPort);
  }

  /**
   * The history of publications ({@link PublicationHistory}): kept in the cluster with one backup.
   *
   * @param addresses    regular expressions (full match) of the addresses that keep one; none: no history
   * @param size         publications kept per address, the newest
   * @param ttlMs        how long a publication is kept
   * @param maxAddresses addresses whose history one node holds (the primary copies); beyond, the least used is dropped
   *                     (its next publication starts a new epoch)
   * @param addressBytes what one address's history may take (bodies and headers); beyond, its oldest are dropped
   */
  public record History(List<String> addresses, int size, long ttlMs, int maxAddresses, int addressBytes) {
    public boolean enabled() {
      return !addresses.isEmpty();
    }
  }

  /**
   * Who is registered on which address ({@link Presence}), kept in the cluster.
   *
   * @param addresses  regular expressions (full match) of the addresses that keep presence; none: no presence
   * @param maxEntries this node's browsers' entries together (one per connection and address); beyond, a register
   *                   stands but its connection is not shown present ({@code presence_full})
   */
  public record PresenceSettings(List<String> addresses, int maxEntries) {
    public boolean enabled() {
      return !addresses.isEmpty();
    }
  }

  /**
   * What an HTTP connection of the bridge or REST port may take before it has given a whole request: each refusal
   * and timeout counted in {@code /metrics}. A WebSocket, once upgraded, and a response being streamed (SockJS's
   * xhr-streaming) are not bound by these: they have their own limits.
   *
   * @param headerTimeoutMs    a connection that has not sent a request's headers this long after it opened, or after
   *                           the end of its previous response, is closed; 0: no deadline
   * @param bodyTimeoutMs      a request whose body has not all arrived this long after its headers gets 408 and its
   *                           connection is closed; 0: no deadline
   * @param maxUnfinished      connections per port that have not yet sent a whole request (or are idle between two);
   *                           beyond, the oldest of them is closed to admit the new one
   * @param descriptorReserve  file descriptors kept free: the bridge port admits a connection only while more than this
   *                           many are free, the REST port while more than a quarter as many are (so /health still answers)
   */
  public record HttpLimits(long headerTimeoutMs, long bodyTimeoutMs, int maxUnfinished, int descriptorReserve) {
  }

  /**
   * @param apiToken the bearer token the REST API's {@code /api/publish}, {@code /api/send} and {@code /api/admin}
   *                 require, or null: open to anyone who reaches the port
   * @param tlsCert  PEM certificate (chain) for HTTPS and WSS on the bridge and REST ports, or null: plain
   * @param tlsKey   its PEM private key, or null
   * @param allowedOrigins the browser origins (scheme://host[:port]) besides the bridge's own that may open a bridge
   *                       connection; {@code *} for any. A client that sends no Origin (not a browser) is let in
   * @param corsOrigins    the origins whose pages may call the REST API (CORS); none by default
   * @param browserTokens   how browsers' tokens (JWT) are checked, and whether a browser without one is let in
   */
  public record Security(String apiToken, String tlsCert, String tlsKey, List<String> allowedOrigins,
      List<String> corsOrigins, BrowserTokens browserTokens) {

    /** Same-origin browsers only, no CORS. */
    public Security(String apiToken, String tlsCert, String tlsKey) {
      this(apiToken, tlsCert, tlsKey, List.of(), List.of());
    }

    /** Anonymous browsers only. */
    public Security(String apiToken, String tlsCert, String tlsKey, List<String> allowedOrigins, List<String> corsOrigins) {
      this(apiToken, tlsCert, tlsKey, allowedOrigins, corsOrigins, BrowserTokens.NONE);
    }

    public boolean tls() {
      return tlsCert != null;
    }
  }

  /**
   * Browsers' tokens: a JWT given when connecting (the {@code token} query parameter), whose {@code channels}
   * claim grants address patterns; checked with an HS256 secret or an RS256 public key.
   *
   * @param hs256Secret  the shared secret, or null
   * @param rs256KeyPem  the PEM public key, or null
   * @param anonymous    whether a browser without a token is let in (to the configured, public addresses)
   */
  public record BrowserTokens(String hs256Secret, String rs256KeyPem, boolean anonymous) {
    public static final BrowserTokens NONE = new BrowserTokens(null, null, true);

    public boolean enabled() {
      return hs256Secret != null || rs256KeyPem != null;
    }
  }

  /**
   * What a browser may use, each refusal counted in {@code /metrics}.
   *
   * @param maxRegistrations   addresses one socket may be registered on at once
   * @param maxFramesPerSecond frames one socket may send a second, with a burst of twice that; beyond, the frame
   *                           is refused, and a socket that goes on (a second's worth refused) is closed
   * @param maxConnections     bridge connections one node holds; beyond, new ones are refused
   * @param maxRegistrationsPerSecond new registrations one socket may make a second, with a burst of
   *                           {@code max(maxRegistrations, 2 x this)} (a page registers all its addresses at once)
   * @param maxAddresses       distinct addresses this node's browsers may be registered on together: each is an
   *                           entry in every node's copy of the cluster's subscriptions
   */
  public record BridgeLimits(int maxRegistrations, int maxFramesPerSecond, int maxConnections,
      int maxRegistrationsPerSecond, int maxAddresses) {
    /** With the default registration rate and address budget. */
    public BridgeLimits(int maxRegistrations, int maxFramesPerSecond, int maxConnections) {
      this(maxRegistrations, maxFramesPerSecond, maxConnections, defaults().limits().maxRegistrationsPerSecond(),
          defaults().limits().maxAddresses());
    }

    /** The burst of the per-socket registration rate. */
    public int registrationBurst() {
      return Math.max(maxRegistrations, 2 * maxRegistrationsPerSecond);
    }
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }

  /** A node's configuration given no flag and no environment: the defaults of {@link NodeSettings}, declared once there. */
  public static NodeConfig defaults() {
    return NodeSettings.defaults();
  }

  /**
   * Listening on {@code host}, its bridge on {@code newBridgePort}, its REST API on {@code newApiPort} (0: any free
   * one, which no flag can say: what tests need).
   */
  public NodeConfig withListening(String host, int newBridgePort, int newApiPort) {
    return new NodeConfig(roles, host, newBridgePort, newApiPort, clusterHost, clusterPort, members, clusterName,
        clusterConfig, inboundPermitted, outboundPermitted, simulatorMinMs, simulatorMaxMs, sendTimeoutMs,
        maxBodyBytes, maxFrameBytes, idleTimeoutMs, maxQueuedBytes, eventBusPort, limits, security, warmUp, http,
        history, nodeName, minClusterSize, presence);
  }
}
