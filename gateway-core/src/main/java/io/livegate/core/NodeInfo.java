package io.livegate.core;

import java.util.Set;

/**
 * A live member of the cluster, as every node sees it (from the cluster's membership).
 *
 * @param bridgePort     its bridge port, 0 without the bridge role (it listens on none)
 * @param apiPort        its REST port, 0 without the rest role
 * @param managementPort the port of its {@code /health}, {@code /ready} and {@code /metrics}: the REST port, or
 *                       without the rest role the bridge port, or without either {@code --api-port} alone
 * @param name           what a person calls it ({@code --node-name}; by default host:port of its first HTTP port)
 */
public record NodeInfo(String id, String host, int bridgePort, int apiPort, int managementPort, Set<Role> roles,
    long startedAt, String name) {

  /** A node whose management port is its REST port, else its bridge port, named host:port. */
  public NodeInfo(String id, String host, int bridgePort, int apiPort, Set<Role> roles, long startedAt) {
    this(id, host, bridgePort, apiPort, apiPort > 0 ? apiPort : bridgePort, roles, startedAt,
        host + ":" + (bridgePort > 0 ? bridgePort : apiPort));
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }

  /**
   * The port of {@code /health}, {@code /ready} and {@code /metrics} for a node of these roles: the REST port, else
   * the bridge port, else {@code apiPort} all the same (a port that serves only those).
   */
  public static int managementPort(Set<Role> roles, int bridgePort, int apiPort) {
    if (roles.contains(Role.REST)) return apiPort;
    if (roles.contains(Role.BRIDGE)) return bridgePort;
    return apiPort;
  }
}
