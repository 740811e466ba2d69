package io.livegate.core;

import java.util.Set;

/** A live member of the cluster, as every node sees it (from the cluster's membership). */
public record NodeInfo(String id, String host, int bridgePort, int apiPort, Set<Role> roles, long startedAt) {
  public boolean has(Role role) {
    return roles.contains(role);
  }
}
