package io.livegate.core;

import java.util.Locale;

/**
 * Where a node is in its life, as {@code GET /ready} tells it: ready, or why not. One more state is one more constant
 * with its sentence; the probes, the cluster view and the logs take it from here.
 */
public enum NodeState {
  JOINING(false, "the node is joining the cluster and deploying its roles"),
  WARMING(false, "the node is warming up (--warm-up true): its bridge's code is being compiled before it takes clients"),
  READY(true, "the node serves"),
  DRAINING(false, "the node is draining: it refuses new connections, closes the open ones and leaves the cluster"),
  MINORITY(false, "the node sees fewer members than --min-cluster-size: it is on the minority side of a split (or the "
      + "cluster has not yet gathered), runs no simulator and sends its browsers elsewhere");

  private final boolean ready;
  private final String reason;

  NodeState(boolean ready, String reason) {
    this.ready = ready;
    this.reason = reason;
  }

  /** Whether a load balancer should send it traffic ({@code GET /ready} 200). */
  public boolean isReady() {
    return ready;
  }

  /** One sentence for an operator: what the node is doing, so why it is (not) ready. */
  public String reason() {
    return reason;
  }

  /** The word in {@code /ready}'s body and in {@code /api/cluster/nodes}: {@code joining}, {@code ready}, ... */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
