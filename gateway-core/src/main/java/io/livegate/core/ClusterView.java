package io.livegate.core;

import java.util.List;

/** This node's view of the cluster's membership. */
public interface ClusterView {
  /** This node's id (the cluster manager's node id). */
  String localNodeId();

  /** The live members, oldest first; every member sees the same order. */
  List<NodeInfo> members();

  /**
   * Calls {@code listener} on the caller's Vert.x context whenever a member joins or leaves.
   * Returns a handle that stops the calls.
   */
  Runnable onChange(Runnable listener);

  /**
   * Whether this node sees at least the cluster's minimum size ({@code --min-cluster-size}): false on the minority side
   * of a split, where it runs no simulator, is not ready and sends its browsers elsewhere. True without a minimum.
   */
  default boolean inMajority() {
    return true;
  }
}
